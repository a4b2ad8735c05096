"""S3Storage: objects in one S3 (or S3-compatible: MinIO, moto) bucket through aioboto3.

One client is opened with the storage and kept for its lifetime (an
AsyncExitStack closes it in `close()`), so every call reuses the same
connection pool. Streams are uploaded in 8 MiB multipart parts — never the whole
file in memory — and the upload is aborted on any error, so S3 keeps no
half-written object and no dangling parts. Small streams (under one part) go up
as a single PutObject. The bucket is never created here: that is deployment's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aioboto3
from aiobotocore.config import AioConfig
from botocore.exceptions import ClientError

from docat.storage.digest import StreamDigest
from docat.storage.disposition import attachment_disposition
from docat.storage.health import check_round_trip
from docat.storage.keys import validate_key, validate_prefix
from docat.storage.protocol import StorageNotFound, StoredObject

logger = logging.getLogger(__name__)

# S3 wants parts of at least 5 MiB (except the last); 8 MiB matches the AWS CLI default.
PART_SIZE = 8 * 1024 * 1024
_READ_SIZE = 1024 * 1024
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def _client_config(endpoint_url: str | None) -> AioConfig:
    return AioConfig(
        # "standard" retries throttling, 5xx and connection errors with backoff. Few attempts
        # and a short connect timeout: with the store down, a request is answered
        # SERVICE_UNAVAILABLE within seconds (5 attempts of 10 s kept clients ~21 s), and the
        # worker's own retries (a job run is retried) cover longer outages.
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=3,
        read_timeout=60,
        signature_version="s3v4",
        # MinIO and other self-hosted stores have no per-bucket DNS names.
        s3={"addressing_style": "path"} if endpoint_url else None,
        # botocore >= 1.36 adds CRC32 checksums to every upload by default, which several
        # S3-compatible stores reject; our own SHA-256 covers integrity end to end.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )


def _is_missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in _MISSING_CODES


class S3Storage:
    def __init__(self, client: Any, bucket: str, stack: contextlib.AsyncExitStack) -> None:
        self._client = client
        self.bucket = bucket
        self._stack = stack

    @classmethod
    async def open(
        cls,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> S3Storage:
        stack = contextlib.AsyncExitStack()
        session = aioboto3.Session()
        client = await stack.enter_async_context(
            session.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region or "us-east-1",
                # None falls back to botocore's chain (env, profile, instance role).
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                config=_client_config(endpoint_url),
            )
        )
        return cls(client, bucket, stack)

    async def close(self) -> None:
        await self._stack.aclose()

    # ---- writing -------------------------------------------------------

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        max_bytes: int,
        content_type: str | None = None,
    ) -> StoredObject:
        validate_key(key)
        digest = StreamDigest(max_bytes)
        extra = {"ContentType": content_type} if content_type else {}
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []

        async def upload_part(data: bytes) -> None:
            response = await self._client.upload_part(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=len(parts) + 1,
                Body=data,
            )
            parts.append({"PartNumber": len(parts) + 1, "ETag": response["ETag"]})

        try:
            async for chunk in chunks:
                digest.add(chunk)
                buffer += chunk
                while len(buffer) >= PART_SIZE:
                    if upload_id is None:
                        created = await self._client.create_multipart_upload(
                            Bucket=self.bucket, Key=key, **extra
                        )
                        upload_id = created["UploadId"]
                    part = bytes(buffer[:PART_SIZE])
                    del buffer[:PART_SIZE]
                    await upload_part(part)
            if upload_id is None:
                await self._client.put_object(Bucket=self.bucket, Key=key, Body=bytes(buffer), **extra)
            else:
                if buffer:
                    await upload_part(bytes(buffer))
                await self._client.complete_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
                )
        except BaseException:
            # PayloadTooLarge, the iterator's own errors, S3 errors and cancellation alike.
            if upload_id is not None:
                await self._abort(key, upload_id)
            raise
        return StoredObject(key=key, size=digest.size, sha256=digest.sha256)

    async def _abort(self, key: str, upload_id: str) -> None:
        try:
            await self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except Exception:
            # Never mask the original error; a bucket lifecycle rule should reap what is left.
            logger.warning("could not abort multipart upload %s of %s", upload_id, key, exc_info=True)

    async def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> StoredObject:
        validate_key(key)
        extra = {"ContentType": content_type} if content_type else {}
        await self._client.put_object(Bucket=self.bucket, Key=key, Body=data, **extra)
        return StoredObject(key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest())

    # ---- reading -------------------------------------------------------

    async def _get_body(self, key: str) -> Any:
        validate_key(key)
        try:
            response = await self._client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_missing(exc):
                raise StorageNotFound(key) from None
            raise
        return response["Body"]

    async def get_bytes(self, key: str) -> bytes:
        body = await self._get_body(key)
        async with body as stream:
            data: bytes = await stream.read()
        return data

    async def download_to(self, key: str, path: Path) -> int:
        body = await self._get_body(key)
        # Written beside the destination and renamed: a reader never sees half a file.
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        size = 0
        try:
            file = await asyncio.to_thread(open, tmp, "xb")
            try:
                async for chunk in body.iter_chunks(_READ_SIZE):
                    await asyncio.to_thread(file.write, chunk)
                    size += len(chunk)
            finally:
                await asyncio.to_thread(file.close)
            await asyncio.to_thread(os.replace, tmp, path)
        except BaseException:
            await asyncio.to_thread(tmp.unlink, missing_ok=True)
            raise
        finally:
            body.close()
        return size

    async def open_read(self, key: str) -> AsyncIterator[bytes]:
        """Lazy: StorageNotFound surfaces on the first iteration (call size() first for a 404)."""
        body = await self._get_body(key)
        try:
            async for chunk in body.iter_chunks(_READ_SIZE):
                yield chunk
        finally:
            # Drops the connection if the reader stopped early; a no-op after a full read.
            body.close()

    async def _head(self, key: str) -> dict[str, Any] | None:
        validate_key(key)
        try:
            head: dict[str, Any] = await self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise
        return head

    async def exists(self, key: str) -> bool:
        return await self._head(key) is not None

    async def size(self, key: str) -> int | None:
        head = await self._head(key)
        return None if head is None else int(head["ContentLength"])

    # ---- deleting and listing -------------------------------------------

    async def delete(self, key: str) -> None:
        validate_key(key)
        await self._client.delete_object(Bucket=self.bucket, Key=key)

    async def _list(self, prefix: str) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of up to 1000 objects under `prefix`."""
        paginator = self._client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            yield page.get("Contents", [])

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every object under `prefix`; returns the count."""
        validate_prefix(prefix)
        removed = 0
        async for objects in self._list(prefix):
            if not objects:
                continue
            response = await self._client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": o["Key"]} for o in objects], "Quiet": True},
            )
            if errors := response.get("Errors"):
                first = errors[0]
                raise RuntimeError(f"S3 refused to delete {len(errors)} objects: {first.get('Code')}")
            removed += len(objects)
        return removed

    async def list_older_than(self, prefix: str, cutoff: datetime) -> list[str]:
        """Keys under `prefix` last written before `cutoff` (naive datetimes are taken as UTC)."""
        validate_prefix(prefix)
        limit = cutoff if cutoff.tzinfo else cutoff.replace(tzinfo=UTC)
        old: list[str] = []
        async for objects in self._list(prefix):
            old.extend(o["Key"] for o in objects if o["LastModified"] < limit)
        return sorted(old)

    async def presigned_url(
        self, key: str, expires_seconds: int, filename: str, content_type: str | None = None
    ) -> str | None:
        """A GET link that downloads as `filename`; signing is local, no request is made."""
        validate_key(key)
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentDisposition": attachment_disposition(filename),
        }
        if content_type:
            params["ResponseContentType"] = content_type
        url: str = await self._client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_seconds
        )
        return url

    async def check(self) -> None:
        await check_round_trip(self)
