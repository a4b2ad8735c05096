"""Presigned downloads, the health round trip and the factory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from docat.settings import Settings, load_settings
from docat.storage import LocalStorage, Storage, StorageUnavailable, document_key, open_storage
from docat.storage.s3 import S3Storage
from tests.fixtures.s3_server import s3_settings

KEY = document_key("doc1", "translated.pdf")


async def test_presigned_url_downloads_as_attachment(storage: Storage) -> None:
    data = b"%PDF-1.7 fake"
    await storage.put_bytes(KEY, data, "application/pdf")

    url = await storage.presigned_url(KEY, 300, "Bericht über Q3.pdf", "application/pdf")

    if isinstance(storage, LocalStorage):
        assert url is None  # the API signs its own /files links
        return
    assert url is not None
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Bericht%20%C3%BCber%20Q3.pdf" in disposition


async def test_presigned_url_is_signed(storage: Storage) -> None:
    if not isinstance(storage, S3Storage):
        return
    await storage.put_bytes(KEY, b"x")
    url = await storage.presigned_url(KEY, 300, "a.pdf")
    assert url is not None
    tampered = url.replace(KEY, document_key("doc2", "translated.pdf"))
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(tampered)
    assert response.status_code == 403


async def test_check_round_trips_and_cleans_up(storage: Storage) -> None:
    await storage.check()
    assert await storage.list_older_than("health/", datetime.now(UTC) + timedelta(days=1)) == []


async def test_check_fails_on_a_missing_bucket(s3_endpoint: str, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, **s3_settings("docat-no-such-bucket", s3_endpoint))
    storage = await open_storage(settings)
    try:
        with pytest.raises(StorageUnavailable):
            await storage.check()
    finally:
        await storage.close()


async def test_check_fails_when_the_folder_is_unusable(tmp_path: Path) -> None:
    root = tmp_path / "files"
    storage = await open_storage(load_settings(data_dir=tmp_path, s3_bucket=None))
    # Replace the folder with a plain file: every write under it now fails.
    root.rmdir()
    root.write_bytes(b"")
    with pytest.raises(StorageUnavailable):
        await storage.check()


async def test_factory_picks_the_backend(storage: Storage, storage_settings: Settings) -> None:
    if storage_settings.s3_bucket:
        assert isinstance(storage, S3Storage)
        assert storage.bucket == storage_settings.s3_bucket
    else:
        assert isinstance(storage, LocalStorage)
        assert storage.root == storage_settings.files_dir.resolve()
    assert isinstance(storage, Storage)
