"""The recovery sweep: stale runs re-queued once, repeated interruptions FAILED, lost queued runs found.

The documents here look stale only to a sweep that thinks it is an hour
later (`now=`), and each sweep is limited to them (`only=`): the app's own
periodic sweep, which runs meanwhile with the real clock, leaves them alone,
and so does this test with everybody else's documents.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from docat import credits
from docat.heartbeat import RunRegistry
from docat.resources import Resources
from jobs.recovery import DEAD_AFTER_SECONDS, INTERRUPTED_MESSAGE, sweep, sweep_dead_workers
from models import CreditLog, Document, DocumentPage, JobStage, JobStatus, ProcessingLog, User
from tests.jobs import pdfs
from tests.jobs.conftest import wait_terminal

LATER = timedelta(hours=1)


@dataclasses.dataclass
class FakeQueue:
    """Records what the sweep asks of the queue; `lost` runs have no job."""

    lost: set[tuple[uuid.UUID, int]] = dataclasses.field(default_factory=set)
    requeued: list[tuple[uuid.UUID, int, int]] = dataclasses.field(default_factory=list)

    async def enqueue(self, document_id: uuid.UUID, run: int, *, password: str | None = None) -> None:
        raise AssertionError("the sweep re-queues, it never enqueues")

    async def cancel(self, document_id: uuid.UUID) -> None:
        pass

    async def depth(self) -> int:
        return 0

    async def close(self) -> None:
        pass

    async def pending(self, document_id: uuid.UUID, run: int) -> bool:
        return (document_id, run) not in self.lost

    async def requeue(self, document_id: uuid.UUID, old_run: int, new_run: int) -> None:
        await asyncio.sleep(0)  # let a concurrent sweep interleave
        self.requeued.append((document_id, old_run, new_run))


@pytest.fixture
def fake(resources: Resources) -> tuple[Resources, FakeQueue]:
    queue = FakeQueue()
    return dataclasses.replace(resources, queue=queue), queue


async def stuck(make_document: Any, *, status: JobStatus = JobStatus.PROCESSING, **fields: Any) -> Document:
    """A run that stopped beating just now (stale only to a sweep an hour ahead)."""
    fields.setdefault("heartbeat_at", datetime.now(UTC))
    doc: Document = await make_document(
        pdfs.text(1), status=status, stage=JobStage.EXTRACTING, progress=0.4, **fields
    )
    return doc


async def test_a_stale_run_is_requeued_as_a_new_run(
    fake: tuple[Resources, FakeQueue], make_document: Any
) -> None:
    resources, queue = fake
    doc = await stuck(make_document)
    fresh = await make_document(
        pdfs.text(1), status=JobStatus.PROCESSING, heartbeat_at=datetime.now(UTC) + LATER
    )

    report = await sweep(resources, now=datetime.now(UTC) + LATER, only=[doc.id, fresh.id])

    assert report.requeued == 1 and queue.requeued == [(doc.id, 0, 1)]
    row = await Document.get(id=doc.id)
    # RECOVERING, progress kept: the new run resumes after the pages the old one saved.
    assert (row.status, row.stage, row.run, row.attempts, row.progress) == (
        JobStatus.QUEUED,
        JobStage.RECOVERING,
        1,
        1,
        doc.progress,
    )
    log = await ProcessingLog.filter(document_id=doc.id).order_by("-id").first()
    assert log is not None and "attempt 2 of 3" in log.message
    assert (await Document.get(id=fresh.id)).run == 0  # still beating: left alone


async def test_two_sweepers_requeue_a_run_once(fake: tuple[Resources, FakeQueue], make_document: Any) -> None:
    resources, queue = fake
    doc = await stuck(make_document)
    later = datetime.now(UTC) + LATER
    reports = await asyncio.gather(*(sweep(resources, now=later, only=[doc.id]) for _ in range(3)))
    assert sum(r.requeued for r in reports) == 1
    assert queue.requeued == [(doc.id, 0, 1)]
    assert (await Document.get(id=doc.id)).run == 1


async def test_repeated_interruptions_fail_the_document(
    fake: tuple[Resources, FakeQueue], make_document: Any, user: User
) -> None:
    resources, queue = fake
    doc = await stuck(make_document, attempts=2, run=2)
    await credits.reserve(resources.settings, user.id, doc.id, 10)
    # The last run had done one OCR page before its worker died: it is charged.
    await DocumentPage.create(document_id=doc.id, run=2, page=1, page_count=1, blocks=[], ocr=True)

    report = await sweep(resources, now=datetime.now(UTC) + LATER, only=[doc.id])

    assert (report.failed, report.requeued, queue.requeued) == (1, 0, [])
    row = await Document.get(id=doc.id)
    assert (row.status, row.error_code, row.error_message) == (
        JobStatus.FAILED,
        "INTERNAL",
        INTERRUPTED_MESSAGE,
    )
    assert (row.credits_used, row.credits_reserved) == (5, 0)
    await user.refresh_from_db()
    assert (user.credits_used, user.credits_reserved) == (5, 0)
    assert [c.amount for c in await CreditLog.filter(document_id=doc.id)] == [5]


async def test_a_stale_cancelled_run_ends_cancelled(
    fake: tuple[Resources, FakeQueue], make_document: Any
) -> None:
    resources, queue = fake
    doc = await stuck(make_document, cancel_requested=True)
    report = await sweep(resources, now=datetime.now(UTC) + LATER, only=[doc.id])
    assert (report.cancelled, queue.requeued) == (1, [])
    assert (await Document.get(id=doc.id)).status == JobStatus.CANCELLED


async def test_a_queued_run_without_a_job_is_requeued(
    fake: tuple[Resources, FakeQueue], make_document: Any
) -> None:
    resources, queue = fake
    lost = await stuck(make_document, status=JobStatus.QUEUED)
    waiting = await stuck(make_document, status=JobStatus.QUEUED)
    queue.lost.add((lost.id, 0))
    later = datetime.now(UTC) + LATER

    report = await sweep(resources, now=later, only=[lost.id, waiting.id])
    assert report.requeued == 1 and queue.requeued == [(lost.id, 0, 1)]
    assert (await Document.get(id=waiting.id)).run == 0

    # Embedded mode checks QUEUED documents at start-up only.
    queue.lost.add((waiting.id, 0))
    report = await sweep(resources, queued=False, now=later, only=[waiting.id])
    assert report.requeued == 0


async def test_a_recovered_run_is_processed_to_the_end(resources: Resources, make_document: Any) -> None:
    """With the real in-process queue: the re-queued run is picked up and completes."""
    doc = await stuck(make_document)
    report = await sweep(resources, now=datetime.now(UTC) + LATER, only=[doc.id])
    assert report.requeued == 1
    row = await wait_terminal(doc.id)
    assert (row.status, row.run, row.attempts) == (JobStatus.COMPLETED, 1, 1)
    assert await DocumentPage.filter(document_id=doc.id, run=1).count() == 1


async def test_an_embedded_start_takes_every_orphan_at_once(
    fake: tuple[Resources, FakeQueue], make_document: Any
) -> None:
    """At start-up the embedded process is the only runner: fresh runs are orphans too."""
    resources, queue = fake
    running = await stuck(make_document)
    waiting = await stuck(make_document, status=JobStatus.QUEUED)
    queue.lost.add((waiting.id, 0))
    ids = [running.id, waiting.id]
    assert (await sweep(resources, only=ids)).requeued == 0  # fresh for an ordinary sweep
    report = await sweep(resources, only=ids, stale_seconds=0)
    assert report.requeued == 2
    assert sorted(queue.requeued) == sorted([(running.id, 0, 1), (waiting.id, 0, 1)])


class ListedRuns:
    """What `RedisHeartbeats.claimed_runs` answers: the runs live workers list."""

    def __init__(self, *runs: str) -> None:
        self.runs = set(runs)

    async def claimed_runs(self) -> set[str]:
        return self.runs


async def test_a_dead_workers_run_is_taken_over_with_its_pages(
    fake: tuple[Resources, FakeQueue], make_document: Any
) -> None:
    resources, queue = fake
    quiet = datetime.now(UTC) - timedelta(seconds=DEAD_AFTER_SECONDS + 5)
    dead = await stuck(make_document, heartbeat_at=quiet)
    alive = await stuck(make_document, heartbeat_at=quiet)  # quiet, but its worker lists it
    for page in (1, 2):
        await DocumentPage.create(document_id=dead.id, run=0, page=page, page_count=3, blocks=[], ocr=False)
    listed = ListedRuns(RunRegistry.label(alive.id, alive.run))

    report = await sweep_dead_workers(resources, listed)  # type: ignore[arg-type]

    assert report.requeued == 1 and queue.requeued == [(dead.id, 0, 1)]
    row = await Document.get(id=dead.id)
    assert (row.status, row.stage, row.run, row.progress) == (JobStatus.QUEUED, JobStage.RECOVERING, 1, 0.4)
    # The pages the dead run saved are the new run's: it resumes after them.
    assert await DocumentPage.filter(document_id=dead.id, run=1).count() == 2
    log = await ProcessingLog.filter(document_id=dead.id).order_by("-id").first()
    assert log is not None and "resuming after 2 pages already done" in log.message
    assert (await Document.get(id=alive.id)).run == 0


async def test_a_run_that_beat_recently_is_never_taken_over(
    fake: tuple[Resources, FakeQueue], make_document: Any
) -> None:
    resources, _queue = fake
    doc = await stuck(make_document)  # beat just now, listed by nobody (claimed a moment ago)
    report = await sweep_dead_workers(resources, ListedRuns())  # type: ignore[arg-type]
    assert report.requeued == 0 and (await Document.get(id=doc.id)).run == 0
