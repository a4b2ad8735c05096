"""Webhook rules: SSRF refusals, who sees what, secrets shown once, backoff, GraphQL ids."""

from __future__ import annotations

import ipaddress
import uuid

import pytest
from standardwebhooks import Webhook as Verifier

from docat.settings import Settings, load_settings
from graphql_api.relay import to_global_id
from jobs.webhooks import document_global_id
from jobs.webhooks_delivery import backoff_seconds, judge
from jobs.webhooks_http import Answer, RefusedTarget, is_public, resolve_target
from jobs.webhooks_signing import signed_headers
from models import DeliveryStatus, User
from tests.fixtures.graphql_client import GraphQLClient
from tests.jobs import pdfs
from tests.webhooks.conftest import CREATE, UPLOAD, create_webhook, deliveries, eventually
from tests.webhooks.receiver import Receiver

LIST = "query { webhooks(first: 100) { edges { node { id url ownerId secret } } } }"
UPDATE = """
mutation Update($id: ID!, $url: String, $events: [WebhookEvent!], $active: Boolean) {
  updateWebhook(id: $id, url: $url, events: $events, active: $active) { id url events active secret }
}"""
DELETE = "mutation Delete($id: ID!) { deleteWebhook(id: $id) }"
ROTATE = "mutation Rotate($id: ID!) { rotateWebhookSecret(id: $id) { id secret } }"
DELIVERIES = "query D($id: ID!) { webhookDeliveries(webhookId: $id) { totalCount } }"


# ---- SSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.100.100.200",  # shared address space (another metadata address)
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "ff02::1",
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


async def test_a_name_resolving_to_loopback_is_refused_without_the_setting() -> None:
    with pytest.raises(RefusedTarget, match=r"resolves to (127\.0\.0\.1|::1)"):
        await resolve_target("http://localhost:8080/hook", allow_private=False)
    target = await resolve_target("http://localhost:8080/hook?x=1", allow_private=True)
    # The request goes to the checked address; the name only travels as Host / TLS name.
    assert target.address.is_loopback and target.host == "localhost"
    assert (
        target.request_url
        == f"http://{target.address if target.address.version == 4 else f'[{target.address}]'}:8080/hook?x=1"
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/x", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http://user:pw@example.com/", "credentials"),
        ("http:///nohost", "no host"),
        ("http://[::1]:99999/", "valid URL"),
    ],
)
async def test_urls_breaking_the_rules_are_refused_even_when_private_addresses_are_allowed(
    url: str, why: str
) -> None:
    with pytest.raises(RefusedTarget, match=why):
        await resolve_target(url, allow_private=True)


async def test_create_webhook_refuses_loopback_without_the_setting(
    gql: GraphQLClient, user_token: str, settings: Settings
) -> None:
    assert settings.webhook_allow_private is False
    for url in (
        "http://localhost:9/hook",
        "http://127.0.0.1:9/hook",
        "http://[::1]/",
        "http://169.254.169.254/",
    ):
        result = await gql.execute(CREATE, {"url": url}, token=user_token)
        assert result.codes == ["BAD_USER_INPUT"], (url, result.errors)
        assert "url refused" in result.errors[0]["message"]
    result = await gql.execute(CREATE, {"url": "gopher://x/"}, token=user_token)
    assert result.codes == ["BAD_USER_INPUT"]
    result = await gql.execute(CREATE, {"url": "https://example.com/", "events": []}, token=user_token)
    assert result.codes == ["BAD_USER_INPUT"]


