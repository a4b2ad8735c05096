"""Relay in both directions: `last`/`before` page backward, `nodes` beside `edges`, `nodes(ids:)`.

Runs on SQLite and on PostgreSQL (the `app` fixture). Rows share timestamps on purpose: the
keyset is (time, id), and a backward page must cut through a run of equal times exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from graphql_api.relay import to_global_id
from models import CreditLog, Document, User
from tests.fixtures.graphql_client import GraphQLClient

DOCUMENTS = """
query($first: Int, $after: String, $last: Int, $before: String) {
  documents(first: $first, after: $after, last: $last, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { filename } }
    nodes { id filename }
    totalCount
  }
}"""
CREDIT_LOGS = """
query($last: Int, $before: String) {
  creditLogs(last: $last, before: $before) {
    pageInfo { hasNextPage hasPreviousPage } nodes { description }
  }
}"""
NODES = """
query($ids: [ID!]!) {
  nodes(ids: $ids) { __typename id ... on Document { filename } ... on User { email } }
}"""
COUNT = 7


async def make_documents(user: User) -> list[str]:
    """COUNT documents, newest first as the API lists them; pairs share a created_at."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(COUNT):
        doc = await Document.create(owner=user, filename=f"doc-{i}.pdf", size_bytes=1, sha256=f"{i:064x}")
        doc.created_at = base + timedelta(seconds=i // 2)
        await doc.save(update_fields=["created_at"])
    return [d.filename for d in await Document.filter(owner_id=user.id).order_by("-created_at", "-id")]


async def page(gql: GraphQLClient, token: str, **variables: Any) -> dict[str, Any]:
    return (await gql.execute(DOCUMENTS, variables, token=token)).ok()["documents"]  # type: ignore[no-any-return]


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["filename"] for edge in connection["edges"]]


async def test_paging_backward_from_the_end_visits_every_row_once(
    gql: GraphQLClient, user: User, user_token: str
) -> None:
    newest_first = await make_documents(user)
    last = await page(gql, user_token, last=3)
    assert names(last) == newest_first[-3:]  # the oldest three, still newest first
    assert last["pageInfo"]["hasPreviousPage"] and not last["pageInfo"]["hasNextPage"]
    assert [n["filename"] for n in last["nodes"]] == names(last)
    assert last["totalCount"] == COUNT

    seen = names(last)
    cursor = last["pageInfo"]["startCursor"]
    while True:
        previous = await page(gql, user_token, last=3, before=cursor)
        assert previous["pageInfo"]["hasNextPage"]  # the rows we came from
        seen = names(previous) + seen
        if not previous["pageInfo"]["hasPreviousPage"]:
            break
        cursor = previous["pageInfo"]["startCursor"]
    assert seen == newest_first

    # Forward paging is unchanged, and `before` bounds it from the other side.
    first = await page(gql, user_token, first=2)
    assert names(first) == newest_first[:2] and first["pageInfo"]["hasNextPage"]
    middle = await page(gql, user_token, after=first["edges"][0]["cursor"], before=last["edges"][0]["cursor"])
    assert names(middle) == newest_first[1 : COUNT - 3]
    assert middle["totalCount"] == COUNT


async def test_last_and_before_on_other_connections(gql: GraphQLClient, user: User, user_token: str) -> None:
    for i in range(4):
        await CreditLog.create(user=user, amount=1, balance_after=i + 1, description=f"charge {i}")
    newest = (await gql.execute(CREDIT_LOGS, {"last": 2}, token=user_token)).ok()["creditLogs"]
    assert [n["description"] for n in newest["nodes"]] == ["charge 1", "charge 0"]
    assert newest["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}


async def test_last_replaces_first(gql: GraphQLClient, user: User, user_token: str) -> None:
    """`first` has a default, so every `last` query carries one: `last` wins, given or not."""
    newest_first = await make_documents(user)
    assert names(await page(gql, user_token, first=5, last=2)) == newest_first[-2:]


async def test_bad_paging_arguments_are_bad_user_input(gql: GraphQLClient, user_token: str) -> None:
    for variables in ({"last": -1}, {"last": 101}, {"last": 1, "before": "nope"}, {"before": "nope"}):
        result = await gql.execute(DOCUMENTS, variables, token=user_token)
        assert result.codes == ["BAD_USER_INPUT"], variables
        assert result.data is None


async def test_backward_pages_are_priced_like_forward_ones(gql: GraphQLClient, user_token: str) -> None:
    query = """
    query Expensive($n: Int) {
      documents(last: $n) { edges { node { logs(last: $n) { edges { node { message at level } } } } } }
    }"""
    refused = await gql.execute(query, {"n": 100}, token=user_token)
    assert refused.codes == ["BAD_USER_INPUT"] and "exceeds the limit" in refused.errors[0]["message"]
    assert (await gql.execute(query, {"n": 5}, token=user_token)).ok() == {"documents": {"edges": []}}


async def test_nodes_resolves_many_ids_in_order_with_null_for_the_invisible(
    gql: GraphQLClient, user: User, other_user: User, user_token: str
) -> None:
    await make_documents(user)
    await make_documents(other_user)
    mine = (await page(gql, user_token, first=2))["nodes"]
    theirs = await Document.filter(owner_id=other_user.id).first()
    assert theirs is not None
    ids = [
        mine[1]["id"],
        to_global_id("Document", theirs.id),  # someone else's: like a missing one
        to_global_id("User", user.id),
        "not-a-global-id",
        mine[0]["id"],
    ]
    found = (await gql.execute(NODES, {"ids": ids}, token=user_token)).ok()["nodes"]
    assert found == [
        {"__typename": "Document", "id": mine[1]["id"], "filename": mine[1]["filename"]},
        None,
        {"__typename": "User", "id": ids[2], "email": user.email},
        None,
        {"__typename": "Document", "id": mine[0]["id"], "filename": mine[0]["filename"]},
    ]


async def test_nodes_needs_a_token_and_a_bounded_list(gql: GraphQLClient, user_token: str) -> None:
    assert (await gql.execute(NODES, {"ids": []})).codes == ["UNAUTHENTICATED"]
    assert (await gql.execute(NODES, {"ids": []}, token=user_token)).ok() == {"nodes": []}
    too_many = await gql.execute(NODES, {"ids": ["x"] * 101}, token=user_token)
    assert too_many.codes == ["BAD_USER_INPUT"]
