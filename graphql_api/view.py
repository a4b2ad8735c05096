"""Strawberry's ASGI view with our context and WebSocket authentication."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyConnectionInitMessage,
)

from docat.errors import DocatError
from graphql_api.context import Context
from graphql_api.retry_headers import retry_answer
from graphql_api.http_protocol import GraphQLHTTPProtocol

# The contract's close code for a missing or bad token (graphql-transport-ws's "Forbidden").
FORBIDDEN_CLOSE_CODE = 4403


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with server pings: strawberry's keep_alive only covers the legacy
    protocol, and an idle subscription behind a proxy (nginx's proxy_read_timeout) needs traffic."""

    _pinger: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        interval = self.view.keep_alive_interval
        if self.connection_acknowledged and self.view.keep_alive and interval and self._pinger is None:
            self._pinger = asyncio.create_task(self._ping_every(interval))

    async def _ping_every(self, interval: float) -> None:
        with contextlib.suppress(WebSocketDisconnected, RuntimeError):
            while True:
                await asyncio.sleep(interval)
                await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinger
        await super().shutdown()


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """Legacy graphql-ws: a rejected connection_init gets `connection_error`, then close 4403
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
                await self.websocket.close(code=FORBIDDEN_CLOSE_CODE, reason="Forbidden")
                return
        await super().handle_connection_init(message)


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
        """A missing or bad token closes the socket with 4403 (Forbidden).

        The token comes from the connection_init payload (Authorization, authorization, a bare
        token) or else the upgrade request's Authorization header (graphql_api.auth).
        """
        try:
            user = await context.user()
        except DocatError as exc:
            raise ConnectionRejectionError({"message": exc.message, "code": exc.code}) from exc
        if user is None:
            raise ConnectionRejectionError({"message": "authentication required", "code": "UNAUTHENTICATED"})
        return await super().on_ws_connect(context)