async def test_a_delivery_to_an_address_that_became_internal_is_refused_not_sent(
    gql: GraphQLClient, user_token: str, webhook_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule is applied again at every attempt (DNS may change after createWebhook)."""
    with Receiver() as receiver:
        hook = await create_webhook(gql, user_token, receiver.url)
        monkeypatch.setattr(webhook_settings, "webhook_allow_private", False)
        await gql.upload(UPLOAD, {}, "file", pdfs.text(1), token=user_token)

        async def given_up() -> list[dict[str, object]] | None:
            found = await deliveries(gql, user_token, hook["id"])
            return found if found and found[0]["status"] == "FAILED" else None

        [delivery] = await eventually(given_up)
        assert receiver.requests == []
        assert delivery["attemptCount"] == 1
        assert "refused" in str(delivery["lastError"]) and "127.0.0.1" in str(delivery["lastError"])
        assert delivery["attempts"][0]["statusCode"] is None  # type: ignore[index]


# ---- who sees and changes what ------------------------------------------------------------


async def test_webhooks_are_their_owners_and_admins_may_list_them_all(
    gql: GraphQLClient,
    user_token: str,
    other_token: str,
    admin_token: str,
    user: User,
    webhook_settings: Settings,
) -> None:
    hook = await create_webhook(gql, user_token, "http://127.0.0.1:9/mine")
    mine = (await gql.execute(LIST, token=user_token)).ok()["webhooks"]["edges"]
    assert [e["node"]["id"] for e in mine] == [hook["id"]]
    assert mine[0]["node"]["ownerId"] == to_global_id("User", user.id)
    theirs = (await gql.execute(LIST, token=other_token)).ok()["webhooks"]["edges"]
    assert hook["id"] not in [e["node"]["id"] for e in theirs]
    every = (await gql.execute(LIST, token=admin_token)).ok()["webhooks"]["edges"]
    assert hook["id"] in [e["node"]["id"] for e in every]
    assert all(e["node"]["secret"] is None for e in every)

    # Someone else's webhook answers like a missing one; an admin may read it, not change it.
    for query, variables in (
        (UPDATE, {"id": hook["id"], "active": False}),
        (DELETE, {"id": hook["id"]}),
        (ROTATE, {"id": hook["id"]}),
        (DELIVERIES, {"id": hook["id"]}),
    ):
        assert (await gql.execute(query, variables, token=other_token)).codes == ["NOT_FOUND"]
    assert (await gql.execute(DELIVERIES, {"id": hook["id"]}, token=admin_token)).ok()
    assert (await gql.execute(DELETE, {"id": hook["id"]}, token=admin_token)).codes == ["NOT_FOUND"]
    assert (await gql.execute(DELETE, {"id": "bm9wZQ"}, token=user_token)).codes == ["NOT_FOUND"]
    assert (await gql.execute(LIST)).codes == ["UNAUTHENTICATED"]

    updated = (
        await gql.execute(
            UPDATE,
            {"id": hook["id"], "url": "http://127.0.0.1:9/other", "events": ["CANCELLED"], "active": False},
            token=user_token,
        )
    ).ok()["updateWebhook"]
    assert updated == {
        "id": hook["id"],
        "url": "http://127.0.0.1:9/other",
        "events": ["CANCELLED"],
        "active": False,
        "secret": None,
    }
    assert (await gql.execute(DELETE, {"id": hook["id"]}, token=user_token)).ok()["deleteWebhook"] is True
    assert (await gql.execute(DELETE, {"id": hook["id"]}, token=user_token)).codes == ["NOT_FOUND"]


async def test_a_rotated_secret_signs_the_next_deliveries(
    gql: GraphQLClient, user_token: str, webhook_settings: Settings
) -> None:
    with Receiver() as receiver:
        hook = await create_webhook(gql, user_token, receiver.url)
        rotated = (await gql.execute(ROTATE, {"id": hook["id"]}, token=user_token)).ok()[
            "rotateWebhookSecret"
        ]
        assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]
        await gql.upload(UPLOAD, {}, "file", pdfs.text(1), token=user_token)

        async def arrived() -> bool | None:
            return True if receiver.requests else None

        await eventually(arrived)
        request = receiver.requests[0]
        Verifier(rotated["secret"]).verify(request.body, request.headers)
        with pytest.raises(Exception, match="signature"):
            Verifier(hook["secret"]).verify(request.body, request.headers)

        async def delivered() -> list[dict[str, object]] | None:
            found = await deliveries(gql, user_token, hook["id"])
            return found if found and found[0]["status"] == DeliveryStatus.DELIVERED.value else None

        await eventually(delivered)


# ---- pure parts ---------------------------------------------------------------------------


def test_backoff_grows_with_jitter_is_capped_and_honours_retry_after() -> None:
    settings = load_settings(webhook_retry_base_seconds=10, webhook_retry_max_delay_seconds=3600)
    for attempts, nominal in ((1, 10), (2, 20), (3, 40), (6, 320)):
        delays = {backoff_seconds(settings, attempts) for _ in range(50)}
        assert all(0.75 * nominal <= d <= 1.25 * nominal for d in delays)
        assert len(delays) > 1  # jittered
    assert all(backoff_seconds(settings, 30) <= 1.25 * 3600 for _ in range(20))
    assert backoff_seconds(settings, 1, retry_after=120) >= 120
    assert backoff_seconds(settings, 1, retry_after=10**9) <= 3600


def test_which_answers_are_retried() -> None:
    def verdict(code: int | None) -> tuple[bool, bool]:
        v = judge(Answer(code, 0.1, None if code else "ConnectError"))
        return v.delivered, v.retry

    assert verdict(200) == (True, False) and verdict(204) == (True, False)
    for code in (None, 408, 429, 500, 502, 503, 504):
        assert verdict(code) == (False, True), code
    for code in (301, 302, 400, 401, 404, 410):
        assert verdict(code) == (False, False), code
    assert judge(Answer(None, 0.0, "refused: private", refused=True)).retry is False


def test_the_body_names_the_document_by_its_graphql_id() -> None:
    key = uuid.uuid4()
    assert document_global_id(key) == to_global_id("Document", key)


def test_signatures_are_standard_webhooks() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    headers = signed_headers(secret, "msg_1", '{"a":1}')
    assert Verifier(secret).verify('{"a":1}', headers) == {"a": 1}


async def test_the_request_goes_to_the_checked_address_and_reads_little(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: the name answers a "public" address for the check and an internal one
    afterwards. The request still goes to the checked address (no second lookup); the name
    travels as the Host header; at most MAX_RESPONSE_BYTES of the answer are read."""
    import asyncio
    import socket

    import httpx

    from jobs import webhooks_http

    calls: list[str] = []

    async def rebinding(self: object, host: str, port: int, **kwargs: object) -> list[tuple[object, ...]]:
        calls.append(host)
        address = "127.0.0.1" if len(calls) == 1 else "169.254.169.254"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", rebinding)
    # For this test 127.0.0.1 counts as public (the receiver must live somewhere).
    monkeypatch.setattr(webhooks_http, "is_public", lambda address: str(address) == "127.0.0.1")
    with Receiver() as receiver:
        receiver.body_size = 1_000_000
        target = await resolve_target(f"http://hooks.example.test:{receiver.port}/hook", allow_private=False)
        assert str(target.address) == "127.0.0.1"
        with pytest.raises(RefusedTarget, match=r"169\.254\.169\.254"):  # a second check would refuse
            await resolve_target(f"http://hooks.example.test:{receiver.port}/hook", allow_private=False)
        async with httpx.AsyncClient(trust_env=False) as client:
            answer = await webhooks_http.post_webhook(client, target, b"{}", {}, time_limit=10)
    assert answer.status_code == 200 and answer.error is None
    assert len(answer.excerpt) == webhooks_http.MAX_RESPONSE_BYTES
    assert calls == ["hooks.example.test", "hooks.example.test"]  # the POST looked nothing up
    [request] = receiver.requests
    assert request.headers["host"] == f"hooks.example.test:{receiver.port}"
    assert request.headers["content-type"] == "application/json"
