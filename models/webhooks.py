"""Webhooks: where a user wants to hear about finished jobs, and every delivery to it.

A `WebhookDelivery` row is written in the same transaction that makes a run
terminal (jobs/outcome.py), so a crash after that commit loses nothing: the
queue only carries "try delivery X now", and the sweep (jobs/webhooks.py)
re-queues any due delivery whose job went missing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.users import User


class WebhookEvent(StrEnum):
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # waiting for its next attempt
    DELIVERED = "DELIVERED"  # a 2xx answer
    FAILED = "FAILED"  # given up: a permanent refusal, the retry window spent, or the webhook disabled


class Webhook(Model):
    id = fields.UUIDField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="webhooks", on_delete=fields.CASCADE
    )
    owner_id: uuid.UUID
    url = fields.CharField(max_length=2048)
    # WebhookEvent names.
    events: list[str] = fields.JSONField(default=list)
    # The whsec_ signing secret, Fernet-encrypted with a key derived from SECRET_KEY: it has
    # to be read back to sign, but a database dump alone must not let anyone forge deliveries.
    secret_encrypted = fields.TextField()
    active = fields.BooleanField(default=True)
    # Why the service turned it off (failing for days); cleared when the owner turns it on.
    disabled_reason = fields.TextField(null=True)
    # First failed attempt since the last success; None while it works.
    failing_since: datetime | None = fields.DatetimeField(null=True)  # type: ignore[assignment]
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhooks"
        indexes = (Index(fields=("owner_id", "created_at")),)


class WebhookDelivery(Model):
    id = fields.UUIDField(primary_key=True)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="deliveries", on_delete=fields.CASCADE
    )
    webhook_id: uuid.UUID
    event = fields.CharEnumField(WebhookEvent, max_length=16)
    # No foreign key: the history outlives a deleted document.
    document_id = fields.UUIDField()
    run = fields.IntField(default=0)
    # The exact JSON body: every attempt sends the same bytes under the same webhook-id.
    body = fields.TextField()
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at: datetime = fields.DatetimeField()  # type: ignore[assignment]
    # Held by the worker sending it; an expired lease means that worker died mid-attempt.
    lease_until: datetime | None = fields.DatetimeField(null=True)  # type: ignore[assignment]
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at: datetime | None = fields.DatetimeField(null=True)  # type: ignore[assignment]

    class Meta:
        table = "webhook_deliveries"
        # One delivery per webhook, run and event, however often the run's end is replayed.
        unique_together = (("webhook_id", "document_id", "run", "event"),)
        indexes = (
            Index(fields=("status", "next_attempt_at")),
            Index(fields=("webhook_id", "created_at")),
        )


class WebhookAttempt(Model):
    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "models.WebhookDelivery", related_name="attempt_rows", on_delete=fields.CASCADE
    )
    delivery_id: uuid.UUID
    at = fields.DatetimeField(auto_now_add=True)
    # None when no answer came (refused address, connection error, timeout).
    status_code = fields.IntField(null=True)
    duration_ms = fields.IntField()
    error = fields.TextField(null=True)

    class Meta:
        table = "webhook_attempts"
        indexes = (Index(fields=("delivery_id", "at")),)
