"""The list queries: no N+1, literal search, keyset pagination, filters, usage from the database."""

from __future__ import annotations

from datetime import UTC

from docat import credits
from docat.settings import Settings
from graphql_api.relay import to_global_id
from models import JobStatus, LogLevel, User
from tests.conftest import PASSWORD
from tests.fixtures.graphql_client import GraphQLClient, unique_email
from tests.security.conftest import QueryCounter, make_document, make_log

DOCUMENT_OWNERS = "query($n: Int) { documents(first: $n) { edges { node { filename owner { email } } } } }"
LOG_DOCUMENTS = (
    "query($n: Int) { processingLogs(first: $n) { edges { node { message document { filename } } } } }"
)
CREDIT_LOG_LINKS = "query($n: Int) { creditLogs(first: $n) { edges { node { amount user { email } document { filename } } } } }"
USER_LIMITS = """
query($s: String, $n: Int) { users(search: $s, first: $n) { edges { node { email creditsLimit } } } }"""
SEARCH_DOCUMENTS = (
    "query($s: String) { documents(search: $s, first: 100) { totalCount edges { node { filename } } } }"
)
SEARCH_USERS = (
    "query($s: String) { users(search: $s, first: 100) { totalCount edges { node { email name } } } }"
)
PAGE = """
query($after: String, $status: JobStatus) {
  documents(first: 2, after: $after, status: $status) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id filename } }
  }
}"""
LOGS_OF = """
query($id: ID, $level: LogLevel) { processingLogs(documentId: $id, level: $level) { totalCount edges { node { message level } } } }"""
USAGE = "query($days: Int) { usage(days: $days) { documents pages creditsUsed creditsLimit days { date documents pages credits } } }"


async def statements_for(client: GraphQLClient, counter: QueryCounter, query: str, n: int, token: str) -> int:
    # A first run settles the once-a-minute last_active_at write and the settings snapshot.
    (await client.execute(query, {"n": n}, token=token)).ok()
    counter.statements.clear()
    result = await client.execute(query, {"n": n}, token=token)
    result.ok()
    # A request that reads nothing would make every comparison here pass: the counter must see it.
    assert counter.count > 0, "no statement was counted"
    return counter.count


async def owner_with(
    n: int, settings: Settings, *, logs: bool = False, charges: bool = False
) -> tuple[User, str]:
    from docat.accounts import access_token_for

    owner = await User.create(email=unique_email(f"n{n}"), password_hash="x")
    for i in range(n):
        doc = await make_document(owner, f"doc-{i}.pdf")
        if logs:
            await make_log(doc, f"log of {i}")
        if charges:
            await credits.reserve(settings, owner.id, doc.id, 1)
            await credits.settle(settings, doc.id, 1, 1, f"doc {i}")
    return owner, access_token_for(settings, owner)[0]


async def test_document_owners_load_in_one_batch(
    client: GraphQLClient, settings: Settings, count_queries: QueryCounter
) -> None:
    _, few = await owner_with(5, settings)
    _, many = await owner_with(20, settings)
    small = await statements_for(client, count_queries, DOCUMENT_OWNERS, 50, few)
    large = await statements_for(client, count_queries, DOCUMENT_OWNERS, 50, many)
    assert small == large, count_queries.statements
    # The viewer, the count, the page and one batch of owners.
    assert large <= 4, count_queries.statements


async def test_log_documents_load_in_one_batch(
    client: GraphQLClient, settings: Settings, count_queries: QueryCounter
) -> None:
    _, few = await owner_with(5, settings, logs=True)
    _, many = await owner_with(20, settings, logs=True)
    small = await statements_for(client, count_queries, LOG_DOCUMENTS, 50, few)
    large = await statements_for(client, count_queries, LOG_DOCUMENTS, 50, many)
    assert small == large, count_queries.statements
    assert large <= 4, count_queries.statements


