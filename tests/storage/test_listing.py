"""delete_prefix and list_older_than: S3 prefix semantics in both backends."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

from docat.storage import LocalStorage, Storage, document_key, document_prefix
from tests.storage.conftest import AssertNothingStored


async def test_delete_prefix_removes_one_documents_files(
    storage: Storage, assert_nothing_stored: AssertNothingStored
) -> None:
    for name in ("original.pdf", "content.json", "content.md"):
        await storage.put_bytes(document_key("a", name), b"x")
    await storage.put_bytes(document_key("ab", "original.pdf"), b"neighbour")

    assert await storage.delete_prefix(document_prefix("a")) == 3

    assert not await storage.exists(document_key("a", "original.pdf"))
    assert await storage.get_bytes(document_key("ab", "original.pdf")) == b"neighbour"
    if isinstance(storage, LocalStorage):
        assert not (storage.root / "documents" / "a").exists()
    assert await storage.delete_prefix(document_prefix("a")) == 0
    await storage.delete_prefix(document_prefix("ab"))
    await assert_nothing_stored()


async def test_delete_prefix_over_many_pages(storage: Storage) -> None:
    # More than one S3 listing page (1000 keys) and one DeleteObjects call.
    keys = [f"documents/big/page-{i}.png" for i in range(1100)]
    for start in range(0, len(keys), 50):
        await asyncio.gather(*(storage.put_bytes(key, b"") for key in keys[start : start + 50]))
    assert await storage.delete_prefix("documents/big/") == 1100
    assert await storage.list_older_than("documents/", datetime.now(UTC) + timedelta(days=1)) == []


async def test_list_older_than(storage: Storage) -> None:
    keys = [document_key("a", "original.pdf"), document_key("b", "original.pdf")]
    for key in keys:
        await storage.put_bytes(key, b"x")
    await storage.put_bytes("health/other", b"x")

    later = datetime.now(UTC) + timedelta(minutes=5)
    earlier = datetime.now(UTC) - timedelta(hours=1)
    assert await storage.list_older_than("documents/", later) == keys
    assert await storage.list_older_than(document_prefix("b"), later) == [keys[1]]
    assert await storage.list_older_than("documents/", earlier) == []
    # Naive datetimes are read as UTC.
    assert await storage.list_older_than("documents/", later.replace(tzinfo=None)) == keys


async def test_list_older_than_compares_each_object(storage: Storage) -> None:
    if not isinstance(storage, LocalStorage):
        return  # S3 cannot backdate LastModified; the local case covers the per-object comparison
    old, new = document_key("old", "original.pdf"), document_key("new", "original.pdf")
    await storage.put_bytes(old, b"x")
    await storage.put_bytes(new, b"x")
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    os.utime(storage.path_of(old), (two_days_ago, two_days_ago))

    assert await storage.list_older_than("documents/", datetime.now(UTC) - timedelta(days=1)) == [old]
