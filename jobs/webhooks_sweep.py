"""The webhook sweep: due deliveries whose task went missing are queued again.

    async with start_webhook_sweep(resources): ...   # a pass every webhook_sweep_seconds

Every worker runs it (jobs/worker.py), and so does the embedded API
(docat/resources.py). A task goes missing when the process holding it died:
a worker killed mid-attempt (its lease expires), an embedded server stopped
with retries still waiting in memory, Redis losing its queue. The sweep finds
PENDING deliveries due for longer than a grace period and not leased, and
queues each under a task id of its own pass; the claim in
jobs/webhooks_delivery.py makes any duplicate a no-op.

No storm after an outage: a pass takes at most BATCH deliveries and spreads
them over the next interval with a random delay each, and a delivery that
fails again gets its own jittered backoff.

Each pass also samples the number of PENDING deliveries into the
`docat_webhook_queue_depth` gauge, and drops finished deliveries older than
HISTORY_DAYS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from docat import metrics
from docat.background import running
from docat.resources import Resources
from jobs.webhooks_delivery import queue_attempt
from models import DeliveryStatus, WebhookDelivery

logger = logging.getLogger(__name__)

BATCH = 200
# Finished deliveries (and their attempts) are kept this long for webhookDeliveries.
HISTORY_DAYS = 30


async def sweep_webhooks(resources: Resources, *, now: datetime | None = None) -> int:
    """One pass; returns how many deliveries it queued."""
    settings = resources.settings
    moment = now or datetime.now(UTC)
    # A fresh delivery has its own task on the way: leave it a grace period.
    grace = timedelta(seconds=settings.webhook_sweep_seconds)
    rows = (
        await WebhookDelivery.filter(
            Q(lease_until=None) | Q(lease_until__lt=moment),
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=moment - grace,
        )
        .order_by("next_attempt_at")
        .limit(BATCH)
        .values_list("id", "attempts", "next_attempt_at")
    )
    suffix = f":sweep{int(time.time())}"
    queued = 0
    for delivery_id, attempts, due in rows:
        delay = random.uniform(0, settings.webhook_sweep_seconds)
        # Due again when its task will run: a later pass leaves it alone unless that task is
        # lost too, and of two workers sweeping at once only the one that moved it queues it.
        moved = await WebhookDelivery.filter(
            id=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at=due
        ).update(next_attempt_at=moment + timedelta(seconds=delay))
        if moved:
            await queue_attempt(resources, delivery_id, attempts, delay=delay, suffix=suffix)
            queued += 1
    await WebhookDelivery.filter(
        status__in=(DeliveryStatus.DELIVERED, DeliveryStatus.FAILED),
        finished_at__lt=moment - timedelta(days=HISTORY_DAYS),
    ).delete()
    metrics.set_webhook_queue_depth(await WebhookDelivery.filter(status=DeliveryStatus.PENDING).count())
    if queued:
        logger.info("webhook sweep queued %d due deliveries", queued)
    return queued


async def _sweep_forever(resources: Resources) -> None:
    while True:
        try:
            await sweep_webhooks(resources)
        except Exception:  # the database or Redis is away now; the next pass tries again
            logger.exception("webhook sweep failed")
        await asyncio.sleep(resources.settings.webhook_sweep_seconds)


@contextlib.asynccontextmanager
async def start_webhook_sweep(resources: Resources) -> AsyncIterator[None]:
    async with running(_sweep_forever(resources), name="docat-webhook-sweep"):
        yield
