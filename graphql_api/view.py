"""Strawberry's ASGI view with our context and WebSocket authentication."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from docat.errors import DocatError
from graphql_api.context import Context


class DocatGraphQL(GraphQL[Context, None]):
    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(request=request, resources=request.app.state.resources)

    async def on_ws_connect(self, context: Context) -> Any:
        """A missing or bad token closes the socket with 4403 (Forbidden)."""
        try:
            user = await context.user()
        except DocatError as exc:
            raise ConnectionRejectionError({"message": exc.message, "code": exc.code}) from exc
        if user is None:
            raise ConnectionRejectionError({"message": "authentication required", "code": "UNAUTHENTICATED"})
        return await super().on_ws_connect(context)
