"""What every storage backend promises: the `Storage` protocol, its result and its errors."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from docat.errors import DocatError, NotFound


class StorageNotFound(NotFound):
    """No object under that key (both backends raise exactly this)."""

    def __init__(self, key: str) -> None:
        # The key is internal ("documents/<id>/original.pdf"), never a user's path, so it
        # is safe in the message; the API still answers a plain NOT_FOUND.
        super().__init__(f"File not found: {key}")
        self.key = key


class StorageUnavailable(DocatError):
    """The store did not answer a health round trip; transient by nature."""

    retryable = True


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    sha256: str


@runtime_checkable
class Storage(Protocol):
    """The one surface the API, the worker, the CLI and the tests use (see the package docstring)."""

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        max_bytes: int,
        content_type: str | None = None,
    ) -> StoredObject: ...

    async def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> StoredObject: ...

    async def get_bytes(self, key: str) -> bytes: ...

    async def download_to(self, key: str, path: Path) -> int: ...

    def open_read(self, key: str) -> AsyncIterator[bytes]: ...

    async def exists(self, key: str) -> bool: ...

    async def size(self, key: str) -> int | None: ...

    async def delete(self, key: str) -> None: ...

    async def delete_prefix(self, prefix: str) -> int: ...

    async def list_older_than(self, prefix: str, cutoff: datetime) -> list[str]: ...

    async def presigned_url(
        self, key: str, expires_seconds: int, filename: str, content_type: str | None = None
    ) -> str | None: ...

    async def check(self) -> None: ...

    async def close(self) -> None: ...
