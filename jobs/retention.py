"""Retention: forget what users no longer need, in small bounded steps.

    report = await sweep_retention(resources)      # arq cron (worker) or periodic_retention (embedded)

Two things go:

- temporary files under DATA_DIR/tmp (downloads a job works on, partial
  renders) last modified more than 24 hours ago: a crashed job leaves them
  behind, a running one keeps touching its own;
- documents that finished (COMPLETED, FAILED or CANCELLED) more than the
  `retention_days` admin setting ago: their stored files
  (`storage.delete_prefix(document_prefix(id))`) and their row, whose pages and
  processing logs go with it (ON DELETE CASCADE; credit logs keep their history
  with the document set to NULL).

Nothing QUEUED or PROCESSING is ever touched: a job stuck past its timeout is
the recovery sweep's to fail (jobs/recovery.py); once FAILED it ages like any
other finished document.

Each document is deleted in its own short transaction that first locks its row
(PostgreSQL `FOR UPDATE SKIP LOCKED`): a re-run that flips the document back to
QUEUED at the same moment either waits for us and then finds no row, or holds
the row and we skip it. Files go before the row, so a storage error leaves the
row in place and the next sweep retries; no file is ever orphaned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from docat.admin_settings import get_setting
from docat.background import running
from docat.resources import Resources
from docat.settings import Settings
from docat.storage import Storage, document_prefix
from models import Document
from models.documents import TERMINAL_STATUSES

log = logging.getLogger(__name__)

TEMP_MAX_AGE = timedelta(hours=24)
# Rows per query, and queries per sweep: one sweep never runs for long, and a
# backlog (the first sweep after lowering retention_days) drains over a few runs.
BATCH_SIZE = 100
MAX_BATCHES = 20


@dataclass(frozen=True, slots=True)
class RetentionReport:
    temp_files_removed: int = 0
    documents_deleted: int = 0
    files_deleted: int = 0
    # True when the batch limit stopped the sweep with expired documents left.
    more_left: bool = False


def temp_dir(settings: Settings) -> Path:
    """Where jobs put scratch files; shared by every process on one host or volume."""
    return settings.data_dir / "tmp"


# ---- temporary files -------------------------------------------------------


def _remove_old_files(root: Path, cutoff: float) -> int:
    if not root.is_dir():
        return 0  # nothing written there yet
    removed = 0
    emptied: set[str] = set()
    # Bottom-up, so folders emptied by this pass can go too; symlinks are never followed.
    for folder, dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames:
            path = os.path.join(folder, name)
            try:
                if os.lstat(path).st_mtime < cutoff:
                    os.unlink(path)
                    removed += 1
                    emptied.add(folder)
            except FileNotFoundError:
                continue  # removed by its own job meanwhile
        for name in dirnames:
            path = os.path.join(folder, name)
            try:
                # Only folders this pass emptied, or old ones: a job may have just made a fresh one.
                if path in emptied or os.lstat(path).st_mtime < cutoff:
                    os.rmdir(path)  # fails unless empty
                    emptied.add(folder)
            except OSError:
                continue  # not empty, or gone
    return removed


async def remove_old_temp_files(
    root: Path, max_age: timedelta = TEMP_MAX_AGE, now: float | None = None
) -> int:
    """Delete files under `root` last modified more than `max_age` ago; returns how many."""
    cutoff = (time.time() if now is None else now) - max_age.total_seconds()
    return await asyncio.to_thread(_remove_old_files, root, cutoff)


# ---- expired documents -----------------------------------------------------


def _expired(cutoff: datetime) -> Q:
    """Finished before `cutoff`; a terminal row without finished_at (cancelled before it
    started, written by older code) ages from its creation instead."""
    return Q(status__in=TERMINAL_STATUSES) & (
        Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff)
    )


async def _delete_document(storage: Storage, document_id: uuid.UUID, cutoff: datetime) -> int | None:
    """Files then row of one expired document; None when it is no longer eligible."""
    async with in_transaction():
        # Re-checked under the lock: it may have been re-queued since the batch was read.
        # A model query, not values_list(): Tortoise adds FOR UPDATE to model queries only.
        locked = (
            await Document.filter(_expired(cutoff), id=document_id)
            .select_for_update(skip_locked=True)
            .only("id")
        )
        if not locked:
            return None
        files = await storage.delete_prefix(document_prefix(str(document_id)))
        await Document.filter(id=document_id).delete()
        return files


async def delete_expired_documents(
    storage: Storage,
    retention_days: int,
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    max_batches: int = MAX_BATCHES,
) -> RetentionReport:
    """Delete documents finished more than `retention_days` ago, oldest first, at most
    `batch_size * max_batches` of them."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    documents = files = 0
    skipped: set[uuid.UUID] = set()
    for _ in range(max_batches):
        query = Document.filter(_expired(cutoff))
        if skipped:
            query = query.exclude(id__in=skipped)
        batch = await query.order_by("finished_at", "created_at").limit(batch_size).only("id")
        if not batch:
            return RetentionReport(documents_deleted=documents, files_deleted=files)
        for document_id in (row.id for row in batch):
            try:
                removed = await _delete_document(storage, document_id, cutoff)
            except Exception:
                # One bad object store answer must not stop the sweep; the row stays for next time.
                log.exception("retention: document %s not deleted", document_id)
                removed = None
            if removed is None:
                skipped.add(document_id)
                continue
            documents += 1
            files += removed
    return RetentionReport(documents_deleted=documents, files_deleted=files, more_left=True)


