"""The sweep: deliveries whose task was lost are queued again, once, and old history goes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette

from docat.resources import Resources
from docat.settings import Settings
from jobs.webhooks_signing import new_secret, seal_secret
from jobs.webhooks_sweep import HISTORY_DAYS, sweep_webhooks
from models import DeliveryStatus, User, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent
from tests.webhooks.conftest import eventually
from tests.webhooks.receiver import Receiver


async def lost_delivery(settings: Settings, user: User, url: str, *, overdue: float) -> WebhookDelivery:
    """A PENDING delivery as a dead process leaves it: due long ago, no task anywhere."""
    hook = await Webhook.create(
        owner_id=user.id, url=url, events=["COMPLETED"], secret_encrypted=seal_secret(settings, new_secret())
    )
    return await WebhookDelivery.create(
        webhook_id=hook.id,
        event=WebhookEvent.COMPLETED,
        document_id=uuid.uuid4(),
        body='{"type":"document.completed"}',
        next_attempt_at=datetime.now(UTC) - timedelta(seconds=overdue),
        # The lease of a worker killed mid-attempt, run out.
        lease_until=datetime.now(UTC) - timedelta(seconds=1),
    )


async def test_a_lost_delivery_is_queued_again_by_exactly_one_sweep(
    app: Starlette, user: User, webhook_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources: Resources = app.state.resources
    # A grace period the fresh delivery below cannot outlive on a busy machine.
    monkeypatch.setattr(webhook_settings, "webhook_sweep_seconds", 10.0)
    with Receiver() as receiver:
        lost = await lost_delivery(webhook_settings, user, receiver.url, overdue=60)
        # A fresh one (its own task on the way) is left alone.
        fresh = await lost_delivery(webhook_settings, user, receiver.url, overdue=0)
        counts = await asyncio.gather(sweep_webhooks(resources), sweep_webhooks(resources))
        # Two sweeps at once (two workers): at most one queues it (the app's own periodic
        # sweep may have been first).
        assert sum(counts) <= 1
        mine = await WebhookDelivery.get(id=lost.id)
        assert mine.next_attempt_at > datetime.now(UTC) - timedelta(seconds=5)  # rescheduled
        row = await WebhookDelivery.get(id=fresh.id)
        assert row.attempts == 0 and row.next_attempt_at == fresh.next_attempt_at

        async def delivered() -> WebhookDelivery | None:
            row = await WebhookDelivery.get(id=lost.id)
            return row if row.status == DeliveryStatus.DELIVERED else None

        await eventually(delivered, 30)
        assert len([r for r in receiver.requests if r.headers["webhook-id"] == f"msg_{lost.id.hex}"]) == 1
        assert await WebhookAttempt.filter(delivery_id=lost.id).count() == 1


async def test_finished_deliveries_older_than_the_history_are_dropped(
    app: Starlette, user: User, webhook_settings: Settings
) -> None:
    resources: Resources = app.state.resources
    old = await lost_delivery(webhook_settings, user, "http://127.0.0.1:9/", overdue=0)
    recent = await lost_delivery(webhook_settings, user, "http://127.0.0.1:9/", overdue=0)
    now = datetime.now(UTC)
    await WebhookDelivery.filter(id=old.id).update(
        status=DeliveryStatus.DELIVERED, finished_at=now - timedelta(days=HISTORY_DAYS + 1)
    )
    await WebhookDelivery.filter(id=recent.id).update(status=DeliveryStatus.DELIVERED, finished_at=now)
    await sweep_webhooks(resources)
    assert not await WebhookDelivery.exists(id=old.id)
    assert await WebhookDelivery.exists(id=recent.id)
