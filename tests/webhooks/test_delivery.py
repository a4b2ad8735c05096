"""Webhooks end to end in embedded mode: a real job, a real receiver on loopback, real retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook as Verifier

from docat.settings import Settings
from models import DeliveryStatus, Webhook
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
