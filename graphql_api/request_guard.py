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

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docat import metrics

MAX_JSON_BODY_BYTES = 256 * 1024
# A GET carries its query in the URL; anything this long belongs in a POST body.
MAX_QUERY_STRING_BYTES = 32 * 1024


def error_body(message: str, code: str, **extensions: object) -> bytes:
    return json.dumps({"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}).encode()


def _code_for(status: int) -> str:
    return "PAYLOAD_TOO_LARGE" if status == 413 else "BAD_USER_INPUT"


class _BodyTooLarge(Exception):
    """Raised from `receive` so the view stops reading; answered below, never seen by clients."""


class GraphQLRequestGuard:
    def __init__(self, app: ASGIApp, path: str = "/graphql", max_bytes: int = MAX_JSON_BODY_BYTES) -> None:
        self.app = app
        self.path = path
        self.max_bytes = max_bytes

    def _applies(self, scope: Scope) -> bool:
        if scope["type"] != "http":
            return False
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        return path == self.path

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

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request" and not multipart:
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

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
                await self._send_json(send, status, error_body(text, _code_for(status)), shaping)
                return
            await send(message)

        try:
            await self.app(scope, counting_receive, shaping_send)
        except _BodyTooLarge:
            if started:  # a view that parses before answering cannot get here; never answer twice
                raise
            await self._reject(send)

    async def _reject(self, send: Send, limit: int | None = None) -> None:
        limit = limit or self.max_bytes
        metrics.record_error("PAYLOAD_TOO_LARGE")
        body = error_body(
            f"The request is larger than the limit of {limit // 1024} KiB for GraphQL requests.",
            "PAYLOAD_TOO_LARGE",
            maxBytes=limit,
        )
        # The rest of the body is never read: the connection cannot be reused.
        await self._send_json(send, 413, body, None, close=True)

    @staticmethod
    async def _send_json(
        send: Send, status: int, body: bytes, original: Message | None, *, close: bool = False
    ) -> None:
        kept = [
            (name, value)
            for name, value in (original or {}).get("headers", [])
            if name.lower() not in (b"content-type", b"content-length")
        ]
        headers = [
            *kept,
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
