"""Refusals before validation over a WebSocket: an error message for the operation, never a
server-side exception (a hook that raised used to log "Exception in worker task" and send a bare
`complete`)."""

from __future__ import annotations

import logging

import pytest

from docat.errors import RateLimited
from tests.subscriptions.ws_client import SubscriptionError, WSClient

ME_450 = "query Big {" + " me{email}" * 450 + "}"


def codes_of(error: SubscriptionError) -> list[str]:
    return [e["extensions"]["code"] for e in error.args[0]]


async def test_refusals_before_validation_reach_the_socket_as_errors(
    live_http: str, user_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    url = live_http.replace("http://", "ws://")
    cases = {
        "subscription {": "GRAPHQL_PARSE_FAILED",
        ME_450: "BAD_USER_INPUT",
        "subscription { nope }": "GRAPHQL_VALIDATION_FAILED",
    }
    async with WSClient(url, {"token": user_token}) as ws:
        for query, code in cases.items():
            with pytest.raises(SubscriptionError) as refused:
                async for _ in ws.subscribe(query):
                    pass
            assert codes_of(refused.value) == [code], query[:40]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_spent_budget_refuses_a_subscription_with_rate_limited(
    live_http: str, user_token: str, app_limiter: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def exhausted(*args: object) -> None:
        raise RateLimited("request limit reached", retry_after=30)

    monkeypatch.setattr(app_limiter, "hit_request", exhausted)
    async with WSClient(live_http.replace("http://", "ws://"), {"token": user_token}) as ws:
        with pytest.raises(SubscriptionError) as refused:
            async for _ in ws.subscribe("subscription { myJobs { status } }"):
                pass
    assert codes_of(refused.value) == ["RATE_LIMITED"]


@pytest.fixture
def app_limiter(app: object) -> object:
    return app.state.resources.rate_limiter  # type: ignore[attr-defined]
