"""Webhook deliveries of a finished run: written with the run's end, sent by the queue.

    deliveries = await record_deliveries(document_id, owner_id, run)   # inside end_run's transaction
    await queue_deliveries(resources, deliveries)            # after it commits

`record_deliveries` writes one WebhookDelivery per active webhook of the
owner that asked for the run's terminal status, in the same transaction as the
status itself: once the run is terminal its deliveries exist, whatever happens
to the process next. `queue_deliveries` then asks the job queue to send them
(jobs/webhooks_delivery.py). If that never happens (the process died just
after the commit) the sweep (jobs/webhooks_sweep.py) queues them later.

The body follows Standard Webhooks' shape, `{"type", "timestamp", "data"}`,
and names the document by its GraphQL id: a receiver asks the API for the
results (`document(id:) { content markdown downloadUrl(format:) }`); no signed
file link travels in a webhook.
"""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import orjson

from docat.resources import Resources
from models import Document, JobStatus, Webhook, WebhookDelivery, WebhookEvent

logger = logging.getLogger(__name__)

EVENT_TYPES: dict[WebhookEvent, str] = {
    WebhookEvent.COMPLETED: "document.completed",
    WebhookEvent.FAILED: "document.failed",
    WebhookEvent.CANCELLED: "document.cancelled",
}


def message_id(delivery_id: uuid.UUID) -> str:
    """The webhook-id header: the same on every attempt, so receivers can drop duplicates."""
    return f"msg_{delivery_id.hex}"


def document_global_id(document_id: uuid.UUID) -> str:
    """The document's GraphQL id, as graphql_api.relay.to_global_id makes it (a test holds them
    equal): jobs/ does not reach up into the API layer."""
    return base64.urlsafe_b64encode(f"Document:{document_id}".encode()).decode().rstrip("=")


def delivery_body(event: WebhookEvent, document: Document, at: datetime) -> str:
    error = (
        {"code": document.error_code, "message": document.error_message or ""}
        if document.error_code
        else None
    )
    data = {
        "event": event.value,
        "documentId": document_global_id(document.id),
        "filename": document.filename,
        "status": document.status.value,
        "error": error,
        "pageCount": document.page_count,
        "creditsUsed": document.credits_used,
        # Formats ready to fetch through Document.downloadUrl(format:) / content / markdown.
        "formats": [f for f in document.formats or [] if f != "ORIGINAL"],
        "finishedAt": document.finished_at.isoformat() if document.finished_at else None,
    }
    payload = {"type": EVENT_TYPES[event], "timestamp": at.isoformat(), "data": data}
    return orjson.dumps(payload).decode()


async def record_deliveries(document_id: uuid.UUID, owner_id: uuid.UUID, run: int) -> list[WebhookDelivery]:
    """Deliveries of the run's terminal status to every webhook that wants it (none is fine)."""
    # The owner's webhooks first: most owners have none, and then this is the only query.
    hooks = await Webhook.filter(owner_id=owner_id, active=True)
    if not hooks:
        return []
    document = await Document.get(id=document_id)
    if document.status not in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED):
        return []
    event = WebhookEvent(document.status.value)
    wanted = [hook for hook in hooks if event.value in (hook.events or [])]
    if not wanted:
        return []
    # Already recorded for this run (its end replayed): not again. Checked first rather than
    # caught, since a failed INSERT would abort the caller's PostgreSQL transaction.
    done = set(
        await WebhookDelivery.filter(document_id=document.id, run=run, event=event).values_list(
            "webhook_id", flat=True
        )
    )
    now = datetime.now(UTC)
    body = delivery_body(event, document, now)
    return [
        await WebhookDelivery.create(
            webhook_id=hook.id, event=event, document_id=document.id, run=run, body=body, next_attempt_at=now
        )
        for hook in wanted
        if hook.id not in done
    ]


async def queue_deliveries(resources: Resources, deliveries: Sequence[WebhookDelivery]) -> None:
    """Best effort: a delivery not queued now is queued by the next sweep."""
    # Late: jobs.webhooks_delivery imports this module (message ids).
    from jobs.webhooks_delivery import queue_attempt

    for delivery in deliveries:
        try:
            await queue_attempt(resources, delivery.id, delivery.attempts)
        except Exception:
            logger.exception("webhook delivery %s not queued; the sweep will", delivery.id)
