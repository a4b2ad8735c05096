"""GraphQL types of webhooks, their deliveries and each delivery's attempts."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.enums import described_enum
from graphql_api.relay import to_global_id
from jobs.webhooks import message_id
from models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent

described_enum(
    WebhookEvent,
    name="WebhookEvent",
    description="The terminal status of a job that a webhook is told about.",
    values={
        "COMPLETED": "A job ended COMPLETED; the POSTed body's `type` is document.completed.",
        "FAILED": (
            "A job ended FAILED; the POSTed body's `type` is document.failed and `data.error` says why."
        ),
        "CANCELLED": "A job ended CANCELLED; the POSTed body's `type` is document.cancelled.",
    },
)
described_enum(
    DeliveryStatus,
    name="WebhookDeliveryStatus",
    description="Where a delivery is: still being tried, or ended (the last two are terminal).",
    values={
        "PENDING": "Not delivered yet; `nextAttemptAt` says when the next try is.",
        "DELIVERED": "The receiver answered 2xx. Terminal.",
        "FAILED": (
            "Given up: an answer that is not retried, an address the SSRF rules refuse, the retry "
            "window spent, or the webhook turned off. `lastError` says which. Terminal."
        ),
    },
)
WebhookEventEnum = WebhookEvent
DeliveryStatusEnum = DeliveryStatus


@strawberry.type(
    name="Webhook",
    description=(
        "An address told when the owner's jobs end, signed per Standard Webhooks "
        "(webhook-id, webhook-timestamp, webhook-signature)."
    ),
)
class WebhookType:
    id: strawberry.ID = strawberry.field(description="The webhook's global ID.")
    url: str = strawberry.field(description="Where deliveries are POSTed (http or https).")
    events: list[WebhookEventEnum] = strawberry.field(
        description="The job outcomes it is told about, at least one."
    )
    active: bool = strawberry.field(
        description=(
            "Whether it is told about jobs that end; false once its owner turned it off, or the service "
            "did (see disabledReason)."
        )
    )
    disabled_reason: str | None = strawberry.field(
        description="Why the service turned this webhook off (it kept failing); null while on."
    )
    failing_since: datetime | None = strawberry.field(
        description="First failed attempt since the last success; null while deliveries succeed."
    )
    secret: str | None = strawberry.field(
        description=(
            "The whsec_ signing secret: only in the answer of createWebhook and "
            "rotateWebhookSecret, null everywhere else."
        )
    )
    owner_id: strawberry.ID = strawberry.field(description="The global ID of the user it belongs to.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(
        description="When its owner last changed it (url, events, active flag or secret)."
    )

    @classmethod
    def from_model(cls, row: Webhook, *, secret: str | None = None) -> WebhookType:
        return cls(
            id=to_global_id("Webhook", row.id),
            url=row.url,
            events=[WebhookEvent(e) for e in row.events or []],
            active=row.active,
            disabled_reason=row.disabled_reason,
            failing_since=row.failing_since,
            secret=secret,
            owner_id=to_global_id("User", row.owner_id),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(name="WebhookAttempt", description="One try at sending a delivery.")
class WebhookAttemptType:
    at: datetime = strawberry.field(
        description="When the attempt was recorded (after the answer or the error)."
    )
    status_code: int | None = strawberry.field(description="The receiver's HTTP status; null if none came.")
    duration_ms: int = strawberry.field(description="How long the attempt took, in milliseconds.")
    error: str | None = strawberry.field(description="Why it failed (timeout, connection, HTTP code...).")

    @classmethod
    def from_model(cls, row: WebhookAttempt) -> WebhookAttemptType:
        return cls(at=row.at, status_code=row.status_code, duration_ms=row.duration_ms, error=row.error)


@strawberry.type(name="WebhookDelivery", description="One event for one webhook, with every attempt.")
class WebhookDeliveryType:
    id: strawberry.ID = strawberry.field(description="The delivery's global ID.")
    message_id: str = strawberry.field(description="The webhook-id header, the same on every attempt.")
    event: WebhookEventEnum = strawberry.field(description="The job outcome this delivery reports.")
    document_id: strawberry.ID = strawberry.field(
        description="The document's global ID (the document may have been deleted since)."
    )
    status: DeliveryStatusEnum = strawberry.field(description="Pending, delivered, or given up.")
    attempt_count: int = strawberry.field(description="Attempts made so far (0 before the first).")
    next_attempt_at: datetime | None = strawberry.field(description="When PENDING: the next try.")
    last_error: str | None = strawberry.field(
        description=(
            "Why the last attempt failed, or why the delivery was given up; null before a failure "
            "and once DELIVERED."
        )
    )
    created_at: datetime = strawberry.field(description="When it was recorded, as the job ended.")
    finished_at: datetime | None = strawberry.field(
        description="When it was DELIVERED or given up; null while PENDING."
    )
    attempts: list[WebhookAttemptType] = strawberry.field(description="Oldest first.")

    @classmethod
    def from_model(cls, row: WebhookDelivery, attempts: list[WebhookAttempt]) -> WebhookDeliveryType:
        return cls(
            id=to_global_id("WebhookDelivery", row.id),
            message_id=message_id(row.id),
            event=row.event,
            document_id=to_global_id("Document", row.document_id),
            status=row.status,
            attempt_count=row.attempts,
            next_attempt_at=row.next_attempt_at if row.status == DeliveryStatus.PENDING else None,
            last_error=row.last_error,
            created_at=row.created_at,
            finished_at=row.finished_at,
            attempts=[WebhookAttemptType.from_model(a) for a in attempts],
        )