async def test_credit_log_links_load_in_batches(
    client: GraphQLClient, settings: Settings, count_queries: QueryCounter
) -> None:
    _, few = await owner_with(5, settings, charges=True)
    _, many = await owner_with(20, settings, charges=True)
    small = await statements_for(client, count_queries, CREDIT_LOG_LINKS, 50, few)
    large = await statements_for(client, count_queries, CREDIT_LOG_LINKS, 50, many)
    assert small == large, count_queries.statements


async def test_user_limits_cost_no_query_per_user(
    client: GraphQLClient, settings: Settings, admin_token: str, count_queries: QueryCounter
) -> None:
    marker = f"limits-{unique_email('m').split('@')[0]}"
    for i in range(20):
        await User.create(email=f"{marker}-{i}@example.com", password_hash="x")
    few = await statements_for_search(client, count_queries, marker, 5, admin_token)
    many = await statements_for_search(client, count_queries, marker, 20, admin_token)
    assert few == many, count_queries.statements


async def statements_for_search(
    client: GraphQLClient, counter: QueryCounter, search: str, n: int, token: str
) -> int:
    (await client.execute(USER_LIMITS, {"s": search, "n": n}, token=token)).ok()
    counter.statements.clear()
    result = (await client.execute(USER_LIMITS, {"s": search, "n": n}, token=token)).ok()
    assert len(result["users"]["edges"]) == n
    # A request that reads nothing would make every comparison here pass: the counter must see it.
    assert counter.count > 0, "no statement was counted"
    return counter.count


async def test_document_search_matches_sql_and_like_metacharacters_literally(
    client: GraphQLClient, user: User, user_token: str, other_token: str
) -> None:
    names = [
        "100%_done.pdf",
        "100x_done.pdf",
        "100%xdone.pdf",
        "100xxdone.pdf",
        "O'Brien; DROP TABLE users;--.pdf",
        "back\\slash.pdf",
    ]
    for name in names:
        await make_document(user, name)

    async def found(search: str, token: str = user_token) -> set[str]:
        data = (await client.execute(SEARCH_DOCUMENTS, {"s": search}, token=token)).ok()["documents"]
        return {e["node"]["filename"] for e in data["edges"]}

    assert await found("%") == {"100%_done.pdf", "100%xdone.pdf"}
    assert await found("_") == {"100%_done.pdf", "100x_done.pdf"}
    assert await found("100%_") == {"100%_done.pdf"}
    assert await found("x_d") == {"100x_done.pdf"}
    assert await found("%%") == set()
    assert await found("' OR 1=1 --") == set()
    assert await found("'; DROP TABLE documents; --") == set()
    assert await found("O'Brien; DROP") == {"O'Brien; DROP TABLE users;--.pdf"}
    assert await found("\\") == {"back\\slash.pdf"}
    assert await found("_DONE") == {"100%_done.pdf", "100x_done.pdf"}
    # Someone else's search never reaches these rows.
    assert await found("%", other_token) == set()


async def test_user_search_matches_literally(client: GraphQLClient, admin_token: str) -> None:
    marker = unique_email("lit").split("@")[0]
    people = {
        f"{marker}-a@example.com": "50%_off",
        f"{marker}-b@example.com": "50x_off",
        f"{marker}-c@example.com": "50%xoff",
        f"{marker}-d@example.com": "50xxoff",
    }
    for email, name in people.items():
        created = await client.execute(
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            {"i": {"email": email, "password": PASSWORD, "name": name}},
            token=admin_token,
        )
        created.ok()

    async def found(search: str) -> set[str]:
        data = (await client.execute(SEARCH_USERS, {"s": search}, token=admin_token)).ok()["users"]
        return {e["node"]["name"] for e in data["edges"] if e["node"]["email"].startswith(marker)}

    assert await found("50%_") == {"50%_off"}
    assert await found("0x_o") == {"50x_off"}
    assert await found("%") == {"50%_off", "50%xoff"}
    assert await found("_") == {"50%_off", "50x_off"}
    # `%` alone is one literal character, not "everything".
    everyone = (await client.execute(SEARCH_USERS, {"s": None}, token=admin_token)).ok()["users"][
        "totalCount"
    ]
    percent = (await client.execute(SEARCH_USERS, {"s": "%"}, token=admin_token)).ok()["users"]
    assert percent["totalCount"] < everyone
    assert all("%" in (e["node"]["name"] or "") + e["node"]["email"] for e in percent["edges"])
    assert (await client.execute(SEARCH_USERS, {"s": "' OR '1'='1"}, token=admin_token)).ok()["users"][
        "totalCount"
    ] == 0


