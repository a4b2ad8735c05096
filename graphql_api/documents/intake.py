"""An admitted upload becomes a Document: stored, recorded, then reused from cache or queued.

    document = await accept_upload(resources, owner, received, options, admission)

Order matters for "nothing half-created is left behind": the cache lookup and
the cheap credit check come before anything is written; the original is stored
before the row is written, so a process killed in between (no cleanup runs)
leaves at most an object no row points to, never a QUEUED document without its
file that a user would see; its temp file is removed by the next API process
to start (`remove_orphan_uploads`). Once writing began, any failure (a lost
credit race, the queue down, a cancelled request) removes the object, the row
and the hold again before the error goes on to the client.

Between the row and the queue only what the job needs comes first (the credit
hold, the QUEUED event before the job's own); the upload's log line is written
after the enqueue, stamped before it, and once the job is queued nothing undoes
the upload (a failed log write is only logged).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

from docat import credits, metrics
from docat.resources import Resources
from graphql_api.documents.cache import find_reusable, reuse_result
from graphql_api.documents.formats import FORMAT_FILES, ORIGINAL, format_key
from graphql_api.documents.lifecycle import discard_document, publish_queued
from graphql_api.documents.options import ValidatedOptions
from graphql_api.documents.upload import Admission, ReceivedFile, ensure_credits, file_chunks
from models import Document, JobStage, JobStatus, LogLevel, ProcessingLog, User

log = logging.getLogger(__name__)


async def accept_upload(
    resources: Resources,
    owner: User,
    received: ReceivedFile,
    options: ValidatedOptions,
    admission: Admission,
) -> Document:
    inspection = admission.inspection
    source = await find_reusable(owner.id, received.sha256, options, inspection.page_count)
    if source is None:
        await ensure_credits(resources.settings, owner.id, admission.cost)

    doc_id = uuid.uuid4()
    try:
        # The original first, then its row: the row never exists without the file (one round
        # trip slower than writing both at once, which left a row behind on a kill).
        await resources.storage.put_stream(
            format_key(doc_id, ORIGINAL),
            file_chunks(received.path),
            received.size,
            FORMAT_FILES[ORIGINAL].media_type,
        )
        doc = await Document.create(
            id=doc_id,
            owner_id=owner.id,
            filename=received.filename,
            size_bytes=received.size,
            sha256=received.sha256,
            page_count=inspection.page_count,
            pdf_type=inspection.pdf_type,
            options=options.stored(),
            formats=[ORIGINAL],
            status=JobStatus.QUEUED,
            stage=JobStage.QUEUED,
        )
        if source is not None and await reuse_result(resources, source, doc):
            metrics.record_cache_lookup(True)
            return doc
        metrics.record_cache_lookup(False)
        await credits.reserve(resources.settings, owner.id, doc.id, admission.cost)
        await publish_queued(resources, doc)
        # Logged once the job is queued (it may be running already), stamped before, so the
        # line still comes first: one write fewer between the upload and the job's start.
        logged_at = datetime.now(UTC)
        await resources.queue.enqueue(doc.id, doc.run, password=options.password)
    except BaseException:
        # Shielded: a client that goes away mid-request must not leave the cleanup half done.
        await asyncio.shield(discard_document(resources, doc_id))
        raise
    try:
        await ProcessingLog.create(
            document_id=doc.id,
            level=LogLevel.INFO,
            stage=JobStage.QUEUED,
            at=logged_at,
            message=(
                f"uploaded {received.filename} ({received.size} bytes, {inspection.page_count} pages, "
                f"{inspection.pdf_type}); {len(admission.pages)} pages queued with engine "
                f"{options.engine}, up to {admission.cost} credits held"
            ),
        )
    except Exception:
        # The job is queued (perhaps done): a missing log line must not undo the upload.
        log.warning("document %s: upload log line not written", doc.id, exc_info=True)
    log.info("document %s uploaded and queued", doc.id)
    return doc
