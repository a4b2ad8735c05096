"""Strawberry's ASGI view with our context and WebSocket authentication."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.async_base_view import AsyncWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message as TransportMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyConnectionInitMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.types import OperationMessage as LegacyMessage
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage

from docat.errors import DocatError, Unauthenticated
from graphql_api.auth import MISSING_TOKEN
from graphql_api.context import Context
from graphql_api.http_protocol import GraphQLHTTPProtocol
from graphql_api.retry_headers import retry_answer
from graphql_api.socket_rights import socket_watch

logger = logging.getLogger(__name__)

# The contract's close code for a missing or bad token (graphql-transport-ws's "Forbidden").
FORBIDDEN_CLOSE_CODE = 4403


def close_reason(message: str) -> str:
    """A refusal's close reason: the message's first clause ("access token expired; log in
    again" -> "access token expired"), one of graphql_api.auth's stable reasons."""
    return message.partition(";")[0].strip() or "Forbidden"


class SocketRightsMixin:
    """What both protocols do to keep a socket within its account's current rights
    (graphql_api.socket_rights): register it once acknowledged, re-read the account before each
    operation, send nothing once it lost its rights, and close it 4403 with the reason."""

    context: Context
    websocket: AsyncWebSocketAdapter

    def _watch_socket(self) -> None:
        claims, user = self.context.claims, self.context.viewer
        if self.context.socket is None and claims is not None and user is not None:
            watch = socket_watch(self.context.resources)
            self.context.socket = watch.open(claims, user, self._refuse)

    async def _operation_allowed(self) -> bool:
        rights = self.context.socket
        if rights is None:
            return True  # not acknowledged: the protocol itself refuses the operation
        try:
            user = await rights.recheck()
        except Exception:
            # The database is away: the operation's own reads fail the same way; the socket's
            # standing is decided again by the next operation or the watch.
            logger.warning("account of a WebSocket not re-read", exc_info=True)
            return rights.denial() is None
        if user is None:
            return False  # revoked: the socket is being closed
        self.context.viewer = user
        return True

    def _may_send(self) -> bool:
        rights = self.context.socket
        return rights is None or rights.denial() is None

    def _release_socket(self) -> None:
        if self.context.socket is not None:
            self.context.socket.release()

    async def _refuse(self, reason: str) -> None:
        with contextlib.suppress(WebSocketDisconnected, RuntimeError, OSError):
            await self.websocket.close(code=FORBIDDEN_CLOSE_CODE, reason=reason)


class TransportWSHandler(SocketRightsMixin, BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with server pings: strawberry's keep_alive only covers the legacy
    protocol, and an idle subscription behind a proxy (nginx's proxy_read_timeout) needs traffic.
    A refused connection_init closes 4403 with the reason (strawberry says only "Forbidden")."""

    _pinger: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload", {})
        if isinstance(payload, dict) and not self.connection_init_received and not self.connection_timed_out:
            self.context.connection_params = payload
            try:
                # The user is cached on the context, so super() below does not look it up again.
                await self.view.on_ws_connect(self.context)
            except ConnectionRejectionError as exc:
                self.connection_init_received = True
                if self.connection_init_timeout_task:
                    self.connection_init_timeout_task.cancel()
                await self._refuse(_rejection_reason(exc))
                return
            # Watched before the ack goes out: a revocation meanwhile is not missed.
            self._watch_socket()
        await super().handle_connection_init(message)
        interval = self.view.keep_alive_interval
        if self.connection_acknowledged and self.view.keep_alive and interval and self._pinger is None:
            self._pinger = asyncio.create_task(self._ping_every(interval))

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if await self._operation_allowed():
            await super().handle_subscribe(message)

    async def send_message(self, message: TransportMessage) -> None:
        if self._may_send():
            await super().send_message(message)

    async def _ping_every(self, interval: float) -> None:
        with contextlib.suppress(WebSocketDisconnected, RuntimeError):
            while True:
                await asyncio.sleep(interval)
                await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        self._release_socket()
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinger
        await super().shutdown()


class LegacyWSHandler(SocketRightsMixin, BaseGraphQLWSHandler[Context, None]):
    """Legacy graphql-ws: a refused socket gets `connection_error`, then close 4403 with the reason
    (strawberry closes with 1011, "internal error", which clients treat as a server fault)."""

    async def handle_connection_init(self, message: LegacyConnectionInitMessage) -> None:
        payload = message.get("payload")
        if payload is None or isinstance(payload, dict):
            self.context.connection_params = payload
            try:
                # The user is cached on the context, so super() below does not look it up again.
                await self.view.on_ws_connect(self.context)
            except ConnectionRejectionError as exc:
                await self.send_message({"type": "connection_error", "payload": exc.payload})
                await super()._refuse(_rejection_reason(exc))
                return
            # Watched before the ack goes out: a revocation meanwhile is not missed.
            self._watch_socket()
        await super().handle_connection_init(message)

    async def handle_start(self, message: StartMessage) -> None:
        if await self._operation_allowed():
            await super().handle_start(message)

    async def send_message(self, message: LegacyMessage) -> None:
        if self._may_send():
            await super().send_message(message)

    async def _refuse(self, reason: str) -> None:
        # The legacy protocol's own signal first (sent past the gate of send_message).
        with contextlib.suppress(WebSocketDisconnected, RuntimeError, OSError):
            await self.websocket.send_json(
                {"type": "connection_error", "payload": {"message": reason, "code": Unauthenticated.code}}
            )
        await super()._refuse(reason)

    async def cleanup(self) -> None:
        self._release_socket()
        await super().cleanup()


def _rejection_reason(exc: ConnectionRejectionError) -> str:
    payload = exc.payload if isinstance(exc.payload, dict) else {}
    return close_reason(str(payload.get("message") or ""))


class DocatGraphQL(GraphQLHTTPProtocol, GraphQL[Context, None]):  # type: ignore[misc]
    # GraphQLHTTPProtocol: the HTTP side (spec media types, APQ, multipart subscriptions).
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(request=request, resources=request.app.state.resources)

    def encode_json(self, data: object) -> str | bytes:
        # orjson writes a list of 20 documents ~10x faster than json.dumps. A str, not bytes:
        # Strawberry sends bytes over a WebSocket as a binary frame, which graphql-ws clients
        # do not read. What orjson refuses (an int beyond 64 bits) goes the standard library's way.
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        # RATE_LIMITED and SERVICE_UNAVAILABLE tell HTTP clients when to come back (Retry-After).
        status, headers = retry_answer(response_data)
        if status is not None:
            response.status_code = status
        response.headers.update(headers)
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        # GraphiQL from the package's own files (graphql_api.web), not Strawberry's unpkg page.
        from graphql_api.web import graphiql_page

        return graphiql_page(request)

    async def on_ws_connect(self, context: Context) -> Any:
        """A missing or bad token closes the socket with 4403 and the reason (graphql_api.auth).

        The token comes from the connection_init payload (Authorization, authorization, a bare
        token) or else the upgrade request's Authorization header (graphql_api.auth).
        """
        # Listen for rights changes BEFORE reading the account, so none slips in between.
        await socket_watch(context.resources).start()
        try:
            user = await context.user()
        except DocatError as exc:
            raise ConnectionRejectionError({"message": exc.message, "code": exc.code}) from exc
        if user is None:
            raise ConnectionRejectionError(
                {
                    "message": f"{MISSING_TOKEN}; send Authorization: Bearer <accessToken>",
                    "code": "UNAUTHENTICATED",
                }
            )
        return await super().on_ws_connect(context)
