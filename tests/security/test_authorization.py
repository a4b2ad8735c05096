"""The authorization matrix: every query, mutation and subscription of the contract, by role.

Each operation runs as anonymous, as another user (not the document's owner)
and as an admin, and must give exactly the contract's answer:

- `ok`: no error;
- a code: exactly that one error code (and null data where the field is non-null);
- `missing`: NOT_FOUND, with a body identical to the same operation on a
  document that does not exist: someone else's document is indistinguishable
  from a missing one.

Every mismatch is collected, so one run shows the whole matrix's failures.
Subscriptions run through `schema.subscribe` with the WebSocket context
(connection_init's Authorization), waiting at most a few seconds for the
first event.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from strawberry.types import ExecutionResult

from docat.resources import Resources
from docat.security import hash_password
from docat.settings import Settings
from graphql_api.context import Context
from graphql_api.relay import to_global_id
from models import Document, JobStatus, ProviderKey, Role, Tier, User
from tests.conftest import PASSWORD
from tests.fixtures.graphql_client import GraphQLClient, GraphQLResult, unique_email
from tests.security.conftest import graphql_schema, make_document, make_log, random_address, text_pdf

ROLES = ("anonymous", "other", "admin")
MISSING_DOCUMENT = to_global_id("Document", "00000000-0000-4000-8000-000000000000")
FIRST_EVENT_SECONDS = 10.0


@dataclass
class World:
    """The people and things of one matrix run."""

    owner: User
    tokens: dict[str, str | None]
    emails: dict[str, str]
    document: Document
    settings: Settings
    resources: Resources


@dataclass
class Case:
    name: str
    query: str
    expect: dict[str, str]
    variables: Callable[[World, str], Awaitable[dict[str, Any]]] | None = None
    # For `missing`: the variables naming a document that does not exist.
    missing_variables: Callable[[World], dict[str, Any]] | None = None


def doc_id(world: World) -> str:
    return to_global_id("Document", world.document.id)


async def same_document(world: World, role: str) -> dict[str, Any]:
    return {"id": doc_id(world)}


def missing_document(world: World) -> dict[str, Any]:
    return {"id": MISSING_DOCUMENT}


def fresh_document(status: JobStatus) -> Callable[[World, str], Awaitable[dict[str, Any]]]:
    """A new document of the owner per role: mutations change or remove it."""

    async def make(world: World, role: str) -> dict[str, Any]:
        doc = await make_document(world.owner, f"{role}.pdf", status=status, page_count=1)
        await world.resources.storage.put_bytes(
            f"documents/{doc.id}/original.pdf", text_pdf(1), "application/pdf"
        )
        return {"id": to_global_id("Document", doc.id)}

    return make


def constant(values: dict[str, Any]) -> Callable[[World, str], Awaitable[dict[str, Any]]]:
    async def make(world: World, role: str) -> dict[str, Any]:
        return values

    return make


async def own_login(world: World, role: str) -> dict[str, Any]:
    return {"email": world.emails[role], "password": PASSWORD}


async def new_user_input(world: World, role: str) -> dict[str, Any]:
    return {"input": {"email": unique_email(f"made-by-{role}"), "password": PASSWORD}}


async def owner_update(world: World, role: str) -> dict[str, Any]:
    return {"id": to_global_id("User", world.owner.id), "input": {"name": f"renamed by {role}"}}


async def a_provider_key(world: World, role: str) -> dict[str, Any]:
    from docat.security import encrypt_secret

    row = await ProviderKey.create(
        provider="gemini",
        key_encrypted=encrypt_secret(world.settings.signing_key, "AIza-test-key-1234"),
        last4="1234",
    )
    return {"id": to_global_id("ProviderKey", row.id)}


ANON = "UNAUTHENTICATED"
ADMIN_ONLY = {"anonymous": ANON, "other": "FORBIDDEN", "admin": "ok"}
SIGNED_IN = {"anonymous": ANON, "other": "ok", "admin": "ok"}
OWNER_OR_ADMIN = {"anonymous": ANON, "other": "missing", "admin": "ok"}

QUERIES = [
    Case("node", "query($id: ID!) { node(id: $id) { id } }", OWNER_OR_ADMIN, same_document, missing_document),
    Case("me", "query { me { email } }", {"anonymous": "null", "other": "ok", "admin": "ok"}),
    Case(
        "document",
        "query($id: ID!) { document(id: $id) { id filename owner { email } } }",
        OWNER_OR_ADMIN,
        same_document,
        missing_document,
    ),
    Case("documents", "query { documents { totalCount edges { node { id } } } }", SIGNED_IN),
    Case(
        "processingLogs",
        "query($id: ID) { processingLogs(documentId: $id) { totalCount edges { node { message } } } }",
        OWNER_OR_ADMIN,
        same_document,
        missing_document,
    ),
    Case("creditLogs", "query { creditLogs { totalCount } }", SIGNED_IN),
    Case("usage", "query { usage(days: 3) { documents days { date } } }", SIGNED_IN),
    Case("supportedLanguages", "query { supportedLanguages }", {r: "ok" for r in ROLES}),
    Case("users", "query { users { totalCount } }", ADMIN_ONLY),
    Case("settings", "query { settings { key value } }", ADMIN_ONLY),
    Case("providerKeys", "query { providerKeys { id last4 } }", ADMIN_ONLY),
]

MUTATIONS = [
    Case(
        "register",
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        # registration_open is false by default: closed to everyone alike.
        {r: "FORBIDDEN" for r in ROLES},
        constant({"i": {"email": "someone-new@example.com", "password": PASSWORD}}),
    ),
    Case(
        "login",
        "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { tokenType } }",
        {"anonymous": "ok", "other": "ok", "admin": "ok"},
        own_login,
    ),
    Case(
        "reprocessDocument",
        "mutation($id: ID!) { reprocessDocument(id: $id) { id status } }",
        OWNER_OR_ADMIN,
        fresh_document(JobStatus.COMPLETED),
        missing_document,
    ),
    Case(
        "cancelDocument",
        "mutation($id: ID!) { cancelDocument(id: $id) { id status } }",
        OWNER_OR_ADMIN,
        fresh_document(JobStatus.QUEUED),
        missing_document,
    ),
    Case(
        "deleteDocument",
        "mutation($id: ID!) { deleteDocument(id: $id) }",
        OWNER_OR_ADMIN,
        fresh_document(JobStatus.COMPLETED),
        missing_document,
    ),
    Case(
        "createUser",
        "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
        ADMIN_ONLY,
        new_user_input,
    ),
    Case(
        "updateUser",
        "mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }",
        ADMIN_ONLY,
        owner_update,
    ),
    Case(
        "updateSetting",
        'mutation { updateSetting(key: "registration_open", value: "false") { key value } }',
        ADMIN_ONLY,
    ),
    Case(
        "addProviderKey",
        'mutation { addProviderKey(provider: "gemini", key: "AIza-matrix-key-5678") { id last4 } }',
        ADMIN_ONLY,
    ),
    Case(
        "removeProviderKey", "mutation($id: ID!) { removeProviderKey(id: $id) }", ADMIN_ONLY, a_provider_key
    ),
    # Last: a successful change revokes the caller's token.
    Case(
        "changePassword",
        "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }",
        SIGNED_IN,
        constant({"c": PASSWORD, "n": "a brand new password"}),
    ),
]

UPLOAD = "mutation($file: Upload!) { uploadDocument(file: $file) { id status } }"

SUBSCRIPTIONS = [
    Case(
        "jobProgress",
        "subscription($id: ID!) { jobProgress(documentId: $id) { documentId status } }",
        OWNER_OR_ADMIN,
        same_document,
        missing_document,
    ),
    Case(
        "documentPages",
        "subscription($id: ID!) { documentPages(documentId: $id) { documentId page } }",
        OWNER_OR_ADMIN,
        same_document,
        missing_document,
    ),
    Case("myJobs", "subscription { myJobs { documentId status } }", SIGNED_IN),
    Case("allJobs", "subscription { allJobs { documentId status } }", ADMIN_ONLY),
]


@functools.cache
def password_hash() -> str:
    # Argon2 is slow by design: hashed once for every user of the matrix.
    return hash_password(PASSWORD)


async def person(prefix: str, **fields: Any) -> User:
    return await User.create(email=unique_email(prefix), password_hash=password_hash(), **fields)


@pytest.fixture
async def world(app: Starlette, settings: Settings, token_of: Any) -> World:
    owner = await person("owner", name="Owner")
    other = await person("other", name="Other")
    admin = await person("admin", role=Role.ADMIN, tier=Tier.PRO)
    document = await make_document(owner, "owned.pdf", status=JobStatus.COMPLETED)
    await make_log(document, "owner's log")
    return World(
        owner=owner,
        tokens={"anonymous": None, "other": token_of(other), "admin": token_of(admin)},
        emails={"anonymous": owner.email, "other": other.email, "admin": admin.email},
        document=document,
        settings=settings,
        resources=app.state.resources,
    )


def field_of(case: Case) -> str:
    return case.name


def verdict(expect: str, result: GraphQLResult, missing: GraphQLResult | None, field: str) -> str | None:
    """None when `result` is what the contract says; else what was wrong."""
    if expect == "ok":
        return (
            None if not result.errors and (result.data or {}).get(field) is not None else f"got {result.body}"
        )
    if expect == "null":
        return None if result.body == {"data": {field: None}} else f"got {result.body}"
    if expect == "missing":
        if result.codes != ["NOT_FOUND"]:
            return f"expected NOT_FOUND, got {result.body}"
        assert missing is not None
        return (
            None
            if result.body == missing.body
            else f"{result.body} differs from a missing one: {missing.body}"
        )
    if result.codes != [expect]:
        return f"expected {expect}, got {result.body}"
    return None


async def run_cases(client: GraphQLClient, world: World, cases: list[Case]) -> list[str]:
    wrong: list[str] = []
    for case in cases:
        for role in ROLES:
            expect = case.expect[role]
            token = world.tokens[role]
            variables = await case.variables(world, role) if case.variables else {}
            result = await client.execute(case.query, variables, token=token)
            missing = None
            if expect == "missing" and case.missing_variables:
                missing = await client.execute(case.query, case.missing_variables(world), token=token)
            problem = verdict(expect, result, missing, field_of(case))
            if problem:
                wrong.append(f"{case.name} as {role}: {problem}")
    return wrong


@pytest.fixture
def jobs_never_run(app: Starlette, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reprocess and upload queue nothing: the matrix is about who may, not about processing."""

    async def enqueue(document_id: uuid.UUID, run: int, *, password: str | None = None) -> None:
        return None

    monkeypatch.setattr(app.state.resources.queue, "enqueue", enqueue)


