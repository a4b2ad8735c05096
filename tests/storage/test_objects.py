"""Round trips and the not-found behaviour, identical for the local folder and S3."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from docat.errors import NotFound
from docat.storage import LocalStorage, Storage, StorageNotFound, document_key
from tests.storage.test_keys import BAD_KEYS

KEY = document_key("doc1", "content.json")


async def test_round_trip(storage: Storage, tmp_path: Path) -> None:
    data = b'{"title": "Hello"}' * 1000

    stored = await storage.put_bytes(KEY, data, "application/json")

    assert stored.key == KEY
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert await storage.exists(KEY)
    assert await storage.size(KEY) == len(data)
    assert await storage.get_bytes(KEY) == data
    assert b"".join([chunk async for chunk in storage.open_read(KEY)]) == data
    destination = tmp_path / "work" / "content.json"
    destination.parent.mkdir()
    assert await storage.download_to(KEY, destination) == len(data)
    assert destination.read_bytes() == data
    assert [p.name for p in destination.parent.iterdir()] == ["content.json"]  # no temp file left


async def test_a_download_keeps_what_it_got(storage: Storage, tmp_path: Path) -> None:
    """A downloaded file is a snapshot (local storage may hard-link it): later writes and a
    delete of the object leave it as it was."""
    await storage.put_bytes(KEY, b"first")
    destination = tmp_path / "work.json"
    await storage.download_to(KEY, destination)
    await storage.put_bytes(KEY, b"second")
    assert destination.read_bytes() == b"first"
    await storage.delete(KEY)
    assert destination.read_bytes() == b"first"
    destination.unlink()
    assert not await storage.exists(KEY)


async def test_a_download_copies_where_it_cannot_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Local storage links within one file system; elsewhere (here: links refused) it copies."""
    storage = LocalStorage(tmp_path / "files")

    def refuse(source: object, target: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    await storage.put_bytes(KEY, b"content")
    monkeypatch.setattr(os, "link", refuse)
    destination = tmp_path / "copy.json"
    assert await storage.download_to(KEY, destination) == len(b"content")
    assert destination.read_bytes() == b"content"
    assert os.stat(destination).st_ino != os.stat(storage.path_of(KEY)).st_ino


async def test_put_overwrites(storage: Storage) -> None:
    await storage.put_bytes(KEY, b"first")
    await storage.put_bytes(KEY, b"second")
    assert await storage.get_bytes(KEY) == b"second"


async def test_empty_object(storage: Storage) -> None:
    await storage.put_bytes(KEY, b"")
    assert await storage.exists(KEY)
    assert await storage.size(KEY) == 0
    assert await storage.get_bytes(KEY) == b""


async def test_delete(storage: Storage) -> None:
    await storage.put_bytes(KEY, b"x")
    await storage.delete(KEY)
    assert not await storage.exists(KEY)
    await storage.delete(KEY)  # a missing key is fine


async def test_missing_object(storage: Storage, tmp_path: Path) -> None:
    missing = document_key("nope", "original.pdf")

    assert not await storage.exists(missing)
    assert await storage.size(missing) is None
    with pytest.raises(StorageNotFound) as caught:
        await storage.get_bytes(missing)
    assert isinstance(caught.value, NotFound)
    assert caught.value.code == "NOT_FOUND"
    with pytest.raises(StorageNotFound):
        await storage.download_to(missing, tmp_path / "out.pdf")
    assert [name for name in os.listdir(tmp_path) if "out.pdf" in name] == []
    with pytest.raises(StorageNotFound):
        async for _chunk in storage.open_read(missing):
            pass


async def test_a_folder_is_not_an_object(storage: Storage) -> None:
    await storage.put_bytes(KEY, b"x")
    assert not await storage.exists("documents/doc1")
    assert await storage.size("documents/doc1") is None
    with pytest.raises(StorageNotFound):
        await storage.get_bytes("documents/doc1")


async def test_open_read_can_stop_early(storage: Storage) -> None:
    data = bytes(range(256)) * 16 * 1024  # 4 MiB: several read chunks
    await storage.put_bytes(KEY, data)

    reader = storage.open_read(KEY)
    first = await anext(reader)
    await reader.aclose()  # type: ignore[attr-defined]

    assert data.startswith(first)
    # The storage still works after a reader walked away mid-object.
    assert await storage.get_bytes(KEY) == data


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_keys_escaping_the_root_are_rejected(storage: Storage, tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        await storage.put_bytes(key, b"x")
    with pytest.raises(ValueError):
        await storage.get_bytes(key)
    with pytest.raises(ValueError):
        await storage.exists(key)
    with pytest.raises(ValueError):
        await storage.delete(key)
    with pytest.raises(ValueError):
        await storage.download_to(key, tmp_path / "out")
    with pytest.raises(ValueError):
        await storage.presigned_url(key, 60, "a.pdf")
    assert not (tmp_path / "x").exists()
    assert not (tmp_path.parent / "x").exists()


@pytest.mark.parametrize("prefix", ["", "/", "../", "documents/../.."])
async def test_prefixes_escaping_the_root_are_rejected(storage: Storage, prefix: str) -> None:
    with pytest.raises(ValueError):
        await storage.delete_prefix(prefix)
