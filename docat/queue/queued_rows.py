"""The database writes of queueing: the "queued since" stamp and the run a document is at.

Queueing a run stamps `Document.heartbeat_at`, which the recovery sweep reads as
"queued since" (see docat.queue). Both runners use these.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from models import Document, JobStatus


async def _mark_queued(document_id: uuid.UUID, run: int) -> None:
    await Document.filter(id=document_id, run=run, status=JobStatus.QUEUED).update(
        heartbeat_at=datetime.now(UTC)
    )


async def _current_run(document_id: uuid.UUID) -> int | None:
    document = await Document.get_or_none(id=document_id).only("id", "run")
    return document.run if document is not None else None
