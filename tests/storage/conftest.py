"""A `storage` fixture run once per backend: a tmp_path folder and a fresh moto bucket.

pytest_plugins may only be declared in the root conftest, so the S3 server
fixtures are imported here by name.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from docat.settings import Settings, load_settings
from docat.storage import LocalStorage, Storage, open_storage
from docat.storage.s3 import S3Storage
from tests.fixtures.s3_server import s3_admin_client, s3_bucket, s3_endpoint, s3_settings  # noqa: F401

AssertNothingStored = Callable[[], Awaitable[None]]


@pytest.fixture(params=["local", "s3"])
def storage_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        endpoint = request.getfixturevalue("s3_endpoint")
        return load_settings(data_dir=tmp_path, **s3_settings(bucket, endpoint))
    # Explicitly unset, so an S3_BUCKET in the environment cannot redirect the local case.
    return load_settings(data_dir=tmp_path, s3_bucket=None)


@pytest.fixture
async def storage(storage_settings: Settings) -> AsyncIterator[Storage]:
    store = await open_storage(storage_settings)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def assert_nothing_stored(storage: Storage, storage_settings: Settings) -> AssertNothingStored:
    """Check the backend holds no object, no temp file and no unfinished multipart upload."""

    async def check() -> None:
        if isinstance(storage, LocalStorage):
            leftovers = [
                os.path.join(folder, name) for folder, _dirs, files in os.walk(storage.root) for name in files
            ]
            assert leftovers == []
        else:
            assert isinstance(storage, S3Storage)
            assert storage_settings.s3_endpoint_url
            client = s3_admin_client(storage_settings.s3_endpoint_url)
            try:
                assert client.list_objects_v2(Bucket=storage.bucket).get("Contents", []) == []
                assert client.list_multipart_uploads(Bucket=storage.bucket).get("Uploads", []) == []
            finally:
                client.close()

    return check
