"""Webhooks end to end in embedded mode: a real job, a real receiver on loopback, real retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from standardwebhooks import Webhook as Verifier

from docat.settings import Settings
from graphql_api.relay import to_global_id
from models import DeliveryStatus, Document, JobStatus, User, Webhook
from tests.fixtures.graphql_client import GraphQLClient
from tests.jobs import pdfs
from tests.webhooks.conftest import (
    UPLOAD,
    create_webhook,
    deliveries,
    delivery_rows,
    eventually,
    uuid_of,
)
from tests.webhooks.receiver import Receiver

LIST = "query { webhooks(first: 50) { edges { node { id url active disabledReason failingSince secret } } } }"


async def upload(gql: GraphQLClient, token: str) -> str:
    result = await gql.upload(UPLOAD, {}, "file", pdfs.text(1), token=token)
    document_id: str = result.ok()["uploadDocument"]["id"]
    return document_id


async def test_completed_reaches_the_receiver_signed_after_a_first_503(
    gql: GraphQLClient, user_token: str, webhook_settings: Settings
) -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (
        sample("docat_webhook_deliveries_total", outcome="delivered"),
        sample("docat_webhook_deliveries_total", outcome="retry"),
        sample("docat_webhook_delivery_seconds_count"),
    )
    with Receiver(answers=[503, 200]) as receiver:
        hook = await create_webhook(gql, user_token, receiver.url)
        assert hook["secret"].startswith("whsec_")
        assert hook["events"] == ["COMPLETED", "FAILED"]
        document_id = await upload(gql, user_token)

        async def delivered() -> list[dict[str, object]] | None:
            found = await deliveries(gql, user_token, hook["id"])
            return found if found and found[0]["status"] == "DELIVERED" else None

        [delivery] = await eventually(delivered)
        assert len(receiver.requests) == 2
        first, second = receiver.requests
        # The same message on both attempts; each attempt signed on its own.
        assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery["messageId"]
        assert first.body == second.body
        payload = Verifier(hook["secret"]).verify(second.body, second.headers)
        assert payload["type"] == "document.completed"
        data = payload["data"]
        assert data["event"] == "COMPLETED" and data["status"] == "COMPLETED"
        assert data["documentId"] == document_id
        assert data["pageCount"] == 1 and data["error"] is None
        assert data["creditsUsed"] >= 1
        assert "JSON" in data["formats"] and "MARKDOWN" in data["formats"]
        assert second.headers["webhook-signature"].startswith("v1,")

        # Listed with both attempts, oldest first.
        assert delivery["event"] == "COMPLETED" and delivery["documentId"] == document_id
        assert delivery["attemptCount"] == 2
        assert [a["statusCode"] for a in delivery["attempts"]] == [503, 200]
        assert delivery["attempts"][0]["error"] == "HTTP 503"
        assert delivery["attempts"][1]["error"] is None
        assert all(a["durationMs"] >= 0 for a in delivery["attempts"])

        # Metrics: by outcome, and the latency of each attempt; the sweep samples the backlog.
        assert sample("docat_webhook_deliveries_total", outcome="delivered") >= before[0] + 1
        assert sample("docat_webhook_deliveries_total", outcome="retry") >= before[1] + 1
        assert sample("docat_webhook_delivery_seconds_count") >= before[2] + 2
        assert REGISTRY.get_sample_value("docat_webhook_queue_depth") is not None

        # The secret is shown once: never in a listing.
        listed = (await gql.execute(LIST, token=user_token)).ok()["webhooks"]["edges"]
        assert [e["node"]["secret"] for e in listed if e["node"]["id"] == hook["id"]] == [None]


async def test_a_receiver_down_for_a_while_gets_the_delivery_once_it_is_back(
    gql: GraphQLClient, user_token: str, webhook_settings: Settings
) -> None:
    receiver = Receiver()  # its port is chosen, nothing listens yet: connections are refused
    hook = await create_webhook(gql, user_token, receiver.url)
    await upload(gql, user_token)

    async def failed_twice() -> bool | None:
        rows = await delivery_rows(hook["id"])
        return True if rows and rows[0].attempts >= 2 else None

    await eventually(failed_twice)
    [row] = await delivery_rows(hook["id"])
    assert row.status == DeliveryStatus.PENDING and row.last_error
    with receiver:

        async def delivered() -> list[dict[str, object]] | None:
            found = await deliveries(gql, user_token, hook["id"])
            return found if found and found[0]["status"] == "DELIVERED" else None

        [delivery] = await eventually(delivered)
        assert len(receiver.requests) == 1
        Verifier(hook["secret"]).verify(receiver.requests[0].body, receiver.requests[0].headers)
    codes = [a["statusCode"] for a in delivery["attempts"]]  # type: ignore[union-attr]
    assert codes[-1] == 200 and all(c is None for c in codes[:-1]) and len(codes) >= 3


async def test_a_redirect_is_not_followed_and_not_retried(
    gql: GraphQLClient, user_token: str, webhook_settings: Settings
) -> None:
    with Receiver(answers=[302]) as receiver, Receiver() as elsewhere:
        receiver.redirect_to = elsewhere.url
        hook = await create_webhook(gql, user_token, receiver.url)
        await upload(gql, user_token)

        async def given_up() -> list[dict[str, object]] | None:
            found = await deliveries(gql, user_token, hook["id"])
            return found if found and found[0]["status"] == "FAILED" else None

        [delivery] = await eventually(given_up)
        assert delivery["attemptCount"] == 1
        assert "302" in str(delivery["lastError"])
        assert elsewhere.requests == []


async def test_a_webhook_failing_for_days_is_turned_off_and_says_why(
    gql: GraphQLClient, user_token: str, webhook_settings: Settings
) -> None:
    with Receiver(answers=[500] * 50) as receiver:
        hook = await create_webhook(gql, user_token, receiver.url)
        # It has been failing since four days ago (longer than webhook_disable_after_hours).
        await Webhook.filter(id=uuid_of(hook["id"])).update(
            failing_since=datetime.now(UTC) - timedelta(days=4)
        )
        await upload(gql, user_token)

        async def turned_off() -> dict[str, object] | None:
            edges = (await gql.execute(LIST, token=user_token)).ok()["webhooks"]["edges"]
            node: dict[str, object] = next(e["node"] for e in edges if e["node"]["id"] == hook["id"])
            return node if not node["active"] else None

        node = await eventually(turned_off)
        assert "every delivery failed since" in str(node["disabledReason"])
        assert "HTTP 500" in str(node["disabledReason"])
        [row] = await delivery_rows(hook["id"])
        assert row.status == DeliveryStatus.FAILED
        seen = len(receiver.requests)
        # Turned off: the next job sends nothing.
        await upload(gql, user_token)
        assert len(receiver.requests) == seen


CANCEL = "mutation Cancel($id: ID!) { cancelDocument(id: $id) { status } }"


async def test_a_reused_result_and_a_cancel_before_start_are_delivered_too(
    gql: GraphQLClient, user_token: str, user: User, webhook_settings: Settings
) -> None:
    with Receiver() as receiver:
        hook = await create_webhook(gql, user_token, receiver.url, events=["COMPLETED", "CANCELLED"])
        pdf = pdfs.text(1)
        for _ in range(2):  # the second upload reuses the first one's result
            result = await gql.upload(UPLOAD, {}, "file", pdf, token=user_token)
            document_id = result.ok()["uploadDocument"]["id"]

            async def completed(document_id: str = document_id) -> bool | None:
                doc = await Document.get(id=uuid_of(document_id))
                return True if doc.status == JobStatus.COMPLETED else None

            await eventually(completed)
        assert (await Document.get(id=uuid_of(document_id))).cached
        # A queued document nobody runs yet, cancelled: CANCELLED without any job.
        queued = await Document.create(
            owner_id=user.id,
            filename="q.pdf",
            size_bytes=1,
            sha256="0" * 64,
            options={},
            formats=["ORIGINAL"],
        )
        queued_id = to_global_id("Document", queued.id)
        assert (await gql.execute(CANCEL, {"id": queued_id}, token=user_token)).ok()["cancelDocument"] == {
            "status": "CANCELLED"
        }

        async def three() -> list[dict[str, object]] | None:
            found = await deliveries(gql, user_token, hook["id"])
            return found if len(found) == 3 and all(d["status"] == "DELIVERED" for d in found) else None

        found = await eventually(three)
        pairs = {(d["event"], d["documentId"]) for d in found}
        assert ("COMPLETED", document_id) in pairs and ("CANCELLED", queued_id) in pairs
        assert sorted(str(d["event"]) for d in found) == ["CANCELLED", "COMPLETED", "COMPLETED"]
        events = sorted(Verifier(hook["secret"]).verify(r.body, r.headers)["type"] for r in receiver.requests)
        assert events == ["document.cancelled", "document.completed", "document.completed"]


async def test_retry_after_is_honoured_and_a_timeout_is_retried(
    gql: GraphQLClient, user_token: str, webhook_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook_settings, "webhook_timeout_seconds", 1.0)
    with Receiver(answers=[429, 200, 200]) as receiver:
        receiver.retry_after = "3"
        hook = await create_webhook(gql, user_token, receiver.url)
        await upload(gql, user_token)

        async def delivered() -> list[dict[str, object]] | None:
            found = await deliveries(gql, user_token, hook["id"])
            return found if found and found[0]["status"] == "DELIVERED" else None

        [delivery] = await eventually(delivered)
        attempts: list[dict[str, Any]] = delivery["attempts"]  # type: ignore[assignment]
        assert [a["statusCode"] for a in attempts] == [429, 200]
        waited = datetime.fromisoformat(attempts[1]["at"]) - datetime.fromisoformat(attempts[0]["at"])
        assert waited >= timedelta(seconds=2.9)  # Retry-After: 3, not the 0.5 s backoff

        # Now a receiver that does not answer in time: a timeout, then the retry gets through.
        receiver.hold.set()
        await upload(gql, user_token)

        async def timed_out() -> bool | None:
            rows = await delivery_rows(hook["id"])
            return True if len(rows) == 2 and rows[1].attempts >= 1 else None

        await eventually(timed_out)
        receiver.hold.clear()

        async def both_delivered() -> list[dict[str, object]] | None:
            found = await deliveries(gql, user_token, hook["id"])
            return found if len(found) == 2 and all(d["status"] == "DELIVERED" for d in found) else None

        newest = (await eventually(both_delivered))[0]
        attempts = newest["attempts"]  # type: ignore[assignment]
        assert attempts[0]["statusCode"] is None and "timed out after 1 s" in attempts[0]["error"]
        assert attempts[-1]["statusCode"] == 200
