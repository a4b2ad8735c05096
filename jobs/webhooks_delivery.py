"""Sending one webhook delivery: claim, attempt, record, and schedule the next try.

    await queue_attempt(resources, delivery_id, attempts)   # enqueue deliver_webhook
    await deliver_webhook(ctx, str(delivery_id))            # the queue task (arq or in-process)

At least once, never twice at the same time:

- The database row is the truth; a queued task only says "try delivery X now".
  A task first claims the row with one conditional UPDATE (PENDING, due, no
  live lease) that sets `lease_until`; a second task for the same delivery
  (the sweep's, arq's redelivery) finds it claimed and does nothing.
- The lease outlives one attempt (timeout + LEASE_MARGIN_SECONDS). A worker
  killed mid-attempt leaves a lease that expires; the sweep then queues the
  delivery again and another worker sends it.
- Timeouts, connection errors, 408/425/429 and 5xx are retried with
  exponential backoff and jitter (Retry-After honoured), for
  `webhook_retry_hours` after the delivery was made; any other answer below 200
  or from 300 (a redirect is not followed) gives up at once, as does an address
  the SSRF rules refuse.
- A webhook whose attempts have all failed for `webhook_disable_after_hours`
  is turned off with the reason in `disabled_reason`, and its pending
  deliveries are given up.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tortoise.expressions import Q

from docat import metrics
from docat.resources import Resources
from docat.settings import Settings
from jobs.webhooks import message_id
from jobs.webhooks_http import Answer, RefusedTarget, Unresolvable, post_webhook, resolve_target
from jobs.webhooks_signing import open_secret, signed_headers
from models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)

DELIVER_WEBHOOK = "deliver_webhook"
LEASE_MARGIN_SECONDS = 20.0
# A task may start a little before the row's due time (timer granularity, clock skew).
DUE_SLACK_SECONDS = 2.0
RETRYABLE_CODES = frozenset({408, 425, 429})


def task_id(delivery_id: uuid.UUID, attempts: int, suffix: str = "") -> str:
    return f"docat-webhook:{delivery_id}:{attempts}{suffix}"


async def queue_attempt(
    resources: Resources, delivery_id: uuid.UUID, attempts: int, *, delay: float = 0.0, suffix: str = ""
) -> None:
    await resources.queue.enqueue_task(
        DELIVER_WEBHOOK, str(delivery_id), task_id=task_id(delivery_id, attempts, suffix), delay=delay
    )


def lease_seconds(settings: Settings) -> float:
    return settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS


def backoff_seconds(settings: Settings, attempts: int, retry_after: float | None = None) -> float:
    """Delay before attempt `attempts + 1`: base * 2^(attempts-1), capped, with +-25% jitter, so
    deliveries that failed together (a receiver back from an outage) do not return together.
    A Retry-After longer than that is honoured, up to the cap."""
    cap = settings.webhook_retry_max_delay_seconds
    delay = min(cap, settings.webhook_retry_base_seconds * 2 ** max(0, attempts - 1))
    delay *= random.uniform(0.75, 1.25)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


@dataclass(frozen=True, slots=True)
class Verdict:
    delivered: bool
    retry: bool
    error: str | None


def judge(answer: Answer) -> Verdict:
    code = answer.status_code
    if answer.refused:
        return Verdict(False, False, answer.error)
    if code is None:
        return Verdict(False, True, answer.error)
    if 200 <= code < 300:
        return Verdict(True, False, None)
    if code in RETRYABLE_CODES or code >= 500:
        return Verdict(False, True, f"HTTP {code}")
    return Verdict(False, False, f"HTTP {code} (not retried)")


class WebhookClient(httpx.AsyncClient):
    """The process's one HTTP client for deliveries (its own class: its own entry in Resources)."""


def _client(resources: Resources) -> WebhookClient:
    def make() -> WebhookClient:
        # trust_env=False: no proxy from the environment may carry the request elsewhere.
        # No kept-alive connections: the pool is keyed by address, and two webhook hosts on one
        # address must not share a connection opened for the other's name (Host, TLS).
        client = WebhookClient(
            trust_env=False, follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=0)
        )
        resources.close_with(client.aclose)
        return client

    return resources.shared(WebhookClient, make)


async def _claim(settings: Settings, delivery_id: uuid.UUID, now: datetime) -> bool:
    claimed = (
        await WebhookDelivery.filter(
            Q(lease_until=None) | Q(lease_until__lt=now),
            id=delivery_id,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now + timedelta(seconds=DUE_SLACK_SECONDS),
        ).update(lease_until=now + timedelta(seconds=lease_seconds(settings)))
    ) > 0
    return claimed


