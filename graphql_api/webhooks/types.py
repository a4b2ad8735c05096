"""GraphQL types of webhooks, their deliveries and each delivery's attempts."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.relay import to_global_id
from jobs.webhooks import message_id
from models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent

strawberry.enum(
    WebhookEvent,
    name="WebhookEvent",
    description="The terminal status of a job that a webhook is told about.",
)
strawberry.enum(DeliveryStatus, name="WebhookDeliveryStatus")
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
    id: strawberry.ID
    url: str
    events: list[WebhookEventEnum]
    active: bool
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
    owner_id: strawberry.ID
    created_at: datetime
    updated_at: datetime

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
    at: datetime
    status_code: int | None = strawberry.field(description="The receiver's HTTP status; null if none came.")
    duration_ms: int
    error: str | None = strawberry.field(description="Why it failed (timeout, connection, HTTP code...).")

    @classmethod
    def from_model(cls, row: WebhookAttempt) -> WebhookAttemptType:
        return cls(at=row.at, status_code=row.status_code, duration_ms=row.duration_ms, error=row.error)


@strawberry.type(name="WebhookDelivery", description="One event for one webhook, with every attempt.")
class WebhookDeliveryType:
    id: strawberry.ID
    message_id: str = strawberry.field(description="The webhook-id header, the same on every attempt.")
    event: WebhookEventEnum
    document_id: strawberry.ID
    status: DeliveryStatusEnum
    attempt_count: int
    next_attempt_at: datetime | None = strawberry.field(description="When PENDING: the next try.")
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
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