# ---- the sweep -------------------------------------------------------------


class SweepLock(asyncio.Lock):
    """One retention sweep at a time in a process."""


def sweep_lock(resources: Resources) -> asyncio.Lock:
    """One sweep at a time in a process; tests hold it to keep the embedded periodic sweep
    (periodic_retention, started by jobs/host.py) from running in the middle of their own."""
    return resources.shared(SweepLock, SweepLock)


async def sweep_retention(resources: Resources, *, now: datetime | None = None) -> RetentionReport:
    """One full pass: old temp files, then expired documents."""
    async with sweep_lock(resources):
        return await _sweep(resources, now)


async def _sweep(resources: Resources, now: datetime | None) -> RetentionReport:
    settings = resources.settings
    moment = now or datetime.now(UTC)
    temp_removed = await remove_old_temp_files(temp_dir(settings), now=moment.timestamp())
    retention_days = int(await get_setting(settings, "retention_days"))
    expired = await delete_expired_documents(resources.storage, retention_days, now=moment)
    report = RetentionReport(
        temp_files_removed=temp_removed,
        documents_deleted=expired.documents_deleted,
        files_deleted=expired.files_deleted,
        more_left=expired.more_left,
    )
    if temp_removed or expired.documents_deleted or expired.more_left:
        log.info(
            "retention: removed %d temp files, %d documents (%d files)%s",
            report.temp_files_removed,
            report.documents_deleted,
            report.files_deleted,
            "; more left for the next run" if report.more_left else "",
        )
    return report


__all__ = [
    "BATCH_SIZE",
    "TEMP_MAX_AGE",
    "RetentionReport",
    "delete_expired_documents",
    "periodic_retention",
    "remove_old_temp_files",
    "sweep_lock",
    "sweep_retention",
    "temp_dir",
]


# Embedded: the first sweep a minute after start-up, so a restart loop does not sweep in a loop.
RETENTION_INTERVAL_SECONDS = 3600.0
RETENTION_FIRST_DELAY_SECONDS = 60.0


async def _retention_forever(resources: Resources, interval: float, first_delay: float) -> None:
    await asyncio.sleep(first_delay)
    while True:
        try:
            await sweep_retention(resources)
        except Exception:  # the database is down now; the next run retries
            log.exception("retention sweep failed")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def periodic_retention(
    resources: Resources,
    interval: float = RETENTION_INTERVAL_SECONDS,
    first_delay: float = RETENTION_FIRST_DELAY_SECONDS,
) -> AsyncIterator[None]:
    """The embedded stand-in for the worker's retention cron."""
    async with running(_retention_forever(resources, interval, first_delay), name="docat-retention"):
        yield
