"""Connections: totalCount costs a COUNT only when a client selects it."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from tortoise import connections

from models import Document, User
from tests.fixtures.graphql_client import GraphQLClient

PAGE = """
query($first: Int, $after: String) {
  documents(first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { filename } } }
}"""
COUNTED = """
query($first: Int, $after: String) {
  documents(first: $first, after: $after) { totalCount twice: totalCount edges { node { filename } } }
}"""


@pytest.fixture
def statements(app: Starlette, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    sent: list[str] = []
    client_class = type(connections.get("default"))
    for name in ("execute_query", "execute_query_dict"):
        original = getattr(client_class, name)

        def spy(self: Any, query: str, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            sent.append(query)
            return _original(self, query, *args, **kwargs)

        monkeypatch.setattr(client_class, name, spy)
    return sent


def counts(sent: list[str]) -> int:
    return sum("COUNT(" in statement.upper() for statement in sent)


async def test_total_count_is_counted_only_when_selected(
    gql: GraphQLClient, user: User, user_token: str, statements: list[str]
) -> None:
    for i in range(3):
        await Document.create(owner=user, filename=f"doc-{i}.pdf", size_bytes=1, sha256=f"{i:064x}")
    await gql.execute("{ __typename }", token=user_token)  # the settings snapshot, the user's activity
    statements.clear()

    page = (await gql.execute(PAGE, {"first": 2}, token=user_token)).ok()["documents"]
    assert [e["node"]["filename"] for e in page["edges"]] == ["doc-2.pdf", "doc-1.pdf"]
    assert counts(statements) == 0

    statements.clear()
    counted = (await gql.execute(COUNTED, {"first": 2}, token=user_token)).ok()["documents"]
    assert (counted["totalCount"], counted["twice"]) == (3, 3)
    assert counts(statements) == 1  # once, however often it is selected

    # A first page that holds every row knows the total without a COUNT.
    statements.clear()
    whole = (await gql.execute(COUNTED, {"first": 10}, token=user_token)).ok()["documents"]
    assert (whole["totalCount"], len(whole["edges"])) == (3, 3)
    assert counts(statements) == 0

    # A later page counts every row the connection pages through, not the rest.
    statements.clear()
    after = page["pageInfo"]["endCursor"]
    rest = (await gql.execute(COUNTED, {"first": 10, "after": after}, token=user_token)).ok()["documents"]
    assert [e["node"]["filename"] for e in rest["edges"]] == ["doc-0.pdf"]
    assert rest["totalCount"] == 3 and counts(statements) == 1
