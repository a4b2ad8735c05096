"""Retention: expired finished documents and their files go; recent or running ones stay; old temp files go."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

from docat.admin_settings import clear_cache, set_setting
from docat.resources import Resources
from docat.storage import Storage, document_key
from jobs.retention import (
    delete_expired_documents,
    remove_old_temp_files,
    sweep_lock,
    sweep_retention,
    temp_dir,
)
from models import Document, DocumentPage, JobStatus, ProcessingLog, User
from models.credits import CreditLog

NOW = datetime.now(UTC)
RETENTION_DAYS = 30
OLD = NOW - timedelta(days=RETENTION_DAYS + 10)
RECENT = NOW - timedelta(days=RETENTION_DAYS - 10)


@pytest.fixture
async def resources(app: Starlette) -> AsyncIterator[Resources]:
    """The app's resources, with its own periodic sweep held off while a test sweeps."""
    resources: Resources = app.state.resources
    async with sweep_lock(resources):
        yield resources


async def make_document(
    storage: Storage,
    owner: User,
    status: JobStatus,
    finished_at: datetime | None,
    created_at: datetime | None = None,
) -> Document:
    content = f"%PDF-1.7 {uuid.uuid4()}".encode()
    document = await Document.create(
        owner=owner,
        filename="report.pdf",
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        status=status,
        finished_at=finished_at,
    )
    if created_at is not None:
        await Document.filter(id=document.id).update(created_at=created_at)
    await storage.put_bytes(document_key(str(document.id), "original.pdf"), content)
    await storage.put_bytes(document_key(str(document.id), "content.json"), b"{}")
    await DocumentPage.create(document=document, page=1, page_count=1, blocks=[])
    await ProcessingLog.create(document=document, message="done")
    return document


async def files_of(storage: Storage, document: Document) -> list[bool]:
    return [
        await storage.exists(document_key(str(document.id), name))
        for name in ("original.pdf", "content.json")
    ]


async def exists(document: Document) -> bool:
    return await Document.exists(id=document.id)


async def test_expired_documents_go_with_their_files_recent_and_running_stay(
    resources: Resources, user: User
) -> None:
    storage = resources.storage
    expired = [
        await make_document(storage, user, status, OLD)
        for status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)
    ]
    # A terminal row that never got a finished_at ages from its creation.
    undated = await make_document(storage, user, JobStatus.CANCELLED, None, created_at=OLD)
    recent = await make_document(storage, user, JobStatus.COMPLETED, RECENT)
    # Long-running or long-queued jobs are the recovery sweep's, never retention's.
    running = await make_document(storage, user, JobStatus.PROCESSING, None, created_at=OLD)
    queued = await make_document(storage, user, JobStatus.QUEUED, None, created_at=OLD)
    # A re-run of an old document: PROCESSING again, its old finished_at still set.
    rerun = await make_document(storage, user, JobStatus.PROCESSING, OLD, created_at=OLD)
    credit = await CreditLog.create(
        user=user, document=expired[0], amount=3, balance_after=0, description="ops test"
    )

    report = await delete_expired_documents(storage, RETENTION_DAYS, now=NOW)

    assert report.documents_deleted >= 4
    assert report.files_deleted >= 8
    for document in [*expired, undated]:
        assert not await exists(document)
        assert await files_of(storage, document) == [False, False]
        assert not await DocumentPage.exists(document_id=document.id)
        assert not await ProcessingLog.exists(document_id=document.id)
    for document in (recent, running, queued, rerun):
        assert await exists(document)
        assert await files_of(storage, document) == [True, True]
        assert await ProcessingLog.exists(document_id=document.id)
    # Credit history outlives the document.
    await credit.refresh_from_db()
    assert credit.document_id is None


async def test_batches_are_bounded_and_the_rest_waits_for_the_next_run(
    resources: Resources, user: User
) -> None:
    storage = resources.storage
    # Older than anything another test leaves behind, so these are the first in line.
    ancient = NOW - timedelta(days=3650)
    documents = [await make_document(storage, user, JobStatus.COMPLETED, ancient) for _ in range(3)]

    first = await delete_expired_documents(storage, RETENTION_DAYS, now=NOW, batch_size=2, max_batches=1)
    assert first.documents_deleted == 2
    assert first.more_left
    assert [await exists(d) for d in documents].count(True) == 1

    await delete_expired_documents(storage, RETENTION_DAYS, now=NOW)
    assert not any([await exists(d) for d in documents])


