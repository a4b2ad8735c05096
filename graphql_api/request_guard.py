"""HTTP-level guards of /graphql: a size cap on JSON requests, and errors a GraphQL client can read.

Size: a JSON POST body over MAX_JSON_BODY_BYTES, or a GET query string over
MAX_QUERY_STRING_BYTES, is answered 413 PAYLOAD_TOO_LARGE. A declared Content-Length over the cap is
refused before one byte is read; otherwise the body is counted as it arrives
and reading stops the moment it passes the cap. Either way the query is never
parsed: a 1 MB query string costs nothing but the refusal. Multipart uploads
have their own, larger cap (graphql_api.upload_limit).

Shape: Strawberry answers a request it cannot take (bad JSON, a batch of more
than MAX_BATCH operations, a mutation over GET...) with a text/plain 4xx.
Those become {"errors": [{"message": ..., "extensions": {"code": ...}}]} with
the same status, so every refusal carries a contract code.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docat import metrics
from graphql_api.body_limit import (
    BodyTooLarge,
    counting_receive,
    error_body,
    route_path,
    send_json,
    send_payload_too_large,
)

MAX_JSON_BODY_BYTES = 256 * 1024
# A GET carries its query in the URL; anything this long belongs in a POST body.
MAX_QUERY_STRING_BYTES = 32 * 1024


def _code_for(status: int) -> str:
    return "PAYLOAD_TOO_LARGE" if status == 413 else "BAD_USER_INPUT"


class GraphQLRequestGuard:
    def __init__(self, app: ASGIApp, path: str = "/graphql", max_bytes: int = MAX_JSON_BODY_BYTES) -> None:
        self.app = app
        self.path = path
        self.max_bytes = max_bytes

    def _applies(self, scope: Scope) -> bool:
        return scope["type"] == "http" and route_path(scope) == self.path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        multipart = headers.get("content-type", "").split(";", 1)[0].strip().lower() == "multipart/form-data"
        if len(scope.get("query_string", b"")) > MAX_QUERY_STRING_BYTES:
            await self._reject(send, MAX_QUERY_STRING_BYTES)
            return
        declared = headers.get("content-length")
        if not multipart and declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return

        started = False
        # Multipart bodies are graphql_api.upload_limit's, with the upload's own limit.
        counted = None if multipart else counting_receive(receive, self.max_bytes)

        shaping: Message | None = None
        chunks: list[bytes] = []

        async def shaping_send(message: Message) -> None:
            nonlocal started, shaping
            if message["type"] == "http.response.start":
                started = True
                response_headers = Headers(raw=message.get("headers", []))
                plain = response_headers.get("content-type", "").startswith("text/plain")
                if message["status"] >= 400 and plain:
                    # Held back until the (short) text is complete, then sent as JSON.
                    shaping = message
                    return
            elif message["type"] == "http.response.body" and shaping is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                status = int(shaping["status"])
                text = b"".join(chunks).decode(errors="replace").strip() or "bad request"
                metrics.record_error(_code_for(status))
                await send_json(send, status, error_body(text, _code_for(status)), shaping)
                return
            await send(message)

        try:
            await self.app(scope, counted or receive, shaping_send)
        except BodyTooLarge as exc:
            # Not ours (the upload guard's), or too late to answer: a view that parses
            # before answering cannot get here; never answer twice.
            if counted is None or exc.source is not counted or started:
                raise
            await self._reject(send)

    async def _reject(self, send: Send, limit: int | None = None) -> None:
        limit = limit or self.max_bytes
        await send_payload_too_large(
            send, f"The request is larger than the limit of {limit // 1024} KiB for GraphQL requests.", limit
        )
