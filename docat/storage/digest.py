"""Size, SHA-256 and the byte limit of a stream, counted as the chunks pass."""

from __future__ import annotations

import hashlib

from docat.errors import PayloadTooLarge


class StreamDigest:
    """Feed every chunk through `add`; it raises before an over-limit chunk is stored."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._sha256 = hashlib.sha256()

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise PayloadTooLarge(
                f"The file is larger than the limit of {self.max_bytes} bytes.",
                maxBytes=self.max_bytes,
            )
        # hashlib releases the GIL for large buffers, but chunks are small; hashing
        # 25 MiB costs ~15 ms in total, not worth a thread hop per chunk.
        self._sha256.update(chunk)

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()
