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

import logging

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docat.admin_settings import get_setting
from docat.settings import Settings
from graphql_api.body_limit import BodyTooLarge, counting_receive, route_path, send_payload_too_large

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


class UploadLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, path: str = "/graphql") -> None:
        self.app = app
        self.settings = settings
        self.path = path

    def _applies(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST" or route_path(scope) != self.path:
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

        started = False
        guarded_receive = counting_receive(receive, allowed)

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracking_send)
        except BodyTooLarge as exc:
            # Not ours, or too late: a parse-then-respond app cannot get here; never answer twice.
            if exc.source is not guarded_receive or started:
                raise
            await self._reject(send, max_bytes)

    @staticmethod
    async def _reject(send: Send, max_bytes: int) -> None:
        message = f"The upload is larger than the limit of {max_bytes // MIB} MiB."
        await send_payload_too_large(send, message, max_bytes)
