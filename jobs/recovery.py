"""No job is lost: the sweep that finds runs whose worker died and runs them again.

    report = await sweep(resources)                    # one pass
    async with start_recovery(resources): ...          # a pass every recovery_interval_seconds

Every worker process runs the periodic sweep (jobs/worker.py), and so does the
embedded API for its in-process queue (docat/resources.py). Two cases:

- PROCESSING with a heartbeat older than `job_stale_seconds`: its worker was
  killed (SIGKILL, OOM, a lost machine) or hung. arq would only hand the job
  out again once its in-progress key expires (job timeout + 10 s, half an hour
  by default), so the sweep does it: the document gets a new run (run + 1,
  attempts + 1) and the queue a job for it carrying the old job's encrypted
  password (`JobQueue.requeue`). A late write of the old run changes nothing:
  every write of a job is conditional on its run.
- QUEUED, queued (heartbeat_at, stamped by the queue) longer than that, and the
  queue has no job for the run: Redis lost it, or the job timed out. Same
  treatment.

Embedded mode is different: its one process is the only runner, and a
running in-process queue cannot lose a job. So its first sweep, at start-up,
takes every QUEUED and PROCESSING document at once, however fresh (nothing
can be running them: the previous process is gone), and later sweeps only
look for hung runs. The first sweep completes before `start_recovery`
returns, so the API takes no upload while it runs.

A dead worker is found within seconds, before `job_stale_seconds`: each
worker lists the runs it holds beside its heartbeat in Redis (docat/heartbeat.py,
expiring after TTL_SECONDS), and every `DEAD_WORKER_CHECK_SECONDS` the recovery
pass takes over the PROCESSING runs whose database heartbeat is older than
`DEAD_AFTER_SECONDS` and which no live worker lists. Both must hold: a live
worker cut off from PostgreSQL still lists its run (its job waits the outage
out, jobs/outages.py), and a run claimed a moment ago has a fresh heartbeat.
Without Redis (unreachable, or embedded mode) only the slow path runs.

A re-queued run resumes: the pages the dead run saved are handed to the new
run in the same transaction (DocumentPage.run), its progress is kept, and
subscribers get a QUEUED event with stage RECOVERING and the new `attempt`, so
progress never goes back without a visible reason. A late write of the old
run cannot touch the new one (every write is conditional on the run).

A document already interrupted `job_max_attempts - 1` times is FAILED instead
(INTERNAL "processing was interrupted repeatedly"), charged for the pages its
last run saved. Each transition is one conditional UPDATE on (id, run,
status): when two sweepers see the same document, exactly one changes it and
only that one enqueues. A cancelled document is ended CANCELLED, not re-run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from docat.heartbeat import RedisHeartbeats, RunRegistry
from docat.resources import Resources
from jobs.outcome import RunEnd, end_run
from jobs.progress import ProgressPublisher
from models import Document, DocumentPage, JobStage, JobStatus, LogLevel, ProcessingLog

logger = logging.getLogger(__name__)

INTERRUPTED_MESSAGE = "processing was interrupted repeatedly"
# Documents looked at per pass; a backlog drains over the next passes.
BATCH = 200
# The fast pass: how often, and how old a run's database heartbeat (written every half second
# by its job) must be before a run no live worker lists counts as dead.
DEAD_WORKER_CHECK_SECONDS = 2.0
DEAD_AFTER_SECONDS = 5.0
WORKER_DIED = "its worker stopped responding"


@dataclass(slots=True)
class SweepReport:
    requeued: int = 0
    failed: int = 0
    cancelled: int = 0


async def sweep(
    resources: Resources,
    *,
    queued: bool = True,
    now: datetime | None = None,
    only: Collection[uuid.UUID] | None = None,
    stale_seconds: float | None = None,
) -> SweepReport:
    """One pass over stale PROCESSING runs and (with `queued`) QUEUED runs without a job.

    `stale_seconds` overrides `job_stale_seconds` (0: every run is stale, for a process
    that knows nothing else runs jobs); `only` limits the pass to some documents (an
    operator's "recover this one now", tests)."""
    settings = resources.settings
    moment = now or datetime.now(UTC)
    threshold = settings.job_stale_seconds if stale_seconds is None else stale_seconds
    cutoff = moment - timedelta(seconds=threshold)
    report = SweepReport()
    # A heartbeat is written at claim time; a row without one counts from its creation.
    stale = Q(heartbeat_at__lte=cutoff) | Q(heartbeat_at__isnull=True, created_at__lte=cutoff)
    if only is not None:
        stale &= Q(id__in=list(only))
    processing = (
        await Document.filter(stale, status=JobStatus.PROCESSING).order_by("heartbeat_at").limit(BATCH)
    )
    for document in processing:
        await _recover(resources, document, WORKER_DIED, report)
    if queued:
        waiting = await Document.filter(stale, status=JobStatus.QUEUED).order_by("created_at").limit(BATCH)
        for document in waiting:
            if not await resources.queue.pending(document.id, document.run):
                await _recover(resources, document, "its queued job was lost", report)
    if report.requeued or report.failed or report.cancelled:
        logger.warning(
            "recovery: %d re-queued, %d failed, %d cancelled",
            report.requeued,
            report.failed,
            report.cancelled,
        )
    return report


async def sweep_dead_workers(resources: Resources, heartbeats: RedisHeartbeats) -> SweepReport:
    """The fast pass: PROCESSING runs gone quiet whose worker no longer lists them."""
    report = SweepReport()
    cutoff = datetime.now(UTC) - timedelta(seconds=DEAD_AFTER_SECONDS)
    quiet = (
        await Document.filter(status=JobStatus.PROCESSING, heartbeat_at__lte=cutoff)
        .order_by("heartbeat_at")
        .limit(BATCH)
    )
    if not quiet:
        return report
    # Read after the rows: a run listed now was alive when its row was read.
    claimed = await heartbeats.claimed_runs()
    for document in quiet:
        if RunRegistry.label(document.id, document.run) not in claimed:
            await _recover(resources, document, WORKER_DIED, report)
    if report.requeued or report.failed or report.cancelled:
        logger.warning(
            "recovery: runs of dead workers: %d re-queued, %d failed, %d cancelled",
            report.requeued,
            report.failed,
            report.cancelled,
        )
    return report


async def _recover(resources: Resources, document: Document, why: str, report: SweepReport) -> None:
    settings = resources.settings
    run, status = document.run, document.status
    if document.cancel_requested:
        if await end_run(
            resources,
            document,
            run,
            RunEnd(JobStatus.CANCELLED, document.stage, document.progress, f"Cancelled ({why})"),
        ):
            report.cancelled += 1
        return
    if document.attempts + 1 >= settings.job_max_attempts:
        if await end_run(
            resources,
            document,
            run,
            RunEnd(
                JobStatus.FAILED,
                document.stage,
                document.progress,
                f"Failed: INTERNAL: {INTERRUPTED_MESSAGE} ({why})",
                error_code="INTERNAL",
                error_message=INTERRUPTED_MESSAGE,
            ),
        ):
            report.failed += 1
        return
    now = datetime.now(UTC)
    attempt = document.attempts + 2
    async with in_transaction():
        moved = await Document.filter(id=document.id, run=run, status=status).update(
            status=JobStatus.QUEUED,
            stage=JobStage.RECOVERING,
            run=run + 1,
            attempts=document.attempts + 1,
            # Kept: the new run resumes after the pages below, so progress need not go back.
            progress=document.progress,
            heartbeat_at=now,
            started_at=None,
        )
        if not moved:
            return  # another sweeper, the job itself or the user got there first
        # The dead run's pages become the new run's: it resumes after them, and they are
        # charged once, with the run that ends.
        kept = await DocumentPage.filter(document_id=document.id, run=run).update(run=run + 1)
        await ProcessingLog.create(
            document_id=document.id,
            level=LogLevel.WARNING,
            stage=JobStage.RECOVERING,
            message=f"Re-queued because {why} (attempt {attempt} of {settings.job_max_attempts})"
            + (f"; resuming after {kept} pages already done" if kept else ""),
        )
    publisher = ProgressPublisher(resources.bus, document.id, document.owner_id, run=run + 1, attempt=attempt)
    await publisher.progress(
        JobStatus.QUEUED,
        JobStage.RECOVERING,
        document.progress,
        page_count=document.page_count,
        message=f"Recovering: {why}; attempt {attempt} resumes after {kept} pages",
    )
    await resources.queue.requeue(document.id, run, run + 1)
    report.requeued += 1


async def _sweep_once(resources: Resources, **options: Any) -> None:
    try:
        await sweep(resources, **options)
    except Exception:  # the database is away now; the next pass tries again
        logger.exception("recovery sweep failed")


async def _sweep_forever(resources: Resources) -> None:
    # With Redis a job can be lost outside this process (a Redis restart, a timed-out job):
    # QUEUED documents are checked on every pass. In-process, only at start-up.
    every_pass = resources.settings.redis_url is not None
    while True:
        await asyncio.sleep(resources.settings.recovery_interval_seconds)
        await _sweep_once(resources, queued=every_pass)


async def _watch_workers(resources: Resources, heartbeats: RedisHeartbeats) -> None:
    while True:
        await asyncio.sleep(DEAD_WORKER_CHECK_SECONDS)
        try:
            await sweep_dead_workers(resources, heartbeats)
        except Exception as exc:  # Redis or the database away: the slow sweep still covers it
            logger.warning("dead-worker check failed: %r", exc)


@contextlib.asynccontextmanager
async def start_recovery(resources: Resources) -> AsyncIterator[None]:
    """Sweep now (before returning), then every `recovery_interval_seconds` until exit; with
    Redis, also look for dead workers every `DEAD_WORKER_CHECK_SECONDS`."""
    if resources.settings.redis_url is None:
        await _sweep_once(resources, queued=True, stale_seconds=0)  # the only runner: all orphans
    else:
        await _sweep_once(resources, queued=True)
    tasks = [asyncio.create_task(_sweep_forever(resources), name="docat-recovery")]
    redis = getattr(resources.queue, "redis", None)
    if redis is not None:
        tasks.append(
            asyncio.create_task(_watch_workers(resources, RedisHeartbeats(redis)), name="docat-dead-workers")
        )
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