async def test_a_storage_failure_keeps_the_row_for_the_next_run(resources: Resources, user: User) -> None:
    document = await make_document(resources.storage, user, JobStatus.COMPLETED, OLD)

    class BrokenStorage:
        async def delete_prefix(self, prefix: str) -> int:
            raise ConnectionError("object store unreachable")

    report = await delete_expired_documents(BrokenStorage(), RETENTION_DAYS, now=NOW)  # type: ignore[arg-type]
    # Logged and skipped, the sweep went on; the row and files wait for the next run.
    assert await exists(document)
    assert report.more_left is False

    await delete_expired_documents(resources.storage, RETENTION_DAYS, now=NOW)
    assert not await exists(document)
    assert await files_of(resources.storage, document) == [False, False]


@pytest.mark.backend("postgres")  # row locks: SQLite serializes writers instead
async def test_a_row_locked_by_another_transaction_is_skipped(resources: Resources, user: User) -> None:
    document = await make_document(resources.storage, user, JobStatus.COMPLETED, OLD)
    locked = asyncio.Event()
    release = asyncio.Event()

    async def hold_lock() -> None:
        # Another process re-running the document at this very moment holds its row.
        async with in_transaction():
            await Document.filter(id=document.id).select_for_update().only("id")
            locked.set()
            await release.wait()

    holder = asyncio.create_task(hold_lock())
    try:
        await asyncio.wait_for(locked.wait(), 30)
        await asyncio.wait_for(delete_expired_documents(resources.storage, RETENTION_DAYS, now=NOW), 30)
        assert await exists(document)
        assert await files_of(resources.storage, document) == [True, True]
    finally:
        release.set()
        await holder
    await delete_expired_documents(resources.storage, RETENTION_DAYS, now=NOW)
    assert not await exists(document)


def age_file(path: Path, hours: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"scratch")
    when = time.time() - hours * 3600
    os.utime(path, (when, when))


async def test_temp_files_older_than_a_day_are_removed(tmp_path: Path) -> None:
    root = tmp_path / "tmp"
    old = root / "job-1" / "original.pdf"
    old_top = root / "render.png"
    fresh = root / "job-2" / "original.pdf"
    age_file(old, 25)
    age_file(old_top, 48)
    age_file(fresh, 1)
    empty_old = root / "job-3"
    empty_old.mkdir()
    when = time.time() - 30 * 3600
    os.utime(empty_old, (when, when))
    empty_fresh = root / "job-4"
    empty_fresh.mkdir()  # a job about to write here

    removed = await remove_old_temp_files(root)

    assert removed == 2
    assert not old.exists()
    assert not old_top.exists()
    assert not old.parent.exists()  # emptied by this pass
    assert not empty_old.exists()
    assert empty_fresh.is_dir()
    assert fresh.exists()
    assert root.is_dir()
    assert await remove_old_temp_files(tmp_path / "missing") == 0


async def test_the_sweep_reads_retention_days_from_the_admin_settings(app: Starlette, user: User) -> None:
    # No `resources` fixture: this test runs the locked sweep itself. Should the app's own
    # periodic sweep run meanwhile, it waits for the lock and then finds nothing left.
    resources: Resources = app.state.resources
    storage = resources.storage
    ten_days = await make_document(storage, user, JobStatus.COMPLETED, NOW - timedelta(days=10))
    age_file(temp_dir(resources.settings) / "stale.bin", 30)
    try:
        await set_setting("retention_days", "5")
        report = await sweep_retention(resources)
    finally:
        await set_setting("retention_days", None)
        clear_cache()
    assert report.temp_files_removed >= 1
    assert report.documents_deleted >= 1
    assert not (temp_dir(resources.settings) / "stale.bin").exists()
    assert not await exists(ten_days)
    assert await files_of(storage, ten_days) == [False, False]
