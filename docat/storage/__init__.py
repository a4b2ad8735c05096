"""File storage behind one small protocol: a local folder or an S3 bucket.

    storage = await open_storage(settings)   # S3 when S3_BUCKET is set, else DATA_DIR/files
    ...
    await storage.close()

The API lifespan, the worker's startup/shutdown, the CLI and the tests all call
exactly this pair. The protocol (`Storage`):

    put_stream(key, chunks, max_bytes, content_type=None) -> StoredObject(key, size, sha256)
        Streams chunk by chunk (S3: 8 MiB multipart parts; local: temp file +
        os.replace), counting size and SHA-256 on the way. More than max_bytes
        raises docat.errors.PayloadTooLarge; any error — that one, the chunk
        iterator's own, cancellation — leaves nothing behind.
    put_bytes(key, data, content_type=None) -> StoredObject
    get_bytes(key) -> bytes
    download_to(key, path) -> int          streamed to a local file (the worker works on paths);
                                           a snapshot, to be read only (local: a hard link
                                           when it can, as objects are never written in place)
    open_read(key) -> AsyncIterator[bytes] streamed download for GET /files; lazy, so call
                                           size() first to answer 404 before streaming
    exists(key) -> bool,  size(key) -> int | None
    delete(key)                            a missing key is fine
    delete_prefix(prefix) -> int           e.g. document_prefix(id): all of a document's files
    list_older_than(prefix, cutoff) -> list[str]   retention
    presigned_url(key, expires_seconds, filename, content_type=None) -> str | None
                                           S3: presigned GET that downloads as `filename`;
                                           local: None (the API signs its own /files links)
    check()                                health: put/get/delete under health/, raises
                                           StorageUnavailable
    close()

Keys come only from `document_key(id, name)` ("documents/{id}/original.pdf")
and are validated by both backends (ValueError for "..", absolute paths and
anything outside a small alphabet); the user's file name only ever reaches the
Content-Disposition header. A missing object raises `StorageNotFound`
(a docat.errors.NotFound) in both backends.
"""

from __future__ import annotations

from docat.settings import Settings
from docat.storage.disposition import attachment_disposition
from docat.storage.keys import document_key, document_prefix, validate_key, validate_prefix
from docat.storage.local import LocalStorage
from docat.storage.protocol import Storage, StorageNotFound, StorageUnavailable, StoredObject

__all__ = [
    "LocalStorage",
    "Storage",
    "StorageNotFound",
    "StorageUnavailable",
    "StoredObject",
    "attachment_disposition",
    "document_key",
    "document_prefix",
    "open_storage",
    "validate_key",
    "validate_prefix",
]


async def open_storage(settings: Settings) -> Storage:
    """The one factory: S3Storage when S3_BUCKET is set, else LocalStorage(DATA_DIR/files)."""
    if settings.s3_bucket:
        # Imported here so embedded mode never pays for loading aioboto3/botocore.
        from docat.storage.s3 import S3Storage

        return await S3Storage.open(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.aws_region,
            access_key_id=settings.aws_access_key_id,
            secret_access_key=settings.aws_secret_access_key,
        )
    return await LocalStorage.open(settings.files_dir)
