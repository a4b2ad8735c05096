"""An open WebSocket holds no more rights than its account has now (graphql_api.socket_rights).

Rights taken away through the API (demotion, deactivation, password change) close the account's
sockets with 4403 and a reason, on both subprotocols, without the socket doing anything; a change
nobody announced is still caught by the next operation on the socket; a token's expiry closes
its socket. The same across API processes is in test_ws_revocation_scale_out.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette

from docat.accounts import create_user
from docat.events import EventBus
from docat.security import issue_token
from docat.settings import Settings
from graphql_api.relay import to_global_id
from graphql_api.socket_rights import publish_rights_change, socket_watch
from models import Document, JobStage, JobStatus, Role, Tier, User
from tests.conftest import PASSWORD
from tests.fixtures.graphql_client import GraphQLClient, unique_email

from .conftest import (
    ALL_JOBS,
    JOB_PROGRESS,
    MY_JOBS,
    gid,
    kill_pubsub_connection,
    make_document,
    wait_until,
)
from .node_client import node_lines_until_exit
from .ws_client import LEGACY_WS, TRANSPORT_WS, WSClient

PROTOCOLS = [TRANSPORT_WS, LEGACY_WS]
TokenOf = Callable[[User], str]
RESULTS = ("next", "data")

UPDATE_USER = """
mutation Update($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { id role isActive }
}"""
CHANGE_PASSWORD = """
mutation Change($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new)
}"""
LIST_USERS = "query { users(first: 5) { totalCount edges { node { email role } } } }"
CREATE_ADMIN = """
mutation Create($email: String!) {
  createUser(input: {email: $email, password: "a long enough password", role: ADMIN}) { id role }
}"""
READ_DOCUMENT = """
query Read($id: ID!) {
  document(id: $id) { id filename status downloadUrl(format: MARKDOWN) }
}"""


async def another_admin() -> User:
    return await create_user(unique_email("admin"), PASSWORD, role=Role.ADMIN, tier=Tier.PRO)


async def update_user(gql: GraphQLClient, admin_token: str, user: User, **changes: object) -> None:
    result = await gql.execute(
        UPDATE_USER, {"id": to_global_id("User", user.id), "input": changes}, token=admin_token
    )
    result.ok()


async def first_result(ws: WSClient, query: str, variables: dict[str, object] | None = None) -> dict:
    """The data of a query or mutation sent over the socket."""
    results = [data async for data in ws.subscribe(query, variables)]
    assert len(results) == 1, results
    return results[0]


async def assert_closed_for(ws: WSClient, reason: str) -> list[dict]:
    """The socket closes 4403 with `reason` (bounded wait); the messages it sent before that.
    The legacy protocol signals `connection_error` with the reason first."""
    messages = await ws.until_closed()
    assert (ws.ws.close_code if ws.ws else None, ws.close_reason) == (4403, reason), messages
    if ws.protocol == LEGACY_WS:
        errors = [m for m in messages if m["type"] == "connection_error"]
        assert errors and errors[-1]["payload"] == {"message": reason, "code": "UNAUTHENTICATED"}, messages
    return messages


def results_in(messages: list[dict], operation_id: str) -> list[dict]:
    return [m for m in messages if m.get("id") == operation_id and m["type"] in RESULTS]


async def start_live_feed(ws: WSClient, feed: str, owner: User) -> str:
    """Start a myJobs/allJobs feed and wait until it delivers: its snapshot shows a job of
    `owner`, read after the feed subscribed to the bus."""
    doc = await make_document(owner, status=JobStatus.PROCESSING, stage=JobStage.EXTRACTING, progress=0.1)
    operation_id = await ws.start(feed)
    while True:
        message = await ws.receive()
        if message.get("id") == operation_id and message["type"] in RESULTS:
            (event,) = message["payload"]["data"].values()
            if event["documentId"] == gid(doc):
                return operation_id


# ---- rights taken away through the API close the socket at once ----------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_demoted_admins_socket_is_closed_and_lists_nothing_more(
    live_server: str, gql: GraphQLClient, admin: User, admin_token: str, protocol: str,
    token_of: TokenOf,
) -> None:  # fmt: skip
    demoter = await another_admin()
    async with WSClient(live_server, {"Authorization": f"Bearer {admin_token}"}, protocol=protocol) as ws:
        # Admin rights at work over the socket: a query (graphql-transport-ws only: the legacy
        # protocol carries subscriptions alone) and an admin-only subscription.
        if protocol == TRANSPORT_WS:
            assert (await first_result(ws, LIST_USERS))["users"]["totalCount"] >= 2
        await start_live_feed(ws, ALL_JOBS, demoter)

        await update_user(gql, token_of(demoter), admin, role="USER")
        # The socket sits idle: nothing it does triggers the check, the revocation does.
        await assert_closed_for(ws, "role changed")

    await admin.refresh_from_db()
    assert admin.role == Role.USER


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_deactivated_users_socket_is_closed(
    live_server: str, gql: GraphQLClient, user: User, user_token: str, admin_token: str,
    protocol: str,
) -> None:  # fmt: skip
    async with WSClient(live_server, {"token": user_token}, protocol=protocol) as ws:
        feed = await start_live_feed(ws, MY_JOBS, user)
        await update_user(gql, admin_token, user, isActive=False)
        messages = await assert_closed_for(ws, "account disabled")
    assert results_in(messages, feed) == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_password_change_closes_the_older_sockets(
    live_server: str, gql: GraphQLClient, user: User, user_token: str, protocol: str, token_of: TokenOf
) -> None:
    async with (
        WSClient(live_server, {"token": user_token}, protocol=protocol) as first,
        WSClient(
            live_server, None, protocol=protocol, headers={"Authorization": f"Bearer {user_token}"}
        ) as second,
    ):
        await first.start(MY_JOBS)
        result = await gql.execute(
            CHANGE_PASSWORD, {"current": PASSWORD, "new": "a brand new password"}, token=user_token
        )
        assert result.ok()["changePassword"] is True
        await assert_closed_for(first, "access token revoked")
        await assert_closed_for(second, "access token revoked")

    # A token from after the change works on a new socket.
    await user.refresh_from_db()
    async with WSClient(live_server, {"token": token_of(user)}, protocol=protocol) as fresh:
        assert fresh.ack is not None and fresh.ack["type"] == "connection_ack"


async def test_a_deleted_account_closes_its_sockets(
    live_server: str, api_bus: EventBus, token_of: TokenOf
) -> None:
    gone = await create_user(unique_email("gone"), PASSWORD)
    async with WSClient(live_server, {"token": token_of(gone)}) as ws:
        await ws.start(MY_JOBS)
        await User.filter(id=gone.id).delete()
        await publish_rights_change(api_bus, gone.id)
        await assert_closed_for(ws, "account deleted")


async def test_other_accounts_and_promotions_keep_their_sockets(
    live_server: str, gql: GraphQLClient, user: User, user_token: str, other_user: User, other_token: str,
    admin_token: str,
) -> None:  # fmt: skip
    async with (
        WSClient(live_server, {"token": user_token}) as promoted,
        WSClient(live_server, {"token": other_token}) as bystander,
    ):
        await update_user(gql, admin_token, user, role="ADMIN")
        await update_user(gql, admin_token, other_user, tier="PRO", name="Renamed")
        # Both sockets still work, and the promotion is in force on the open socket.
        assert (await first_result(promoted, LIST_USERS))["users"]["totalCount"] >= 2
        assert (await first_result(bystander, "query { me { tier } }"))["me"]["tier"] == "PRO"


# ---- changes nobody announced: the next operation re-reads the account ---------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_each_operation_rechecks_the_role(
    live_server: str, admin: User, admin_token: str, protocol: str
) -> None:
    email = unique_email("sneaky-admin")
    async with WSClient(live_server, {"token": admin_token}, protocol=protocol) as ws:
        if protocol == TRANSPORT_WS:
            assert (await first_result(ws, LIST_USERS))["users"]["totalCount"] >= 1
        # Demoted behind the API's back (no event): only the next operation can notice.
        await User.filter(id=admin.id).update(role=Role.USER)
        if protocol == TRANSPORT_WS:
            operations = [await ws.start(LIST_USERS), await ws.start(CREATE_ADMIN, {"email": email})]
        else:
            operations = [await ws.start(ALL_JOBS)]
        messages = await assert_closed_for(ws, "role changed")
    assert [results_in(messages, operation) for operation in operations] == [[]] * len(operations)
    assert not await User.filter(email=email).exists()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_deactivated_user_can_no_longer_read_documents_or_mint_links(
    live_server: str, user: User, user_token: str, protocol: str
) -> None:
    doc = await make_document(
        user, status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=1.0, formats=["MARKDOWN"]
    )
    # The legacy protocol carries subscriptions only: it follows the document instead.
    query = READ_DOCUMENT if protocol == TRANSPORT_WS else JOB_PROGRESS
    async with WSClient(live_server, {"token": user_token}, protocol=protocol) as ws:
        readable = await first_result(ws, query, {"documentId" if protocol == LEGACY_WS else "id": gid(doc)})
        if protocol == TRANSPORT_WS:
            assert readable["document"]["downloadUrl"] and "/files/" in readable["document"]["downloadUrl"]
        else:
            assert readable["jobProgress"]["status"] == "COMPLETED"

        await User.filter(id=user.id).update(is_active=False)
        read = await ws.start(query, {"documentId" if protocol == LEGACY_WS else "id": gid(doc)})
        messages = await assert_closed_for(ws, "account disabled")
    assert results_in(messages, read) == []
    assert await Document.exists(id=doc.id)


async def test_the_watch_sweep_catches_unannounced_changes(
    live_server: str, app: Starlette, user: User, user_token: str
) -> None:
    """What the periodic sweep does (it also runs on a Redis resync): re-read every watched account."""
    async with WSClient(live_server, {"token": user_token}) as ws:
        await ws.start(MY_JOBS)
        await User.filter(id=user.id).update(token_version=user.token_version + 1)
        await socket_watch(app.state.resources).sweep([user.id])
        await assert_closed_for(ws, "access token revoked")


async def test_a_change_missed_while_redis_was_away_is_caught_on_reconnection(
    live_server: str, app: Starlette, redis_buses: tuple[EventBus, EventBus], redis_admin: Redis,
    user: User, user_token: str,
) -> None:  # fmt: skip
    server_bus, _ = redis_buses
    watch = socket_watch(app.state.resources)
    assert watch.bus is server_bus
    watch.sweep_interval = 3600.0  # only the reconnection's resync can catch it here
    async with WSClient(live_server, {"token": user_token}) as ws:
        await ws.start(MY_JOBS)
        # Deactivated while the announcement could not get through (none is sent here at all).
        await User.filter(id=user.id).update(is_active=False)
        await kill_pubsub_connection(server_bus, redis_admin)
        await assert_closed_for(ws, "account disabled")


# ---- expiry -------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_is_closed_when_its_token_expires(
    live_server: str, settings: Settings, user: User, protocol: str
) -> None:
    # A token valid for a few seconds (JWT expiry has a resolution of one second).
    token, expires = issue_token(settings.signing_key, user.id, user.token_version, 0.07)  # type: ignore[arg-type]
    async with WSClient(live_server, {"token": token}, protocol=protocol) as ws:
        feed = await start_live_feed(ws, MY_JOBS, user)
        messages = await assert_closed_for(ws, "access token expired")
        closed_at = datetime.now(UTC)
    assert closed_at >= expires.replace(microsecond=0)
    assert results_in(messages, feed) == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (None, "missing access token"),
        ({"Authorization": "Bearer not-a-jwt"}, "invalid access token"),
        ("expired", "access token expired"),
        ("disabled", "account disabled"),
    ],
    ids=["missing", "invalid", "expired", "disabled"],
)
async def test_a_refused_connection_says_why(
    live_server: str, settings: Settings, protocol: str, payload: object, reason: str
) -> None:
    if payload in ("expired", "disabled"):
        account = await create_user(unique_email("refused"), PASSWORD)
        if payload == "disabled":
            await User.filter(id=account.id).update(is_active=False)
        minutes = -1 if payload == "expired" else 60
        token = issue_token(settings.signing_key, account.id, account.token_version, minutes)[0]
        payload = {"Authorization": f"Bearer {token}"}
    async with WSClient(live_server, None, protocol=protocol, send_init=False) as ws:
        await ws.send({"type": "connection_init", **({"payload": payload} if payload is not None else {})})
        await assert_closed_for(ws, reason) if protocol == TRANSPORT_WS else await _legacy_refusal(ws, reason)


async def test_the_npm_client_stops_after_one_attempt_on_an_expired_token(
    live_server: str, settings: Settings, user: User
) -> None:
    """graphql-ws retries a 4403 by default; configured as the README says (shouldRetry false for
    4403) it gives up after the first socket, with the reason in hand."""
    token = issue_token(settings.signing_key, user.id, user.token_version, -1)[0]
    lines = await node_lines_until_exit("refused.mjs", live_server, token)
    assert lines == [
        {"type": "connecting", "attempt": 1},
        {"type": "closed", "code": 4403, "reason": "access token expired"},
        {"type": "error", "code": 4403, "reason": "access token expired", "attempts": 1},
    ]


async def _legacy_refusal(ws: WSClient, reason: str) -> None:
    # The legacy refusal keeps its connection_error payload (the full message), then 4403 + reason.
    messages = await ws.until_closed()
    assert messages[0]["type"] == "connection_error", messages
    assert messages[0]["payload"]["message"].startswith(reason)
    assert messages[0]["payload"]["code"] == "UNAUTHENTICATED"
    assert (ws.ws.close_code if ws.ws else None, ws.close_reason) == (4403, reason)


async def test_closed_sockets_are_no_longer_watched(
    app: Starlette, live_server: str, user_token: str
) -> None:
    watch = socket_watch(app.state.resources)
    before = len(watch)
    async with WSClient(live_server, {"token": user_token}) as ws:
        await ws.start(MY_JOBS)
        await wait_until(lambda: len(watch) == before + 1)
    await wait_until(lambda: len(watch) == before)
