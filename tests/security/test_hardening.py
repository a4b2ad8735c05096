"""Attacks on the GraphQL endpoint are refused before any resolver runs, with a contract code.

"Before any resolver runs" is shown by a spy on every field resolution (a
SchemaExtension resolve hook), never by timing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

import graphql_api.documents.queries as document_queries
from docat.settings import Settings
from graphql_api.app import create_app
from graphql_api.errors import INTERNAL_MESSAGE
from graphql_api.hardening import MAX_ALIASES, MAX_BATCH, MAX_COST, MAX_DEPTH
from graphql_api.request_guard import MAX_JSON_BODY_BYTES, MAX_QUERY_STRING_BYTES
from models import User
from tests.fixtures.graphql_client import GraphQLClient
from tests.security.conftest import make_document

ME = "query { me { email } }"
# Where this checkout lives: a server path that must never reach a client.
REPO = Path(__file__).resolve().parents[2]


def nested(depth: int) -> str:
    """documents > edges > node > owner > documents ...: `depth` levels of selection."""
    opening, closing, level = [], [], 0
    cycle = ["documents", "edges", "node", "owner"]
    while level < depth:
        opening.append(cycle[level % 4] + " {")
        closing.append("}")
        level += 1
    return "query { " + " ".join(opening) + " __typename " + " ".join(closing) + " }"


async def test_a_query_nested_50_deep_is_refused_before_any_resolver(
    client: GraphQLClient, user_token: str, resolver_calls: list[str]
) -> None:
    result = await client.execute(nested(50), token=user_token)
    assert result.codes == ["BAD_USER_INPUT"]
    assert f"maximum operation depth of {MAX_DEPTH}" in result.errors[0]["message"]
    assert result.data is None
    assert resolver_calls == []


async def test_a_query_at_the_depth_limit_runs(client: GraphQLClient, user_token: str) -> None:
    # `me { documents { edges { node { owner { email } } } } }` is 6 deep: well inside.
    result = await client.execute(
        "query { me { documents { edges { node { owner { email } } } } } }", token=user_token
    )
    assert result.ok()["me"]["documents"]["edges"] == []


async def test_a_thousand_aliases_of_an_expensive_field_are_refused_before_any_resolver(
    client: GraphQLClient, user_token: str, resolver_calls: list[str]
) -> None:
    fields = " ".join(f"a{i}: documents(first: 100) {{ totalCount }}" for i in range(1000))
    result = await client.execute("query { " + fields + " }", token=user_token)
    assert result.status_code == 200
    assert result.codes == ["BAD_USER_INPUT"]
    # The token limit stops the parser before the alias rule even sees the document.
    assert "more than 5000 tokens" in result.errors[0]["message"]
    assert resolver_calls == []


async def test_aliases_past_the_limit_are_refused_by_validation(
    client: GraphQLClient, user_token: str, resolver_calls: list[str]
) -> None:
    fields = " ".join(f"a{i}: me {{ email }}" for i in range(MAX_ALIASES + 1))
    result = await client.execute("query { " + fields + " }", token=user_token)
    assert result.codes == ["BAD_USER_INPUT"]
    assert f"Allowed: {MAX_ALIASES}" in result.errors[0]["message"]
    assert resolver_calls == []


async def test_a_one_megabyte_query_is_refused_without_reading_it(
    client: GraphQLClient, user_token: str, resolver_calls: list[str]
) -> None:
    query = "query { me { email } }" + " " * (1024 * 1024)
    response = await client.http.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {user_token}"}
    )
    assert response.status_code == 413
    body = response.json()
    assert body["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE", "maxBytes": MAX_JSON_BODY_BYTES}
    assert resolver_calls == []


async def test_a_large_body_without_content_length_is_cut_off(
    client: GraphQLClient, resolver_calls: list[str]
) -> None:
    payload = json.dumps({"query": "query { supportedLanguages }" + " " * (1024 * 1024)}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 64 * 1024):
            yield payload[start : start + 64 * 1024]

    response = await client.http.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert resolver_calls == []


async def test_a_huge_get_query_is_refused(client: GraphQLClient, resolver_calls: list[str]) -> None:
    response = await client.http.get("/graphql", params={"query": "{ supportedLanguages }" + " " * 60_000})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {
        "code": "PAYLOAD_TOO_LARGE",
        "maxBytes": MAX_QUERY_STRING_BYTES,
    }
    assert resolver_calls == []


async def test_a_batch_of_500_operations_is_refused_before_any_resolver(
    client: GraphQLClient, user_token: str, resolver_calls: list[str]
) -> None:
    batch = [{"query": ME} for _ in range(500)]
    response = await client.http.post(
        "/graphql", json=batch, headers={"Authorization": f"Bearer {user_token}"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Too many operations" in body["errors"][0]["message"]
    assert resolver_calls == []


async def test_a_small_batch_runs_each_operation(client: GraphQLClient, user: User, user_token: str) -> None:
    batch = [{"query": ME}, {"query": "query { supportedLanguages }"}]
    response = await client.http.post(
        "/graphql", json=batch, headers={"Authorization": f"Bearer {user_token}"}
    )
    assert response.status_code == 200
    first, second = response.json()
    assert first["data"]["me"]["email"] == user.email
    assert "de" in second["data"]["supportedLanguages"]
    assert MAX_BATCH >= 2


async def test_bad_json_is_a_graphql_shaped_error(client: GraphQLClient) -> None:
    response = await client.http.post(
        "/graphql", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_query_over_the_cost_budget_is_refused_before_any_resolver(
    client: GraphQLClient, user_token: str, resolver_calls: list[str]
) -> None:
    query = """
    query Expensive($n: Int) {
      documents(first: $n) { edges { node { logs(first: $n) { edges { node { message at level } } } } } }
    }"""
    refused = await client.execute(query, {"n": 100}, token=user_token)
    assert refused.codes == ["BAD_USER_INPUT"]
    assert f"exceeds the limit of {MAX_COST}" in refused.errors[0]["message"]
    assert resolver_calls == []
    # The same shape with small pages is cheap and runs.
    allowed = await client.execute(query, {"n": 5}, token=user_token)
    assert allowed.ok()["documents"]["edges"] == []
    assert "documents" in resolver_calls


async def test_introspection_follows_the_setting(
    client: GraphQLClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = "query { __schema { queryType { name } } }"
    # Embedded (SQLite) allows it by default; a PostgreSQL deployment only when asked.
    default = await client.execute(query)
    if settings.introspection_enabled:
        assert default.ok() == {"__schema": {"queryType": {"name": "Query"}}}
    else:
        assert set(default.codes) == {"BAD_USER_INPUT"}
    monkeypatch.setattr(settings, "graphql_introspection", False)
    refused = await client.execute(query)
    assert refused.data is None and set(refused.codes) == {"BAD_USER_INPUT"}
    assert "introspection" in refused.errors[0]["message"].lower()
    monkeypatch.setattr(settings, "graphql_introspection", True)
    assert (await client.execute(query)).ok()["__schema"]["queryType"]["name"] == "Query"


async def test_an_internal_error_reaches_the_client_as_a_fixed_message(
    client: GraphQLClient, user_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError(
            'SELECT "password_hash" FROM "users" WHERE 1=1; -- at /etc/passwd line 3\n'
            f'Traceback (most recent call last): File "{REPO}/graphql_api/x.py"'
        )

    monkeypatch.setattr(document_queries, "documents_of", broken)
    response = await client.http.post(
        "/graphql",
        json={"query": "query { documents { totalCount } }"},
        headers={"Authorization": f"Bearer {user_token}"},
    )
    body = response.json()
    assert body["errors"] == [
        {
            "message": INTERNAL_MESSAGE,
            "locations": [{"line": 1, "column": 9}],
            "path": ["documents"],
            "extensions": {"code": "INTERNAL"},
        }
    ]
    for leak in ("SELECT", "password_hash", "/etc/passwd", "Traceback", str(REPO), ".py"):
        assert leak not in response.text


async def test_a_failing_rate_limit_store_neither_leaks_nor_blocks(
    client: GraphQLClient, app: Starlette, user: User, user_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = app.state.resources.rate_limiter

    async def unreachable(*args: object) -> None:
        raise ConnectionError("Error connecting to redis://:hunter2@10.0.0.5:6379 (/run/redis.sock)")

    monkeypatch.setattr(limiter, "hit_request", unreachable)
    response = await client.http.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {user_token}"}
    )
    assert response.json() == {"data": {"me": {"email": user.email}}}
    assert "hunter2" not in response.text


async def test_security_headers_and_hsts_only_behind_tls(client: GraphQLClient) -> None:
    plain = await client.http.get("/health")
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert plain.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in plain.headers
    behind_tls = await client.http.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert behind_tls.headers["strict-transport-security"].startswith("max-age=")
    # Refusals carry them too (the request guard sits inside the headers middleware).
    refused = await client.http.post(
        "/graphql", content=b"x" * (MAX_JSON_BODY_BYTES + 1), headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 413
    assert refused.headers["x-content-type-options"] == "nosniff"


async def test_cors_allows_only_the_configured_origins(app: Starlette, settings: Settings) -> None:
    configured = create_app(
        settings.model_copy(update={"cors_origins": "https://app.example, https://b.example"})
    )
    transport = httpx.ASGITransport(app=configured)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        }
        allowed = await http.options("/graphql", headers={"Origin": "https://b.example", **preflight})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://b.example"
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        denied = await http.options("/graphql", headers={"Origin": "https://evil.example", **preflight})
        assert denied.status_code == 400
        assert "access-control-allow-origin" not in denied.headers
        simple = await http.get("/metrics", headers={"Origin": "https://app.example"})
        assert simple.headers["access-control-allow-origin"] == "https://app.example"
        foreign = await http.get("/metrics", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in foreign.headers
    # Without CORS_ORIGINS (the session's app) no origin is ever allowed.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/health", headers={"Origin": "https://app.example"})
        assert "access-control-allow-origin" not in response.headers


async def test_documents_of_others_and_missing_ones_answer_identically(
    client: GraphQLClient, user: User, other_token: str
) -> None:
    doc = await make_document(user)
    from graphql_api.relay import to_global_id

    query = "query($id: ID!) { document(id: $id) { id filename } }"
    theirs = await client.execute(query, {"id": to_global_id("Document", doc.id)}, token=other_token)
    missing = await client.execute(
        query, {"id": to_global_id("Document", "00000000-0000-4000-8000-000000000000")}, token=other_token
    )
    assert theirs.codes == ["NOT_FOUND"]
    assert theirs.body == missing.body
