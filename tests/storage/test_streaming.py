"""put_stream: chunked, hashed on the way, and all-or-nothing."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from docat.errors import PayloadTooLarge
from docat.storage import Storage, document_key
from docat.storage.s3 import S3Storage
from tests.fixtures.s3_server import s3_admin_client
from tests.storage.conftest import AssertNothingStored
from tests.storage.streams import MIB, GeneratedStream, StreamBroke

KEY = document_key("doc1", "original.pdf")


async def test_streams_20_mib(storage: Storage, tmp_path: Path, s3_endpoint: str) -> None:
    stream = GeneratedStream(20 * MIB + 12345)

    stored = await storage.put_stream(KEY, stream, max_bytes=25 * MIB, content_type="application/pdf")

    assert stored.size == 20 * MIB + 12345 == stream.yielded
    assert stored.sha256 == stream.sha256
    assert await storage.size(KEY) == stored.size
    destination = tmp_path / "original.pdf"
    await storage.download_to(KEY, destination)
    assert hashlib.sha256(destination.read_bytes()).hexdigest() == stream.sha256
    if isinstance(storage, S3Storage):
        # A multipart ETag ends in "-<parts>": 8 + 8 + 4 MiB.
        head = s3_admin_client(s3_endpoint).head_object(Bucket=storage.bucket, Key=KEY)
        assert head["ETag"].strip('"').endswith("-3")
        assert head["ContentType"] == "application/pdf"


async def test_small_stream_and_exact_limit(storage: Storage) -> None:
    stream = GeneratedStream(1000, chunk_size=100)
    stored = await storage.put_stream(KEY, stream, max_bytes=1000)
    assert stored.size == 1000
    assert stored.sha256 == stream.sha256
    assert hashlib.sha256(await storage.get_bytes(KEY)).hexdigest() == stream.sha256


async def test_empty_stream(storage: Storage) -> None:
    stored = await storage.put_stream(KEY, GeneratedStream(0), max_bytes=10)
    assert stored.size == 0
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert await storage.get_bytes(KEY) == b""


@pytest.mark.parametrize("total, limit", [(20 * MIB, 10 * MIB), (200, 100)], ids=["multipart", "small"])
async def test_too_large_leaves_nothing(
    storage: Storage, assert_nothing_stored: AssertNothingStored, total: int, limit: int
) -> None:
    stream = GeneratedStream(total, chunk_size=64 * 1024 if total > MIB else 10)

    with pytest.raises(PayloadTooLarge):
        await storage.put_stream(KEY, stream, max_bytes=limit)

    # It stopped reading at the limit, not at the end of the stream.
    assert stream.yielded < total
    assert not await storage.exists(KEY)
    await assert_nothing_stored()


async def test_too_large_keeps_the_previous_version(storage: Storage) -> None:
    await storage.put_bytes(KEY, b"old")
    with pytest.raises(PayloadTooLarge):
        await storage.put_stream(KEY, GeneratedStream(200, chunk_size=10), max_bytes=100)
    assert await storage.get_bytes(KEY) == b"old"


@pytest.mark.parametrize("fail_after", [12 * MIB, 1000], ids=["after-a-part", "before-a-part"])
async def test_broken_stream_leaves_nothing(
    storage: Storage, assert_nothing_stored: AssertNothingStored, fail_after: int
) -> None:
    stream = GeneratedStream(20 * MIB, fail_after=fail_after)

    with pytest.raises(StreamBroke):
        await storage.put_stream(KEY, stream, max_bytes=25 * MIB)

    await assert_nothing_stored()


async def test_cancelled_upload_leaves_nothing(
    storage: Storage, assert_nothing_stored: AssertNothingStored
) -> None:
    reached = asyncio.Event()

    async def stalls_after_a_part() -> AsyncIterator[bytes]:
        async for chunk in GeneratedStream(10 * MIB):
            yield chunk
        reached.set()
        await asyncio.Event().wait()  # a client that stops sending
        yield b"never"

    upload = asyncio.create_task(storage.put_stream(KEY, stalls_after_a_part(), max_bytes=25 * MIB))
    await asyncio.wait_for(reached.wait(), timeout=30)
    upload.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(upload, timeout=30)

    await assert_nothing_stored()
