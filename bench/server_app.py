"""The product's app plus one plain Starlette JSON endpoint, served like `docat serve`.

`POST /bench/plain` parses the JSON body and answers a fixed GraphQL-shaped
JSON document: everything a request costs in Starlette and our middleware,
without Strawberry. It is added to the app `create_app` returns, so both
endpoints share one process, one middleware stack and one event loop; the
product's code is untouched.

    python -m bench.server_app --port 8765
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from docat.logging import logging_config
from docat.settings import load_settings
from graphql_api.app import create_app

PLAIN_PATH = "/bench/plain"


async def plain_endpoint(request: Request) -> Response:
    await request.json()  # read and parse the body, as the GraphQL view does
    return JSONResponse({"data": {"__typename": "Query"}})


def bench_app() -> Starlette:
    app = create_app(load_settings())
    app.router.routes.insert(0, Route(PLAIN_PATH, plain_endpoint, methods=["POST"]))
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = load_settings()
    # The same uvicorn options as `docat serve` (docat/cli.py).
    uvicorn.run(
        "bench.server_app:bench_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        log_config=logging_config(settings.log_level, settings.log_json),
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
