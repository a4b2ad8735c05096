"""Reuse of an identical earlier result: same owner, same bytes (sha256), same options, COMPLETED.

    source = await find_reusable(owner_id, sha256, options, page_count)
    if source and await reuse_result(resources, source, doc):
        ...                                  # doc is COMPLETED, cached=true, no job queued

The new document gets its own copies of the result files (so deleting either
document never breaks the other), the source run's per-page results, a
CreditLog entry charging 0 and a ProcessingLog entry, and its terminal
JobProgress is published at once. A source deleted while we copy is simply a
miss: the copies made so far are removed and the upload is processed normally.

Only the owner's own documents are candidates. A reused result answers at once,
`cached: true`, for 0 credits: across accounts that would tell user B that
someone else had uploaded exactly this file (a confidential report, a leaked
contract), so B's upload of A's bytes is processed and charged like any other.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from docat import credits, metrics
from docat.errors import NotFound
from docat.resources import Resources
from graphql_api.documents.formats import ORIGINAL, RESULT_FORMATS, format_key
from graphql_api.documents.lifecycle import publish_state
from graphql_api.documents.options import ValidatedOptions
from jobs.pdf.options import PageRangeError
from jobs.webhooks import queue_deliveries, record_deliveries
from models import Document, DocumentPage, JobStage, JobStatus, LogLevel, ProcessingLog

log = logging.getLogger(__name__)

# Copies are streamed; this only bounds a runaway object.
_COPY_LIMIT = 10 * 1024**3
# Identical uploads are few; looking at the newest ones is enough.
_CANDIDATES = 20


def _stored_key(options: dict[str, Any], page_count: int) -> dict[str, Any] | None:
    """The cache key of a stored document's options (as `ValidatedOptions.cache_key`)."""
    try:
        return ValidatedOptions(
            engine=str(options.get("engine") or "AUTO"),
            translate_to=options.get("translateTo"),
            dual_language=bool(options.get("dualLanguage")),
            pages=options.get("pages"),
            ocr_language=str(options.get("ocrLanguage") or "eng"),
        ).cache_key(page_count)
    except PageRangeError:
        return None


async def find_reusable(
    owner_id: UUID, sha256: str, options: ValidatedOptions, page_count: int
) -> Document | None:
    """The owner's newest COMPLETED document of these bytes and options that still has its results."""
    wanted = options.cache_key(page_count)
    candidates = (
        # Never another owner's: what the uploader sees and pays must not reveal other tenants' files.
        await Document.filter(owner_id=owner_id, sha256=sha256, status=JobStatus.COMPLETED)
        .order_by("-finished_at")
        .limit(_CANDIDATES)
    )
    for candidate in candidates:
        if "JSON" in (candidate.formats or []) and _stored_key(candidate.options or {}, page_count) == wanted:
            return candidate
    return None


async def _copy_files(resources: Resources, source: Document, target: Document) -> list[str]:
    storage = resources.storage
    copied: list[str] = []
    try:
        for fmt in source.formats or []:
            if fmt not in RESULT_FORMATS:
                continue
            key = format_key(target.id, fmt)
            await storage.put_stream(key, storage.open_read(format_key(source.id, fmt)), _COPY_LIMIT)
            copied.append(fmt)
    except BaseException:
        for fmt in copied:
            await storage.delete(format_key(target.id, fmt))
        raise
    return copied


async def _copy_pages(source: Document, target: Document) -> None:
    pages = await DocumentPage.filter(document_id=source.id, run=source.run)
    await DocumentPage.bulk_create(
        [
            DocumentPage(
                document_id=target.id,
                run=target.run,
                page=p.page,
                page_count=p.page_count,
                blocks=p.blocks,
                ocr=p.ocr,
            )
            for p in pages
        ]
    )


async def reuse_result(resources: Resources, source: Document, doc: Document) -> bool:
    """Complete `doc` with `source`'s results; False (nothing changed) when the source vanished."""
    started = time.monotonic()
    started_at = datetime.now(UTC)
    try:
        formats = await _copy_files(resources, source, doc)
    except NotFound:
        log.info("cached result of %s vanished while copying; processing normally", source.id)
        return False
    await _copy_pages(source, doc)
    doc.status = JobStatus.COMPLETED
    doc.stage = JobStage.DONE
    doc.progress = 1.0
    doc.cached = True
    doc.engine = source.engine
    doc.formats = [ORIGINAL, *formats]
    doc.started_at = started_at
    doc.finished_at = datetime.now(UTC)
    doc.processing_ms = int((time.monotonic() - started) * 1000)
    await doc.save()
    await credits.settle(
        resources.settings,
        doc.id,
        doc.run,
        0,
        f"cached result of an identical earlier upload: {doc.filename}",
    )
    await ProcessingLog.create(
        document_id=doc.id,
        level=LogLevel.INFO,
        stage=JobStage.DONE,
        message="result reused from an identical earlier upload; no credits charged",
    )
    await publish_state(resources, doc, "result reused from an identical earlier upload")
    # A reused result is a finished job too: the owner's webhooks hear of it.
    await queue_deliveries(resources, await record_deliveries(doc.id, doc.owner_id, doc.run))
    metrics.record_document_processed("completed")
    return True