async def test_every_query_answers_as_the_contract_says(client: GraphQLClient, world: World) -> None:
    assert await run_cases(client, world, QUERIES) == []
    # Another user's lists never show the owner's rows; the admin's do.
    visible = "query { documents(first: 100) { edges { node { id } } } }"
    other = (await client.execute(visible, token=world.tokens["other"])).ok()["documents"]["edges"]
    assert doc_id(world) not in {e["node"]["id"] for e in other}
    logs = "query { processingLogs(first: 100) { edges { node { message } } } }"
    other_logs = (await client.execute(logs, token=world.tokens["other"])).ok()["processingLogs"]["edges"]
    assert "owner's log" not in {e["node"]["message"] for e in other_logs}


async def test_every_mutation_answers_as_the_contract_says(
    client: GraphQLClient, world: World, jobs_never_run: None
) -> None:
    try:
        assert await run_cases(client, world, MUTATIONS) == []
    finally:
        await ProviderKey.filter(last4__in=["5678", "1234"]).delete()


async def test_upload_needs_a_signed_in_user(
    client: GraphQLClient, world: World, jobs_never_run: None
) -> None:
    anonymous = await client.upload(UPLOAD, {}, "file", text_pdf(1))
    assert anonymous.codes == [ANON]
    for role in ("other", "admin"):
        uploaded = await client.upload(UPLOAD, {}, "file", text_pdf(1), token=world.tokens[role])
        assert uploaded.ok()["uploadDocument"]["status"] in ("QUEUED", "COMPLETED"), role