async def test_documents_page_by_keyset_with_status(
    client: GraphQLClient, user: User, user_token: str
) -> None:
    for i in range(5):
        await make_document(user, f"page-{i}.pdf", status=JobStatus.FAILED if i % 2 else JobStatus.COMPLETED)
    seen: list[str] = []
    after = None
    while True:
        page = (await client.execute(PAGE, {"after": after}, token=user_token)).ok()["documents"]
        assert page["totalCount"] == 5
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [e["node"]["filename"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"page-{i}.pdf" for i in range(4, -1, -1)]
    failed = (await client.execute(PAGE, {"status": "FAILED"}, token=user_token)).ok()["documents"]
    assert failed["totalCount"] == 2
    assert {e["node"]["filename"] for e in failed["edges"]} == {"page-1.pdf", "page-3.pdf"}
    for bad in ({"after": "not-a-cursor"},):
        assert (await client.execute(PAGE, bad, token=user_token)).codes == ["BAD_USER_INPUT"]
    for first in (-1, 101):
        result = await client.execute(
            "query($n: Int) { documents(first: $n) { totalCount } }", {"n": first}, token=user_token
        )
        assert result.codes == ["BAD_USER_INPUT"]


async def test_processing_logs_filter_by_document_and_level(
    client: GraphQLClient, user: User, user_token: str, other_token: str
) -> None:
    doc = await make_document(user)
    elsewhere = await make_document(user, "elsewhere.pdf")
    for i in range(3):
        await make_log(doc, f"info {i}")
    for i in range(2):
        await make_log(doc, f"error {i}", level=LogLevel.ERROR)
    await make_log(elsewhere, "not this document", level=LogLevel.ERROR)
    doc_id = to_global_id("Document", doc.id)
    errors = (await client.execute(LOGS_OF, {"id": doc_id, "level": "ERROR"}, token=user_token)).ok()
    assert errors["processingLogs"]["totalCount"] == 2
    assert {e["node"]["message"] for e in errors["processingLogs"]["edges"]} == {"error 0", "error 1"}
    everything = (await client.execute(LOGS_OF, {"level": "ERROR"}, token=user_token)).ok()
    assert everything["processingLogs"]["totalCount"] == 3
    assert (await client.execute(LOGS_OF, {"id": doc_id}, token=other_token)).codes == ["NOT_FOUND"]
    assert (await client.execute(LOGS_OF, {}, token=other_token)).ok()["processingLogs"]["totalCount"] == 0


async def test_usage_per_day_from_the_database(
    client: GraphQLClient, settings: Settings, user: User, user_token: str
) -> None:
    first = await make_document(user, page_count=3)
    await make_document(user, page_count=4)
    await credits.reserve(settings, user.id, first.id, 5)
    await credits.settle(settings, first.id, 1, 5, "3 pages, one OCR")
    usage = (await client.execute(USAGE, {"days": 7}, token=user_token)).ok()["usage"]
    assert (usage["documents"], usage["pages"], usage["creditsUsed"], usage["creditsLimit"]) == (2, 7, 5, 500)
    assert len(usage["days"]) == 7
    assert [d["date"] for d in usage["days"]] == sorted(d["date"] for d in usage["days"])
    today = first.created_at.astimezone(UTC).date().isoformat()
    by_date = {d["date"]: d for d in usage["days"]}
    assert by_date[today] == {"date": today, "documents": 2, "pages": 7, "credits": 5}
    assert sum(d["documents"] for d in usage["days"]) == 2
    for days in (0, 367):
        assert (await client.execute(USAGE, {"days": days}, token=user_token)).codes == ["BAD_USER_INPUT"]
