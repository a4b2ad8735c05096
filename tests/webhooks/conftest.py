"""Fixtures of the webhook tests: the session app with webhooks allowed to reach loopback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from docat.settings import Settings
from models import WebhookDelivery
from tests.fixtures import waiting
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.waiting import uuid_of

T = TypeVar("T")
WAIT = 120.0

CREATE = """
mutation Create($url: String!, $events: [WebhookEvent!]) {
  createWebhook(url: $url, events: $events) { id url events active secret disabledReason }
}"""
UPLOAD = "mutation Upload($file: Upload!) { uploadDocument(file: $file) { id status } }"
DELIVERIES = """
query Deliveries($id: ID!) {
  webhookDeliveries(webhookId: $id, first: 10) {
    totalCount
    edges { node {
      messageId event documentId status attemptCount lastError finishedAt
      attempts { at statusCode durationMs error }
    } }
  }
}"""


async def eventually(check: Callable[[], Awaitable[T | None]], bound: float = WAIT) -> T:
    """Poll `check` until it returns something; at most `bound` seconds."""
    return await waiting.eventually(check, bound)


@pytest.fixture
def webhook_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The session app's own settings object, changed for this test only: loopback allowed
    (the receiver lives there), quick retries."""
    monkeypatch.setattr(settings, "webhook_allow_private", True)
    monkeypatch.setattr(settings, "webhook_retry_base_seconds", 0.5)
    monkeypatch.setattr(settings, "webhook_sweep_seconds", 1.0)
    return settings


async def create_webhook(gql: GraphQLClient, token: str, url: str, **variables: Any) -> dict[str, Any]:
    result = await gql.execute(CREATE, {"url": url, **variables}, token=token)
    hook: dict[str, Any] = result.ok()["createWebhook"]
    return hook


async def deliveries(gql: GraphQLClient, token: str, webhook_id: str) -> list[dict[str, Any]]:
    result = await gql.execute(DELIVERIES, {"id": webhook_id}, token=token)
    return [edge["node"] for edge in result.ok()["webhookDeliveries"]["edges"]]


async def delivery_rows(webhook_id: str) -> list[WebhookDelivery]:
    return await WebhookDelivery.filter(webhook_id=uuid_of(webhook_id)).order_by("created_at")