async def _attempt(resources: Resources, delivery: WebhookDelivery, webhook: Webhook) -> Answer:
    settings = resources.settings
    try:
        target = await resolve_target(webhook.url, allow_private=settings.webhook_allow_private)
    except Unresolvable as exc:
        return Answer(None, 0.0, str(exc))
    except RefusedTarget as exc:
        return Answer(None, 0.0, f"refused: {exc}", refused=True)
    headers = signed_headers(
        open_secret(settings, webhook.secret_encrypted), message_id(delivery.id), delivery.body
    )
    return await post_webhook(
        _client(resources),
        target,
        delivery.body.encode(),
        headers,
        time_limit=settings.webhook_timeout_seconds,
    )


async def deliver_webhook(ctx: dict[str, Any], delivery_id: str) -> None:
    """The queue task: one attempt at one delivery, if it is due and nobody else holds it."""
    resources: Resources = ctx["resources"]
    settings = resources.settings
    key = uuid.UUID(delivery_id)
    if not await _claim(settings, key, datetime.now(UTC)):
        return
    delivery = await WebhookDelivery.get_or_none(id=key)
    if delivery is None:
        return  # its webhook was deleted meanwhile
    webhook = await Webhook.get_or_none(id=delivery.webhook_id)
    if webhook is None or not webhook.active:
        await _give_up(delivery, "the webhook was turned off")
        metrics.record_webhook_delivery("abandoned")
        return
    answer = await _attempt(resources, delivery, webhook)
    await _record(resources, delivery, webhook, answer, judge(answer))


async def _record(
    resources: Resources, delivery: WebhookDelivery, webhook: Webhook, answer: Answer, verdict: Verdict
) -> None:
    settings = resources.settings
    now = datetime.now(UTC)
    attempts = delivery.attempts + 1
    await WebhookAttempt.create(
        delivery_id=delivery.id,
        status_code=answer.status_code,
        duration_ms=round(answer.seconds * 1000),
        error=verdict.error[:1000] if verdict.error else None,
    )
    metrics.observe_webhook_latency(answer.seconds)
    if verdict.delivered:
        await WebhookDelivery.filter(id=delivery.id).update(
            status=DeliveryStatus.DELIVERED,
            attempts=attempts,
            lease_until=None,
            finished_at=now,
            last_error=None,
        )
        if webhook.failing_since is not None:
            await Webhook.filter(id=webhook.id).update(failing_since=None)
        metrics.record_webhook_delivery("delivered")
        return
    error = verdict.error or "failed"
    deadline = delivery.created_at + timedelta(hours=settings.webhook_retry_hours)
    delay = backoff_seconds(settings, attempts, answer.retry_after)
    if verdict.retry and now + timedelta(seconds=delay) < deadline:
        await WebhookDelivery.filter(id=delivery.id).update(
            attempts=attempts,
            lease_until=None,
            next_attempt_at=now + timedelta(seconds=delay),
            last_error=error[:1000],
        )
        metrics.record_webhook_delivery("retry")
        await queue_attempt(resources, delivery.id, attempts, delay=delay)
    else:
        why = error if not verdict.retry else f"gave up after {attempts} attempts: {error}"
        await WebhookDelivery.filter(id=delivery.id).update(
            status=DeliveryStatus.FAILED,
            attempts=attempts,
            lease_until=None,
            finished_at=now,
            last_error=why[:1000],
        )
        metrics.record_webhook_delivery("failed")
    await _note_failure(settings, webhook, error, now)


async def _note_failure(settings: Settings, webhook: Webhook, error: str, now: datetime) -> None:
    """Start or extend the webhook's failing streak; turn it off once it lasted too long."""
    if webhook.failing_since is None:
        await Webhook.filter(id=webhook.id, failing_since=None).update(failing_since=now)
        return
    if now - webhook.failing_since < timedelta(hours=settings.webhook_disable_after_hours):
        return
    reason = (
        f"turned off at {now:%Y-%m-%d %H:%M} UTC: every delivery failed since "
        f"{webhook.failing_since:%Y-%m-%d %H:%M} UTC (last: {error})"
    )[:1000]
    if await Webhook.filter(id=webhook.id, active=True).update(active=False, disabled_reason=reason):
        logger.warning("webhook %s of user %s disabled: %s", webhook.id, webhook.owner_id, reason)
        await WebhookDelivery.filter(webhook_id=webhook.id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED,
            finished_at=now,
            lease_until=None,
            last_error="the webhook was turned off",
        )


async def _give_up(delivery: WebhookDelivery, why: str) -> None:
    await WebhookDelivery.filter(id=delivery.id).update(
        status=DeliveryStatus.FAILED, lease_until=None, finished_at=datetime.now(UTC), last_error=why
    )
