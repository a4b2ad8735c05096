"""The database side of every subscription: a job's current state and its finished pages, as event dicts.

They have exactly the shape `jobs.progress.ProgressPublisher` publishes (documentId is the DB UUID
string, ``run`` the Document's run), so a stream treats a snapshot and a live event alike.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any

from docat.storage import Storage, StorageNotFound, document_key
from jobs.pdf.options import PageRangeError, parse_page_ranges
from models import Document, DocumentPage, JobStage, JobStatus

ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.PROCESSING)
CONTENT_NAME = "content.json"


def _latest(*moments: datetime | None) -> datetime:
    return max(m for m in moments if m is not None)


def document_event(doc: Document) -> dict[str, Any]:
    """The row as a JobProgress event; `at` is the last moment the job is known to have moved."""
    return {
        "documentId": str(doc.id),
        "status": JobStatus(doc.status).value,
        "stage": JobStage(doc.stage).value,
        "progress": float(doc.progress),
        "page": None,
        "pageCount": doc.page_count,
        # A failed job's reason, so a late subscriber learns why without a second query.
        "message": doc.error_message if doc.status == JobStatus.FAILED else None,
        "at": _latest(doc.created_at, doc.started_at, doc.heartbeat_at, doc.finished_at).isoformat(),
        "run": doc.run,
        "attempt": doc.attempts + 1,
    }


async def read_document_event(document_id: uuid.UUID | str) -> dict[str, Any] | None:
    """The job's current state, or None once the document is gone."""
    doc = await Document.get_or_none(id=document_id)
    return None if doc is None else document_event(doc)


async def read_job_events(owner_id: uuid.UUID | None, *, also: Collection[str] = ()) -> list[dict[str, Any]]:
    """Every QUEUED or PROCESSING job of `owner_id` (None: of everyone), oldest first.

    `also`: documents to read whatever their status (after a resync, the jobs a stream last saw
    running: their terminal event may have been lost).
    """
    query = Document.filter(status__in=ACTIVE_STATUSES)
    if owner_id is not None:
        query = query.filter(owner_id=owner_id)
    docs = {doc.id: doc for doc in await query.order_by("created_at", "id")}
    if also:
        extra = Document.filter(id__in=list(also))
        if owner_id is not None:
            extra = extra.filter(owner_id=owner_id)
        for doc in await extra:
            docs.setdefault(doc.id, doc)
    return [document_event(doc) for doc in docs.values()]


def _page_event(document_id: str, run: int, page: int, page_count: int, blocks: list[Any]) -> dict[str, Any]:
    return {"documentId": document_id, "page": page, "pageCount": page_count, "blocks": blocks, "run": run}


async def read_done_pages(
    doc: Document, storage: Storage, *, skip: Collection[int] = ()
) -> list[dict[str, Any]]:
    """PageResult events of the pages of the current run already done, by page number.

    The DocumentPage rows of the run; for a completed job without them (rows pruned, or a
    result reused from a cached upload), the pages of the stored content.json.
    """
    rows = await DocumentPage.filter(document_id=doc.id, run=doc.run).order_by("page")
    document_id = str(doc.id)
    if rows:
        return [
            _page_event(document_id, doc.run, row.page, row.page_count, list(row.blocks or []))
            for row in rows
            if row.page not in skip
        ]
    if doc.status != JobStatus.COMPLETED:
        return []
    return [e for e in await _content_pages(doc, storage) if e["page"] not in skip]


async def _content_pages(doc: Document, storage: Storage) -> list[dict[str, Any]]:
    try:
        content = json.loads(await storage.get_bytes(document_key(str(doc.id), CONTENT_NAME)))
    except StorageNotFound:
        return []
    page_count = int(content.get("pageCount") or doc.page_count or 0)
    by_page: dict[int, list[Any]] = defaultdict(list)
    for block in content.get("blocks") or []:
        by_page[int(block["page"])].append(block)
    # Every processed page, empty ones too (a blank page is still a finished page).
    try:
        selected = parse_page_ranges((doc.options or {}).get("pages"), page_count or None)
    except PageRangeError:
        selected = None
    pages = sorted(set(selected or range(1, page_count + 1)) | set(by_page))
    return [_page_event(str(doc.id), doc.run, page, page_count, by_page.get(page, [])) for page in pages]
