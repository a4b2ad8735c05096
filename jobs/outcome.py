"""How a run ends: one conditional write, one settlement, one log line, one terminal event.

    ended = await end_run(resources, doc, run, RunEnd(JobStatus.COMPLETED, JobStage.DONE, 1.0, ...))

Used by the job (jobs/documents.py) and by the recovery sweep (jobs/recovery.py),
so a document reaches COMPLETED, FAILED or CANCELLED the same way whoever ends it.

The write is conditional on the run and on the document not being terminal
yet: a superseded run (reprocessed, or re-queued by recovery) or a second
sweeper changes nothing, and then nothing is published either (nor charged:
the settlement is keyed by document and run, so it happens once).
Credits are settled once per run (docat.credits.settle is idempotent per
document and run): the pages saved for the run, 1 per text page and 5 per OCR
page, and the rest of the hold goes back.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.functions import Count
from tortoise.transactions import in_transaction

from docat import metrics
from docat.credits import CREDITS_PER_OCR_PAGE, CREDITS_PER_TEXT_PAGE, settle
from docat.resources import Resources
from jobs.progress import ProgressPublisher
from jobs.webhooks import queue_deliveries, record_deliveries
from models import TERMINAL_STATUSES, Document, DocumentPage, JobStage, JobStatus, LogLevel, ProcessingLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PageTally:
    text_pages: int = 0
    ocr_pages: int = 0

    @property
    def pages(self) -> int:
        return self.text_pages + self.ocr_pages

    @property
    def credits(self) -> int:
        return self.text_pages * CREDITS_PER_TEXT_PAGE + self.ocr_pages * CREDITS_PER_OCR_PAGE


async def tally_pages(document_id: uuid.UUID, run: int) -> PageTally:
    """The pages this run saved: what it is charged for."""
    counts = (
        await DocumentPage.filter(document_id=document_id, run=run)
        .annotate(pages=Count("id"))
        .group_by("ocr")
        .values("ocr", "pages")
    )
    by_kind = {bool(row["ocr"]): int(row["pages"]) for row in counts}
    return PageTally(text_pages=by_kind.get(False, 0), ocr_pages=by_kind.get(True, 0))


@dataclass(slots=True)
class RunEnd:
    status: JobStatus
    stage: JobStage
    progress: float
    message: str
    error_code: str | None = None
    error_message: str | None = None
    # Other Document columns to write with the status (engine, processing_ms, formats...).
    updates: dict[str, Any] = field(default_factory=dict)
    # Engine label for the processing-time metric (auto/text/ocr/llm_ocr).
    engine: str = "auto"
    seconds: float | None = None


def _credit_description(end: RunEnd, tally: PageTally, filename: str) -> str:
    pages = f"{tally.pages} page{'s' if tally.pages != 1 else ''}"
    if tally.ocr_pages:
        pages += f" ({tally.ocr_pages} OCR)"
    verb = {JobStatus.COMPLETED: "processed", JobStatus.CANCELLED: "cancelled after"}.get(
        end.status, "failed after"
    )
    return f"{filename}: {verb} {pages}"[:500]


async def end_run(
    resources: Resources,
    document: Document,
    run: int,
    end: RunEnd,
    *,
    publisher: ProgressPublisher | None = None,
) -> bool:
    """Make `run` of `document` terminal; False (and nothing done) if it was not current."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "status": end.status,
        "stage": end.stage,
        "progress": end.progress,
        "finished_at": now,
        "heartbeat_at": now,
        **end.updates,
    }
    if end.status == JobStatus.COMPLETED:
        values["progress"] = 1.0
    if end.error_code is not None:
        values["error_code"] = end.error_code
        values["error_message"] = end.error_message
    current = Document.filter(id=document.id, run=run).exclude(status__in=TERMINAL_STATUSES)
    # Both reads at once; the tally is only used when the run is still current.
    is_current, tally = await asyncio.gather(current.exists(), tally_pages(document.id, run))
    if not is_current:
        return False
    # Settled before the status changes, so whoever sees the run terminal also sees its
    # credits. Nothing can supersede the run in between: a reprocess needs a terminal
    # document, and recovery only takes runs whose heartbeat stopped.
    try:
        await settle(
            resources.settings,
            document.id,
            run,
            tally.credits,
            _credit_description(end, tally, document.filename),
        )
    except Exception:
        # Ending the run matters more; a hold left behind shows in credits_reserved, and
        # settling is idempotent should anything try again.
        logger.exception("credits of document %s run %d not settled", document.id, run)
    level = LogLevel.INFO if end.status == JobStatus.COMPLETED else LogLevel.WARNING
    if end.status == JobStatus.FAILED:
        level = LogLevel.ERROR
    message = end.message
    if tally.pages:
        message += f"; {tally.credits} credits for {tally.pages} pages"
    # One transaction: whoever sees the terminal status also finds the log line saying why.
    async with in_transaction():
        if not await current.update(**values):
            logger.warning("document %s run %d ended by someone else meanwhile", document.id, run)
            return False
        await ProcessingLog.create(document_id=document.id, level=level, stage=end.stage, message=message)
        # In the same transaction: a terminal run always has its webhook deliveries.
        deliveries = await record_deliveries(document.id, document.owner_id, run)

    publisher = publisher or ProgressPublisher(resources.bus, document.id, document.owner_id, run=run)
    await publisher.progress(
        end.status, end.stage, values["progress"], page_count=document.page_count, message=message
    )

    await queue_deliveries(resources, deliveries)

    status = end.status.value.lower()
    metrics.record_document_processed(status)
    if end.seconds is not None:
        metrics.observe_pdf_processing(end.engine, status, end.seconds)
    if end.error_code is not None:
        metrics.record_error(end.error_code)
    return True
