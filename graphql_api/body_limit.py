"""What both size guards of /graphql share: the route check, a counting `receive`, the 413.

graphql_api.request_guard caps JSON requests, graphql_api.upload_limit caps
multipart uploads; each decides its own limit and answer text, and both read
the body through `counting_receive` so reading stops the moment it passes.
"""

from __future__ import annotations

import json

from starlette.types import Message, Receive, Scope, Send

from docat import metrics


class BodyTooLarge(Exception):
    """Raised from `receive` so the app stops reading; answered by the guard, never seen by clients.

    `source` is the counting receive that raised it: with both guards stacked,
    each answers only for its own limit and lets the other's pass through.
    """

    def __init__(self, source: Receive) -> None:
        super().__init__("request body over the limit")
        self.source = source


def route_path(scope: Scope) -> str:
    """The request path without the app's root_path (behind a prefixing proxy)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def error_body(message: str, code: str, **extensions: object) -> bytes:
    return json.dumps({"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}).encode()


def counting_receive(receive: Receive, limit: int) -> Receive:
    """`receive`, raising BodyTooLarge once more than `limit` body bytes have arrived."""
    received = 0

    async def wrapped() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(wrapped)
        return message

    return wrapped


async def send_json(
    send: Send, status: int, body: bytes, original: Message | None = None, *, close: bool = False
) -> None:
    """A JSON answer, keeping the other headers of `original` (a held-back response start)."""
    kept = [
        (name, value)
        for name, value in (original or {}).get("headers", [])
        if name.lower() not in (b"content-type", b"content-length")
    ]
    headers = [*kept, (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_payload_too_large(send: Send, message: str, max_bytes: int) -> None:
    metrics.record_error("PAYLOAD_TOO_LARGE")
    body = error_body(message, "PAYLOAD_TOO_LARGE", maxBytes=max_bytes)
    # The rest of the body is never read: the connection cannot be reused.
    await send_json(send, 413, body, close=True)
