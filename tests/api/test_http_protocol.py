"""GraphQL over HTTP as clients expect it (issue 15): spec media types, APQ, multipart subscriptions,
malformed multipart, CORS headers. The live-server clients are in test_js_clients.py."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette

from docat.settings import Settings
from graphql_api.app import create_app
from graphql_api.http_protocol import GRAPHQL_RESPONSE_JSON, prefers_graphql_response_json
from graphql_api.persisted_queries import (
    LocalPersistedQueries,
    PersistedQueries,
    RedisPersistedQueries,
    open_persisted_queries,
)
from graphql_api.relay import to_global_id
from models import JobStatus, User
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.redis_server import RedisServer
from tests.security.conftest import make_document

SPEC = {"Accept": GRAPHQL_RESPONSE_JSON}
MULTIPART = {"Accept": 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json'}
LANGUAGES = "query Languages { supportedLanguages }"
JOB_PROGRESS = "subscription($id: ID!) { jobProgress(documentId: $id) { documentId status progress } }"


def apq(sha: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def multipart_payloads(body: str) -> list[dict[str, object]]:
    """The JSON parts of a multipart/mixed subscription response, heartbeats ({}) left out."""
    parts = []
    for chunk in body.split("--graphql"):
        _, _, content = chunk.partition("\r\n\r\n")
        content = content.strip()
        if content.startswith("{") and content != "{}":
            parts.append(json.loads(content))
    return parts


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


# ---- the spec's media types -------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (GRAPHQL_RESPONSE_JSON, True),
        (f"{GRAPHQL_RESPONSE_JSON},application/json;q=0.9", True),
        (f"application/json,{GRAPHQL_RESPONSE_JSON}", False),
        (f"application/json;q=0.5,{GRAPHQL_RESPONSE_JSON}", True),
        ("application/json", False),
        ("*/*", False),
        ("", False),
        (f"{GRAPHQL_RESPONSE_JSON};q=0", False),
    ],
)
def test_accept_negotiation(accept: str, expected: bool) -> None:
    assert prefers_graphql_response_json(accept) is expected


async def test_request_errors_are_4xx_without_data_for_graphql_response_json(gql: GraphQLClient) -> None:
    cases = {"{": "GRAPHQL_PARSE_FAILED", "{ nope }": "GRAPHQL_VALIDATION_FAILED"}
    for query, code in cases.items():
        response = await gql.http.post("/graphql", json={"query": query}, headers=SPEC)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
        body = response.json()
        assert "data" not in body and body["errors"][0]["extensions"]["code"] == code
        # application/json clients keep the legacy answer: 200 with data null.
        legacy = await gql.http.post("/graphql", json={"query": query})
        assert legacy.status_code == 200 and legacy.headers["content-type"].startswith("application/json")
        assert legacy.json()["data"] is None and legacy.json()["errors"][0]["extensions"]["code"] == code
    bad_variable = await gql.http.post(
        "/graphql", json={"query": "query($n: Int) { documents(first: $n) { totalCount } }", "variables": {"n": "x"}},
        headers=SPEC,
    )  # fmt: skip
    assert bad_variable.status_code == 400 and "data" not in bad_variable.json()
    assert bad_variable.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_executed_operations_keep_data_and_200(gql: GraphQLClient) -> None:
    ok = await gql.http.post("/graphql", json={"query": LANGUAGES}, headers=SPEC)
    assert ok.status_code == 200 and ok.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert "de" in ok.json()["data"]["supportedLanguages"]
    # A field error is not a request error: data stays, so does 200.
    field_error = await gql.http.post(
        "/graphql", json={"query": "{ documents { totalCount } }"}, headers=SPEC
    )
    assert field_error.status_code == 200 and "data" in field_error.json()
    assert field_error.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# ---- automatic persisted queries -------------------------------------------------------


async def test_apq_not_found_then_registered_then_by_hash_over_post_and_get(gql: GraphQLClient) -> None:
    query = LANGUAGES + " # " + sha256(str(id(gql)))
    sha = sha256(query)
    unknown = await gql.http.post("/graphql", json={"extensions": apq(sha)})
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0] == {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
    }
    registered = await gql.http.post("/graphql", json={"query": query, "extensions": apq(sha)})
    assert "de" in registered.json()["data"]["supportedLanguages"]
    by_hash = await gql.http.post("/graphql", json={"extensions": apq(sha)})
    assert by_hash.json()["data"] == registered.json()["data"]
    get = await gql.http.get(
        "/graphql", params={"extensions": json.dumps(apq(sha))}, headers={"Accept": "*/*"}
    )
    assert get.status_code == 200 and get.json()["data"] == registered.json()["data"]
    # An anonymous GET that went well may be cached; the same GET with a token may not.
    assert get.headers["cache-control"].startswith("public")
    assert "authorization" in get.headers["vary"].lower()


async def test_apq_refusals(gql: GraphQLClient, user_token: str) -> None:
    mismatch = await gql.http.post("/graphql", json={"query": LANGUAGES, "extensions": apq("0" * 64)})
    assert mismatch.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_hash = await gql.http.post("/graphql", json={"extensions": apq("not-a-hash")})
    assert bad_hash.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    version = await gql.http.post("/graphql", json={"extensions": {"persistedQuery": {"version": 2}}})
    assert version.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # A registered mutation still never runs over GET.
    # (not `login`: its per-address throttle is shared with the other tests on 127.0.0.1)
    mutation = 'mutation { deleteDocument(id: "RG9jdW1lbnQ6eA") }'
    await gql.http.post("/graphql", json={"query": mutation, "extensions": apq(sha256(mutation))})
    over_get = await gql.http.get("/graphql", params={"extensions": json.dumps(apq(sha256(mutation)))})
    assert over_get.status_code == 400
    assert over_get.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_in_process_store_is_a_bounded_lru() -> None:
    store = LocalPersistedQueries(max_entries=2)
    await store.put("a", "{ a }")
    await store.put("b", "{ b }")
    assert await store.get("a") == "{ a }"  # now the most recent
    await store.put("c", "{ c }")
    assert await store.get("b") is None
    assert await store.get("a") == "{ a }" and await store.get("c") == "{ c }"


async def test_the_redis_store_is_shared_bounded_and_expires(tmp_path: Path, settings: Settings) -> None:
    with RedisServer(tmp_path) as server:
        redis = Redis.from_url(server.url)
        try:
            store = RedisPersistedQueries(redis, max_entries=3, ttl=60)
            for name in "abcd":
                await store.put(sha256(name), f"{{ {name} }}")
            assert await store.get(sha256("a")) is None  # the oldest went past the bound
            assert await store.get(sha256("d")) == "{ d }"
            assert await redis.zcard("docat:apq:index") == 3
            assert 0 < await redis.ttl(f"docat:apq:q:{sha256('d')}") <= 60
        finally:
            await redis.aclose()
        # What the app opens with REDIS_URL: another replica sees the same entries.
        async with open_persisted_queries(settings.model_copy(update={"redis_url": server.url})) as shared:
            assert isinstance(shared, RedisPersistedQueries)
            assert await shared.get(sha256("d")) == "{ d }"


async def test_a_failing_store_falls_back_to_the_full_query(gql: GraphQLClient, app: Starlette) -> None:
    class Down:
        async def get(self, sha256_hash: str) -> str | None:
            raise ConnectionError("redis down")

        async def put(self, sha256_hash: str, query: str) -> None:
            raise ConnectionError("redis down")

    resources = app.state.resources
    kept = resources.provide(PersistedQueries, PersistedQueries(Down()))
    try:
        sha = sha256(LANGUAGES)
        missing = await gql.http.post("/graphql", json={"extensions": apq(sha)})
        assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        sent = await gql.http.post("/graphql", json={"query": LANGUAGES, "extensions": apq(sha)})
        assert "de" in sent.json()["data"]["supportedLanguages"]
    finally:
        resources.provide(PersistedQueries, kept)


# ---- subscriptions over HTTP ------------------------------------------------------------


async def test_a_multipart_subscription_gets_the_events_and_completes(
    gql: GraphQLClient, user: User, user_token: str, other_token: str
) -> None:
    doc = await make_document(user, status=JobStatus.COMPLETED)
    global_id = to_global_id("Document", doc.id)
    request = {"query": JOB_PROGRESS, "variables": {"id": global_id}}
    response = await gql.http.post(
        "/graphql", json=request, headers={**MULTIPART, "Authorization": f"Bearer {user_token}"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("multipart/mixed")
    assert response.text.rstrip().endswith("--graphql--")
    # Strawberry's heartbeat part (an empty object) opens the stream and recurs while it idles.
    assert "\r\n\r\n{}" in response.text
    payloads = multipart_payloads(response.text)
    assert [p["payload"]["data"]["jobProgress"]["status"] for p in payloads] == ["COMPLETED"]  # type: ignore[index]
    # The same authorization as anywhere: someone else's document is not found.
    foreign = await gql.http.post(
        "/graphql", json=request, headers={**MULTIPART, "Authorization": f"Bearer {other_token}"}
    )
    codes = [
        e["extensions"]["code"] for p in multipart_payloads(foreign.text) for e in p["payload"]["errors"]
    ]  # type: ignore[index]
    assert codes == ["NOT_FOUND"]
    anonymous = await gql.http.post("/graphql", json=request, headers=MULTIPART)
    codes = [
        e["extensions"]["code"] for p in multipart_payloads(anonymous.text) for e in p["payload"]["errors"]
    ]  # type: ignore[index]
    assert codes == ["UNAUTHENTICATED"]


async def test_a_subscription_over_plain_http_is_refused_with_a_clear_code(
    gql: GraphQLClient, user_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for headers in ({}, {"Accept": "text/event-stream"}):
        response = await gql.http.post(
            "/graphql",
            json={"query": "subscription { myJobs { status } }"},
            headers={**headers, "Authorization": f"Bearer {user_token}"},
        )
        assert response.status_code == 400
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "multipart/mixed;subscriptionSpec=1.0" in error["message"]
    assert errors_logged(caplog) == []


# ---- malformed multipart --------------------------------------------------------------------


async def test_a_multipart_request_without_map_is_bad_input(
    gql: GraphQLClient, user_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    operations = json.dumps(
        {"query": "mutation($f: Upload!) { uploadDocument(file: $f) { id } }", "variables": {"f": None}}
    )
    auth = {"Authorization": f"Bearer {user_token}"}
    pdf = ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    for form in (
        {"operations": operations},
        {"operations": operations, "map": "[1, 2]"},
        {"operations": operations, "map": json.dumps({"0": "variables.f"})},
        {"operations": operations, "map": json.dumps({"0": ["variables.nowhere.deep"]})},
    ):
        response = await gql.http.post("/graphql", data=form, files={"0": pdf}, headers=auth)
        assert response.status_code == 400, (form, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors_logged(caplog) == []


# ---- CORS ---------------------------------------------------------------------------------------


async def test_extra_cors_headers_come_from_the_setting(settings: Settings) -> None:
    configured = create_app(
        settings.model_copy(
            update={"cors_origins": "https://app.example", "cors_allow_headers": "apollo-require-preflight"}
        )
    )
    preflight = {
        "Origin": "https://app.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,apollo-require-preflight",
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=configured), base_url="http://t") as http:
        allowed = await http.options("/graphql", headers=preflight)
        assert allowed.status_code == 200
        assert "apollo-require-preflight" in allowed.headers["access-control-allow-headers"].lower()
    plain = create_app(settings.model_copy(update={"cors_origins": "https://app.example"}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=plain), base_url="http://t") as http:
        assert (await http.options("/graphql", headers=preflight)).status_code == 400
