"""LocalStorage: objects are files under one root folder (embedded mode, `DATA_DIR/files`).

Every blocking call goes through `asyncio.to_thread` so a 25 MiB write never
stalls the event loop; only what takes less than the hop itself is done in
place: `download_to`'s hard link and `put_bytes` of at most 64 KiB. Writes
land in a hidden temp file in the target's folder and are renamed into place
with `os.replace`, so readers see the whole file or nothing, and a failed
write leaves nothing behind. Hidden names (leading ".") can never be keys,
which keeps temp files out of every listing.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from docat.storage.digest import StreamDigest
from docat.storage.health import check_round_trip
from docat.storage.keys import validate_key, validate_prefix
from docat.storage.protocol import StorageNotFound, StoredObject

# Writes are batched to this size: fewer thread hops than one per upload chunk.
_WRITE_SIZE = 1024 * 1024
# Objects up to this size are written in place: a few system calls into the page cache take
# less than the thread hop (the content files of a short document, health checks).
_INLINE_WRITE_SIZE = 64 * 1024
_READ_SIZE = 1024 * 1024


# Stored documents are the users' data: readable by the service's user only, whatever the umask.
FILE_MODE = 0o600
DIR_MODE = 0o700


def _temp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")


def _open_temp(target: Path) -> tuple[Path, BinaryIO]:
    tmp = _temp_path(target)
    # A concurrent delete_prefix may prune the folder between mkdir and open; once more is enough.
    for attempt in (1, 2):
        target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        try:
            return tmp, os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb")
        except FileNotFoundError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _discard(tmp: Path, file: BinaryIO) -> None:
    file.close()
    tmp.unlink(missing_ok=True)


def _write_part(
    target: Path, opened: tuple[Path, BinaryIO] | None, data: bytes | bytearray
) -> tuple[Path, BinaryIO]:
    tmp, file = opened if opened is not None else _open_temp(target)
    file.write(data)
    return tmp, file


def _finish(target: Path, opened: tuple[Path, BinaryIO] | None, data: bytes | bytearray) -> None:
    tmp, file = opened if opened is not None else _open_temp(target)
    try:
        with file:
            file.write(data)
        os.replace(tmp, target)
    except BaseException:
        _discard(tmp, file)
        raise


def _write_atomically(target: Path, data: bytes) -> None:
    tmp, file = _open_temp(target)
    try:
        with file:
            file.write(data)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _copy_atomically(source: Path, target: Path) -> int:
    tmp = _temp_path(target)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target.stat().st_size


def _link_atomically(source: Path, target: Path) -> int | None:
    """`target` as a hard link to `source`, or None where links cannot be made (another file
    system, or one without them). Safe because a stored object is never written in place:
    every write replaces the name (os.replace), so the link keeps the content it was made of."""
    tmp = _temp_path(target)
    try:
        os.link(source, tmp)
    except FileNotFoundError:
        raise
    except OSError:
        return None
    try:
        # The link shares the source's inode: the source (an upload's temporary file) gets the mode too.
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target.stat().st_size


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @classmethod
    async def open(cls, root: Path) -> LocalStorage:
        storage = cls(root)
        await asyncio.to_thread(storage.root.mkdir, mode=DIR_MODE, parents=True, exist_ok=True)
        return storage

    async def close(self) -> None:
        """Nothing to release; here so both backends share one teardown."""

    def path_of(self, key: str) -> Path:
        """The file behind `key`; ValueError for anything that could leave the root."""
        return self.root / validate_key(key)

    # ---- writing -------------------------------------------------------

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        max_bytes: int,
        content_type: str | None = None,
    ) -> StoredObject:
        target = self.path_of(key)
        digest = StreamDigest(max_bytes)
        # The temp file is opened with the first full buffer; the rest, the close and the rename
        # go in one last thread hop, which is all a small file (an upload of a few pages) takes.
        opened: tuple[Path, BinaryIO] | None = None
        try:
            buffer = bytearray()
            async for chunk in chunks:
                digest.add(chunk)
                buffer += chunk
                if len(buffer) >= _WRITE_SIZE:
                    opened = await asyncio.to_thread(_write_part, target, opened, buffer)
                    buffer.clear()
            await asyncio.to_thread(_finish, target, opened, buffer)
        except BaseException:
            # Includes PayloadTooLarge, the iterator's own errors and cancellation.
            if opened is not None:
                await asyncio.to_thread(_discard, *opened)
            raise
        return StoredObject(key=key, size=digest.size, sha256=digest.sha256)

    async def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> StoredObject:
        if len(data) <= _INLINE_WRITE_SIZE:
            _write_atomically(self.path_of(key), data)
        else:
            await asyncio.to_thread(_write_atomically, self.path_of(key), data)
        return StoredObject(key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest())

    # ---- reading -------------------------------------------------------

    async def get_bytes(self, key: str) -> bytes:
        path = self.path_of(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StorageNotFound(key) from None

    async def download_to(self, key: str, path: Path) -> int:
        source = self.path_of(key)
        try:
            # A hard link (a worker's scratch folder is under DATA_DIR too) is a few metadata
            # calls, far less than a thread hop; bytes are only copied in a thread.
            size = _link_atomically(source, path)
            if size is None:
                size = await asyncio.to_thread(_copy_atomically, source, path)
            return size
        except (IsADirectoryError, NotADirectoryError):
            raise StorageNotFound(key) from None
        except FileNotFoundError:
            # Tell a missing object from a missing destination folder (a caller bug).
            if not await asyncio.to_thread(source.is_file):
                raise StorageNotFound(key) from None
            raise

    async def open_read(self, key: str) -> AsyncIterator[bytes]:
        """Lazy: StorageNotFound surfaces on the first iteration (call size() first for a 404)."""
        path = self.path_of(key)
        try:
            file = await asyncio.to_thread(open, path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StorageNotFound(key) from None
        try:
            while chunk := await asyncio.to_thread(file.read, _READ_SIZE):
                yield chunk
        finally:
            await asyncio.to_thread(file.close)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_of(key).is_file)

    async def size(self, key: str) -> int | None:
        path = self.path_of(key)

        def stat_size() -> int | None:
            try:
                stat = path.stat()
            except (FileNotFoundError, NotADirectoryError):
                return None
            return stat.st_size if path.is_file() else None

        return await asyncio.to_thread(stat_size)

    # ---- deleting and listing -------------------------------------------

    async def delete(self, key: str) -> None:
        path = self.path_of(key)

        def unlink() -> None:
            try:
                path.unlink(missing_ok=True)
            except (IsADirectoryError, NotADirectoryError):
                pass

        await asyncio.to_thread(unlink)

    def _walk(self, prefix: str) -> Iterator[tuple[str, Path]]:
        """Files whose key starts with `prefix` — the same string semantics as S3 prefixes."""
        start = self.root / prefix.rpartition("/")[0]
        for folder, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith("."):
                    continue
                path = Path(folder, name)
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key, path

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every object under `prefix` and the folders it empties; returns the count."""
        validate_prefix(prefix)

        def remove() -> int:
            removed = 0
            for _key, path in list(self._walk(prefix)):
                path.unlink(missing_ok=True)
                removed += 1
            start = self.root / prefix.rpartition("/")[0]
            for folder, _dirs, _files in os.walk(start, topdown=False):
                relative = Path(folder).relative_to(self.root).as_posix() + "/"
                if Path(folder) != self.root and relative.startswith(prefix):
                    try:
                        os.rmdir(folder)
                    except OSError:
                        pass  # not empty: a temp file of a write still in flight
            return removed

        return await asyncio.to_thread(remove)

    async def list_older_than(self, prefix: str, cutoff: datetime) -> list[str]:
        """Keys under `prefix` last written before `cutoff` (naive datetimes are taken as UTC)."""
        validate_prefix(prefix)
        limit = (cutoff if cutoff.tzinfo else cutoff.replace(tzinfo=UTC)).timestamp()

        def scan() -> list[str]:
            old: list[str] = []
            for key, path in self._walk(prefix):
                try:
                    if path.stat().st_mtime < limit:
                        old.append(key)
                except FileNotFoundError:
                    continue  # deleted while we walked
            return sorted(old)

        return await asyncio.to_thread(scan)

    async def presigned_url(
        self, key: str, expires_seconds: int, filename: str, content_type: str | None = None
    ) -> str | None:
        """None: the API signs its own /files links for local files."""
        validate_key(key)
        return None

    async def check(self) -> None:
        await check_round_trip(self)