def ws_context(world: World, role: str) -> Context:
    """What the WebSocket transports build: the token from connection_init's payload."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/graphql",
        "headers": [],
        "query_string": b"",
        "client": (random_address(), 40000),
    }
    token = world.tokens[role]
    return Context(
        request=Request(scope),
        resources=world.resources,
        connection_params={"Authorization": f"Bearer {token}"} if token else {},
    )


async def first_event(app: Starlette, world: World, case: Case, role: str, variables: dict[str, Any]) -> Any:
    schema = graphql_schema(app)
    stream = await schema.subscribe(
        case.query, variable_values=variables, context_value=ws_context(world, role)
    )
    if isinstance(stream, ExecutionResult):
        return stream
    try:
        return await asyncio.wait_for(anext(stream), FIRST_EVENT_SECONDS)
    except StopAsyncIteration:
        return None  # completed without an event (a finished job without stored pages)
    finally:
        await stream.aclose()


def as_result(outcome: Any) -> GraphQLResult:
    if outcome is None:
        return GraphQLResult(200, {"data": {}})
    body: dict[str, Any] = {"data": outcome.data}
    if outcome.errors:
        body["errors"] = [e.formatted for e in outcome.errors]
    return GraphQLResult(200, body)


async def test_every_subscription_answers_as_the_contract_says(app: Starlette, world: World) -> None:
    # myJobs and allJobs start with every live job in scope: give each role one.
    for role in ("other", "admin"):
        viewer = await User.get(email=world.emails[role])
        await make_document(
            viewer,
            "running.pdf",
            status=JobStatus.PROCESSING,
            heartbeat_at=datetime.now(UTC),
            started_at=datetime.now(UTC),
        )
    wrong: list[str] = []
    for case in SUBSCRIPTIONS:
        for role in ROLES:
            expect = case.expect[role]
            variables = await case.variables(world, role) if case.variables else {}
            result = as_result(await first_event(app, world, case, role, variables))
            missing = None
            if expect == "missing" and case.missing_variables:
                missing = as_result(await first_event(app, world, case, role, case.missing_variables(world)))
            if expect == "ok":
                problem = None if not result.errors else f"got {result.body}"
            else:
                problem = verdict(expect, result, missing, case.name)
            if problem:
                wrong.append(f"{case.name} as {role}: {problem}")
    assert wrong == []


async def test_a_deactivated_users_token_and_a_foreign_token_are_refused(
    client: GraphQLClient, settings: Settings, world: World
) -> None:
    import jwt

    other = await User.get(email=world.emails["other"])
    foreign = jwt.encode(
        {
            "sub": str(other.id),
            "ver": other.token_version,
            "typ": "access",
            "exp": datetime.now(UTC).timestamp() + 600,
        },
        "a-different-secret-key-0123456789-abcdef",
        algorithm="HS256",
    )
    for query in ("query { documents { totalCount } }", "query { usage { documents } }"):
        assert (await client.execute(query, token=foreign)).codes == [ANON]
    deactivate = "mutation($id: ID!) { updateUser(id: $id, input: {isActive: false}) { isActive } }"
    done = await client.execute(
        deactivate, {"id": to_global_id("User", other.id)}, token=world.tokens["admin"]
    )
    assert done.ok()["updateUser"]["isActive"] is False
    for query in ("query { documents { totalCount } }", "query { me { email } }"):
        assert (await client.execute(query, token=world.tokens["other"])).codes == [ANON]
    # Over the WebSocket path too.
    refused = as_result(await first_event(client_app(client), world, SUBSCRIPTIONS[2], "other", {}))
    assert refused.codes == [ANON]


def client_app(client: GraphQLClient) -> Starlette:
    return client.http._transport.app  # type: ignore[attr-defined,no-any-return]
