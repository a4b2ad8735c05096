"""The two queues: arq in Redis (the shared server, a queue of our own) and in-process tasks."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from arq.jobs import Job, JobStatus
from arq.worker import Retry

from docat.queue import JOB_FUNCTION, ArqQueue, InProcessQueue, job_id
from docat.resources import Resources
from docat.security import decrypt_secret
from jobs.host import JOB_FUNCTIONS
from models import Document
from models import JobStatus as DocStatus
from tests.jobs import pdfs
from tests.jobs.conftest import eventually


async def job_info(queue: ArqQueue, document_id: uuid.UUID, run: int) -> Any:
    return await Job(job_id(document_id, run), queue.redis, _queue_name=queue.queue_name).info()


async def test_arq_enqueue_requeue_and_pending(
    arq_queue: ArqQueue, make_document: Any, resources: Resources
) -> None:
    doc = await make_document(pdfs.text(1))
    await Document.filter(id=doc.id).update(heartbeat_at=None)
    await arq_queue.enqueue(doc.id, 0, password="pdf-password")
    await arq_queue.enqueue(doc.id, 0, password="pdf-password")  # the same run again: one job
    assert await arq_queue.depth() == 1 and await arq_queue.pending(doc.id, 0)

    info = await job_info(arq_queue, doc.id, 0)
    assert info.function == JOB_FUNCTION and info.args == (str(doc.id), 0)
    token = info.kwargs["password_token"]
    assert "pdf-password" not in token
    assert decrypt_secret(resources.settings.signing_key, token, purpose="job-password") == "pdf-password"
    assert (await Document.get(id=doc.id)).heartbeat_at is not None  # "queued since"

    # Recovery: run 1 carries run 0's password; run 0's job is gone.
    await Document.filter(id=doc.id).update(run=1)
    await arq_queue.requeue(doc.id, 0, 1)
    assert (await job_info(arq_queue, doc.id, 1)).kwargs["password_token"] == token
    assert await job_info(arq_queue, doc.id, 0) is None
    assert not await arq_queue.pending(doc.id, 0) and await arq_queue.pending(doc.id, 1)
    assert await arq_queue.depth() == 1


async def test_arq_cancel_brings_a_deferred_retry_forward(arq_queue: ArqQueue, make_document: Any) -> None:
    doc = await make_document(pdfs.text(1))
    await arq_queue.enqueue(doc.id, 0)
    later = int(datetime.now(UTC).timestamp() * 1000) + 3_600_000
    await arq_queue.redis.zadd(arq_queue.queue_name, {job_id(doc.id, 0): later})  # as arq's Retry does
    job = Job(job_id(doc.id, 0), arq_queue.redis, _queue_name=arq_queue.queue_name)
    assert await job.status() == JobStatus.deferred
    await arq_queue.cancel(doc.id)
    assert await job.status() == JobStatus.queued


async def test_in_process_queue_retries_and_bounds_concurrency(resources: Resources) -> None:
    settings = resources.settings.model_copy(update={"worker_max_jobs": 1})
    calls: list[tuple[str, int, int]] = []
    gate = asyncio.Event()

    async def job(ctx: dict[str, Any], document_id: str, run: int, password_token: str | None = None) -> None:
        calls.append((document_id, run, ctx["job_try"]))
        if ctx["job_try"] == 1 and document_id == str(first):
            await gate.wait()
            raise Retry(defer=3600)  # cut short by cancel() below

    queue = InProcessQueue(settings)
    first, second = uuid.uuid4(), uuid.uuid4()
    await queue.enqueue(first, 0)  # not started yet: nothing runs
    assert not await queue.pending(first, 0)

    queue.start({"resources": resources}, {JOB_FUNCTION: job})
    await queue.enqueue(first, 0)
    await queue.enqueue(first, 0)  # already there
    await queue.enqueue(second, 0)
    await asyncio.sleep(0.05)
    assert calls == [(str(first), 0, 1)] and await queue.depth() == 1  # one slot: the second waits
    gate.set()
    await asyncio.sleep(0.05)
    await queue.cancel(first)  # wakes the retry backoff

    async def settled() -> bool | None:
        busy = await queue.pending(first, 0) or await queue.pending(second, 0)
        return None if busy else True

    await eventually(settled, 10)
    assert sorted(calls) == sorted([(str(first), 0, 1), (str(second), 0, 1), (str(first), 0, 2)])
    await queue.close()


async def test_closing_puts_a_running_job_back_to_queued(resources: Resources, make_document: Any) -> None:
    """A shutdown mid-job (SIGTERM, a closing API) leaves the run QUEUED for the next process."""
    doc = await make_document(pdfs.scanned(3))
    queue = InProcessQueue(resources.settings)
    queue.start({"resources": resources}, JOB_FUNCTIONS)
    await queue.enqueue(doc.id, doc.run)

    async def processing() -> bool | None:
        return True if (await Document.get(id=doc.id)).status == DocStatus.PROCESSING else None

    await eventually(processing, 60)
    await queue.close()
    row = await Document.get(id=doc.id)
    assert (row.status, row.run) == (DocStatus.QUEUED, 0)
