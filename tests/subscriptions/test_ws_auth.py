"""WebSocket authentication and keepalive, on both subprotocols, as seen on the wire."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from graphql_api.view import DocatGraphQL
from models import JobStage, JobStatus, User

from .conftest import JOB_PROGRESS, gid, make_document
from .ws_client import LEGACY_WS, TRANSPORT_WS, WSClient

PROTOCOLS = [TRANSPORT_WS, LEGACY_WS]


def payload_forms(token: str) -> dict[str, dict[str, Any]]:
    return {
        "Authorization": {"Authorization": f"Bearer {token}"},
        "authorization": {"authorization": f"Bearer {token}"},
        "bare token": {"token": token},
    }


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("form", ["Authorization", "authorization", "bare token"])
async def test_token_in_connection_init_is_accepted(
    live_server: str, user: User, user_token: str, protocol: str, form: str
) -> None:
    doc = await make_document(user, status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=1.0)
    async with WSClient(live_server, payload_forms(user_token)[form], protocol=protocol) as ws:
        assert ws.ack is not None and ws.ack["type"] == "connection_ack"
        received = [data async for data in ws.subscribe(JOB_PROGRESS, {"documentId": gid(doc)})]
    assert [d["jobProgress"]["status"] for d in received] == ["COMPLETED"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_token_on_the_upgrade_request_is_accepted(
    live_server: str, user_token: str, protocol: str
) -> None:
    headers = {"Authorization": f"Bearer {user_token}"}
    async with WSClient(live_server, None, protocol=protocol, headers=headers) as ws:
        assert ws.ack is not None and ws.ack["type"] == "connection_ack"


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    "payload",
    [
        None,
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"token": "forged.jwt.value"},
        {"Authorization": "Basic x"},
    ],
    ids=["no payload", "empty", "bad bearer", "bad bare token", "wrong scheme"],
)
async def test_missing_or_bad_token_closes_with_4403(
    live_server: str, protocol: str, payload: dict[str, Any] | None
) -> None:
    async with WSClient(live_server, payload, protocol=protocol, send_init=False) as ws:
        await ws.send({"type": "connection_init", **({"payload": payload} if payload is not None else {})})
        if protocol == LEGACY_WS:
            # The legacy protocol's own signal first, then the same close code.
            error = await ws.receive()
            assert error["type"] == "connection_error"
            assert error["payload"]["code"] == "UNAUTHENTICATED"
        assert await ws.close_code() == 4403


async def test_expired_user_token_closes_with_4403(live_server: str, user: User, user_token: str) -> None:
    user.is_active = False
    await user.save(update_fields=["is_active"])
    async with WSClient(live_server, {"token": user_token}, send_init=False) as ws:
        await ws.send({"type": "connection_init", "payload": {"token": user_token}})
        assert await ws.close_code() == 4403


@pytest.fixture
def short_keepalive(app: Starlette) -> Iterator[None]:
    (view,) = [r.app for r in app.routes if isinstance(r, WebSocketRoute) and isinstance(r.app, DocatGraphQL)]
    interval = view.keep_alive_interval
    view.keep_alive_interval = 0.05
    yield
    view.keep_alive_interval = interval


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_idle_connections_get_keepalive_pings(
    live_server: str, user_token: str, protocol: str, short_keepalive: None
) -> None:
    async with WSClient(live_server, {"token": user_token}, protocol=protocol) as ws:
        # Nothing subscribed: the only traffic is the server's keepalive ("ping" or legacy "ka").
        operation = await ws.start("subscription { myJobs { documentId } }")
        for _ in range(3):
            message = await ws.receive(keepalive=True)
            assert message["type"] in ("ping", "ka"), message  # nothing but pings, no job events
        await ws.stop(operation)
        assert ws.pings == 3
