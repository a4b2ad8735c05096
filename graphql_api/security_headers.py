"""Security headers on every HTTP response: nosniff, frame DENY, HSTS behind TLS, and a
Content-Security-Policy: the web pages set their own (page_content_security_policy), every
other response (JSON, files) gets one that lets nothing run or load."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_BASE = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
# A response that is not a page (JSON, a download opened in a tab) runs and loads nothing.
_API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
# A Host header we are willing to repeat inside a policy: a name or address and a port.
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def page_content_security_policy(host: str | None, graphiql: bool = False) -> str:
    """The dashboard's and GraphiQL's policy: scripts and styles only from this origin (no
    inline script, no eval), requests only to this origin and its WebSocket.

    Chromium counts ws(s):// of the page's host as 'self' (CSP3), older engines do not,
    so the host's WebSocket origins are listed too. GraphiQL's CodeMirror sets style
    attributes in its markup, so that page alone allows inline styles (never scripts).
    """
    connect = "'self'"
    if host and _HOST.match(host):
        connect += f" ws://{host} wss://{host}"
    styles = "'self' 'unsafe-inline'" if graphiql else "'self'"
    return (
        "default-src 'none'; "
        "script-src 'self'; "
        f"style-src {styles}; "
        "img-src 'self' data:; "
        "font-src 'self' data:; "
        f"connect-src {connect}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _behind_tls(scope: Scope) -> bool:
    if scope.get("scheme") == "https":
        return True
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-proto":
            return value.split(b",")[0].strip().lower() == b"https"
    return False


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*_BASE, _API_CSP, _HSTS] if _behind_tls(scope) else [*_BASE, _API_CSP]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
