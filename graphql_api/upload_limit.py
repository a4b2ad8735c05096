"""The upload size limit, and an ASGI middleware that enforces it before the body is parsed.

Starlette's multipart parser spools every file part to disk before a resolver
runs, with no size limit of its own: without this middleware a client could
fill the disk with one request. So, for multipart POSTs to /graphql only:

* a declared Content-Length over the limit (plus a small allowance for the
  `operations` and `map` parts) is answered 413 at once, without reading the body;
* otherwise the body is counted as it is received, and the moment it passes the
  limit reading stops and the answer is 413.

The 413 body is GraphQL-shaped, so clients handle it like any other error:
{"errors": [{"message": ..., "extensions": {"code": "PAYLOAD_TOO_LARGE", "maxBytes": N}}]}.
The resolver enforces the exact limit on the file itself while streaming it
(`graphql_api.documents.upload`); this is the coarse outer wall.
"""

from __future__ import annotations

import json
import logging

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docat import metrics
from docat.admin_settings import get_setting
from docat.settings import Settings

log = logging.getLogger(__name__)

MIB = 1024 * 1024
# Room for the multipart framing and the `operations`/`map` parts around the file.
MULTIPART_OVERHEAD = 256 * 1024


async def upload_limit_bytes(settings: Settings) -> int:
    """min(MAX_UPLOAD_MB, admin setting max_upload_mb) in bytes: an admin may only lower it."""
    try:
        admin_mb = int(await get_setting(settings, "max_upload_mb"))
    except Exception:
        # The environment's limit still holds when the settings table cannot be read.
        log.warning("max_upload_mb unreadable; using MAX_UPLOAD_MB", exc_info=True)
        admin_mb = settings.max_upload_mb
    return min(settings.max_upload_mb, admin_mb) * MIB


def too_large_body(max_bytes: int) -> bytes:
    message = f"The upload is larger than the limit of {max_bytes // MIB} MiB."
    error = {"message": message, "extensions": {"code": "PAYLOAD_TOO_LARGE", "maxBytes": max_bytes}}
    return json.dumps({"errors": [error]}).encode()


class _BodyTooLarge(Exception):
    """Raised from `receive` so the app stops parsing; caught below, never seen by clients."""


class UploadLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, path: str = "/graphql") -> None:
        self.app = app
        self.settings = settings
        self.path = path

    def _applies(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST":
            return False
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if path != self.path:
            return False
        content_type = Headers(scope=scope).get("content-type", "")
        return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        max_bytes = await upload_limit_bytes(self.settings)
        allowed = max_bytes + MULTIPART_OVERHEAD
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > allowed:
            await self._reject(send, max_bytes)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > allowed:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:  # cannot happen with a parse-then-respond app, but never send twice
                raise
            await self._reject(send, max_bytes)

    @staticmethod
    async def _reject(send: Send, max_bytes: int) -> None:
        metrics.record_error("PAYLOAD_TOO_LARGE")
        body = too_large_body(max_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body is never read: the connection cannot be reused.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
