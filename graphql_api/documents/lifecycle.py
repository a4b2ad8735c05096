"""What happens to a document after its upload: reprocess, cancel, delete, or undo.

State changes that race with a worker are conditional updates (`status=QUEUED`
in the WHERE clause) or run under a row lock, so a job that starts, ends or is
cancelled at the same moment never leaves two truths. The queue is told last
and best effort: the database is what the job reads before it does anything.
Every terminal change publishes its JobProgress so subscriptions end.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from docat import credits, metrics
from docat.errors import BadUserInput, NotFound
from docat.resources import Resources
from docat.storage import document_prefix
from graphql_api.documents.formats import ORIGINAL, RESULT_FORMATS, format_key
from graphql_api.documents.options import ValidatedOptions, ensure_provider
from graphql_api.documents.upload import admit_pdf, temp_dir
from jobs.progress import ProgressPublisher
from jobs.webhooks import queue_deliveries, record_deliveries
from models import (
    TERMINAL_STATUSES,
    Document,
    DocumentPage,
    JobStage,
    JobStatus,
    LogLevel,
    ProcessingLog,
    User,
)

log = logging.getLogger(__name__)


async def publish_state(resources: Resources, doc: Document, message: str | None = None) -> None:
    publisher = ProgressPublisher(resources.bus, doc.id, doc.owner_id, run=doc.run)
    await publisher.progress(doc.status, doc.stage, doc.progress, page_count=doc.page_count, message=message)


async def publish_queued(resources: Resources, doc: Document) -> None:
    await publish_state(resources, doc, "queued")


async def cancel_job(resources: Resources, document_id: uuid.UUID) -> None:
    """Best effort: the job also checks the database, so a queue hiccup must not fail the request."""
    try:
        await resources.queue.cancel(document_id)
    except Exception:
        log.warning("could not signal the queue to cancel %s", document_id, exc_info=True)


async def discard_document(resources: Resources, document_id: uuid.UUID) -> None:
    """Undo a half-created document: its hold, its row, its files. Every step runs; none raises."""
    steps: list[tuple[str, Any]] = [
        ("release the credit hold", lambda: credits.release_hold(document_id)),
        ("delete the row", lambda: Document.filter(id=document_id).delete()),
        ("delete the files", lambda: resources.storage.delete_prefix(document_prefix(str(document_id)))),
    ]
    for what, step in steps:
        try:
            await step()
        except Exception:
            log.error("cleanup of document %s: could not %s", document_id, what, exc_info=True)


def _require_terminal(doc: Document, action: str) -> None:
    if doc.status not in TERMINAL_STATUSES:
        raise BadUserInput(f"cannot {action} a document that is {doc.status.value}; cancel it first")


@asynccontextmanager
async def downloaded_original(resources: Resources, doc: Document) -> AsyncIterator[Path]:
    """The stored original as a temp file under DATA_DIR/tmp, removed on exit."""
    directory = temp_dir(resources.settings)
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    path = directory / f"original-{uuid.uuid4().hex}.pdf"
    try:
        await resources.storage.download_to(format_key(doc.id, ORIGINAL), path)
        yield path
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


def _fresh_run(doc: Document, options: ValidatedOptions) -> dict[str, Any]:
    """The fields a new run starts from; results and errors of the old run are gone."""
    return {
        "run": doc.run + 1,
        "status": JobStatus.QUEUED,
        "stage": JobStage.QUEUED,
        "progress": 0.0,
        "options": options.stored(),
        "formats": [ORIGINAL],
        "engine": None,
        "cached": False,
        "processing_ms": None,
        "error_code": None,
        "error_message": None,
        "cancel_requested": False,
        "attempts": 0,
        "heartbeat_at": None,
        "started_at": None,
        "finished_at": None,
    }


async def reprocess_document(
    resources: Resources, caller: User, doc: Document, options: ValidatedOptions
) -> Document:
    _require_terminal(doc, "reprocess")
    await ensure_provider(resources, options)
    async with downloaded_original(resources, doc) as path:
        admission = await admit_pdf(path, options, caller, resources.settings)

    async with in_transaction():
        # The owner's row first, then the document's: docat.credits' lock order, so no deadlock.
        await User.select_for_update().get(id=doc.owner_id)
        current = await Document.select_for_update().get_or_none(id=doc.id)
        if current is None:
            raise NotFound("document not found")
        _require_terminal(current, "reprocess")  # another request may have requeued it meanwhile
        # Any leftover hold goes back first, so one document never holds twice.
        await credits.release_hold(current.id)
        await credits.reserve(resources.settings, current.owner_id, current.id, admission.cost)
        await Document.filter(id=current.id).update(**_fresh_run(current, options))
    doc = await Document.get(id=doc.id)

    for fmt in RESULT_FORMATS:
        await resources.storage.delete(format_key(doc.id, fmt))
    await DocumentPage.filter(document_id=doc.id, run__lt=doc.run).delete()
    await ProcessingLog.create(
        document_id=doc.id,
        level=LogLevel.INFO,
        stage=JobStage.QUEUED,
        message=(
            f"reprocessing (run {doc.run}): {len(admission.pages)} pages with engine {options.engine}, "
            f"up to {admission.cost} credits held"
        ),
    )
    await publish_queued(resources, doc)
    try:
        await resources.queue.enqueue(doc.id, doc.run, password=options.password)
    except BaseException:
        await asyncio.shield(_fail_unqueued(resources, doc))
        raise
    return doc


async def _fail_unqueued(resources: Resources, doc: Document) -> None:
    """The queue refused the job: say so on the document instead of leaving it QUEUED forever."""
    now = datetime.now(UTC)
    await Document.filter(id=doc.id, run=doc.run, status=JobStatus.QUEUED).update(
        status=JobStatus.FAILED,
        error_code="INTERNAL",
        error_message="the job could not be queued",
        finished_at=now,
    )
    await credits.release_hold(doc.id)
    doc = await Document.get(id=doc.id)
    await publish_state(resources, doc, "the job could not be queued")


async def cancel_document(resources: Resources, doc: Document) -> Document:
    """QUEUED: CANCELLED at once. PROCESSING: flagged; the job stops and ends it CANCELLED."""
    if doc.status in TERMINAL_STATUSES:
        raise BadUserInput(f"the document is already {doc.status.value}")
    now = datetime.now(UTC)
    cancelled = await Document.filter(id=doc.id, run=doc.run, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, cancel_requested=True, finished_at=now
    )
    if cancelled:
        await credits.release_hold(doc.id)
        await ProcessingLog.create(
            document_id=doc.id, level=LogLevel.INFO, stage=doc.stage, message="cancelled before it started"
        )
        doc = await Document.get(id=doc.id)
        await publish_state(resources, doc, "cancelled")
        # Ended before any job ran it: its webhooks hear of it here.
        await queue_deliveries(resources, await record_deliveries(doc.id, doc.owner_id, doc.run))
        metrics.record_document_processed("cancelled")
    else:
        # It started (or ended) meanwhile: ask the job to stop; it settles what it used.
        if await Document.filter(id=doc.id, status=JobStatus.PROCESSING).update(cancel_requested=True):
            await ProcessingLog.create(
                document_id=doc.id, level=LogLevel.INFO, stage=None, message="cancel requested"
            )
    await cancel_job(resources, doc.id)
    return await Document.get(id=doc.id)


async def delete_document(resources: Resources, doc: Document) -> None:
    """Stops a running job, then removes the hold, the rows (cascade) and every stored file."""
    if doc.status not in TERMINAL_STATUSES:
        await Document.filter(id=doc.id).update(cancel_requested=True)
        await cancel_job(resources, doc.id)
        doc.status = JobStatus.CANCELLED
        await publish_state(resources, doc, "document deleted")
    await credits.release_hold(doc.id)
    await Document.filter(id=doc.id).delete()
    await resources.storage.delete_prefix(document_prefix(str(doc.id)))
    log.info("document %s deleted", doc.id)
