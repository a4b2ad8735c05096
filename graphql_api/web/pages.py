"""The two HTML pages and the web routes.

The pages are static templates whose only variable is the assets' URL prefix; all
behaviour lives in external scripts, so the Content-Security-Policy can forbid inline
script entirely. Pages are never cached (`no-cache`): they name the current asset version.
"""

from __future__ import annotations

import functools
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from graphql_api.security_headers import page_content_security_policy
from graphql_api.web.assets import asset_endpoint, asset_store

PAGES_DIR = Path(__file__).parent / "pages"


@functools.cache
def _template(name: str) -> str:
    return (PAGES_DIR / name).read_text(encoding="utf-8")


def _render(request: Request, name: str, *, graphiql: bool = False) -> Response:
    root_path = request.scope.get("root_path", "")
    prefix = asset_store().url(root_path, "").rstrip("/")
    html = _template(name).replace("{{assets}}", prefix)
    return HTMLResponse(
        html,
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": page_content_security_policy(request.headers.get("host"), graphiql),
        },
    )


async def dashboard_page(request: Request) -> Response:
    return _render(request, "dashboard.html")


def graphiql_page(request: Request) -> Response:
    return _render(request, "graphiql.html", graphiql=True)


def web_routes() -> list[BaseRoute]:
    asset_store()  # read and compress the files now, not on the first visitor's request
    return [
        Route("/", dashboard_page, methods=["GET"]),
        Route("/assets/{version}/{path:path}", asset_endpoint, methods=["GET"]),
    ]
