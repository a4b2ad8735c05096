"""The health round trip both backends run for `check()`: put, get, delete a tiny object."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from docat.storage.keys import HEALTH
from docat.storage.protocol import StorageUnavailable

if TYPE_CHECKING:
    from docat.storage.protocol import Storage


async def check_round_trip(storage: Storage) -> None:
    """Raise StorageUnavailable unless a fresh object can be written, read back and removed.

    A unique key per call: several API instances check the same bucket concurrently.
    Callers bound the time (the health route wraps this in a timeout).
    """
    key = f"{HEALTH}/{uuid.uuid4().hex}"
    payload = b"docat health " + key.encode()
    try:
        await storage.put_bytes(key, payload, "text/plain")
        try:
            if await storage.get_bytes(key) != payload:
                raise StorageUnavailable("Storage returned different bytes than were written.")
        finally:
            await storage.delete(key)
    except StorageUnavailable:
        raise
    except Exception as exc:
        raise StorageUnavailable(f"Storage round trip failed: {type(exc).__name__}") from exc
