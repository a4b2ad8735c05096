"""The Starlette application: routes, middleware and a lifespan that owns every resource."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute

from docat import metrics
from docat.logging import RequestIdMiddleware
from docat.settings import Settings, load_settings
from graphql_api.background import api_background
from graphql_api.documents.upload import remove_orphan_uploads
from graphql_api.files import files_endpoint
from graphql_api.health import check_health
from graphql_api.metrics_access import metrics_allowed
from graphql_api.persisted_queries import PersistedQueries, open_persisted_queries
from graphql_api.request_guard import GraphQLRequestGuard
from graphql_api.schema import build_schema
from graphql_api.security_headers import SecurityHeadersMiddleware
from graphql_api.upload_limit import UploadLimitMiddleware
from graphql_api.view import DocatGraphQL
from graphql_api.web import web_routes
from jobs.host import open_host


async def metrics_endpoint(request: Request) -> Response:
    if not metrics_allowed(request, request.app.state.settings):
        return PlainTextResponse("Forbidden: /metrics needs METRICS_TOKEN, or (embedded) a local client", 403)
    body, content_type = metrics.metrics_response()
    return Response(body, media_type=content_type)


async def health_endpoint(request: Request) -> Response:
    report = await check_health(request.app.state.resources)
    return JSONResponse(report, status_code=503 if report["status"] == "down" else 200)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    settings.validate_for_startup()
    schema = build_schema()
    graphql = DocatGraphQL(
        schema,
        graphql_ide="graphiql",
        allow_queries_via_get=True,
        keep_alive=True,
        keep_alive_interval=15,
        multipart_uploads_enabled=True,
        connection_init_wait_timeout=timedelta(seconds=30),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Embedded (SQLite) migrates by itself; production runs `docat migrate` once per release.
        # The job host (jobs/host.py): embedded, this process runs the jobs too.
        async with (
            open_host(settings, migrate=not settings.is_postgres) as host,
            open_persisted_queries(settings) as persisted_queries,
        ):
            resources = host.resources
            # Automatic persisted queries (graphql_api.http_protocol): Redis in production.
            resources.provide(PersistedQueries, PersistedQueries(persisted_queries))
            app.state.resources = resources
            # Temp files of an API process killed mid-upload (graphql_api/documents/upload.py).
            await asyncio.to_thread(remove_orphan_uploads, settings)
            # /health's monitor (and, in production, its own Redis client).
            async with api_background(resources, host.local_heartbeats):
                yield

    middleware = [
        Middleware(RequestIdMiddleware),
        Middleware(SecurityHeadersMiddleware),
    ]
    if settings.cors_origin_list:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origin_list,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "X-Request-ID",
                    # CORS_ALLOW_HEADERS: e.g. Apollo Client's apollo-require-preflight.
                    *settings.cors_allow_header_list,
                ],
                max_age=600,
            )
        )
    # Innermost, so its 413 still gets CORS, request id and security headers.
    middleware.append(Middleware(UploadLimitMiddleware, settings=settings))
    # Innermost: its 413s and reshaped errors still get the security and CORS headers.
    middleware.append(Middleware(GraphQLRequestGuard, path="/graphql"))
    routes = [
        # A Route and a WebSocketRoute on one path: a Mount would answer POST /graphql with a 307.
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/health", health_endpoint, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/files/{document_id}/{format}", files_endpoint, methods=["GET"]),
        # The dashboard at / and its assets (GraphiQL's page is DocatGraphQL.render_graphql_ide).
        *web_routes(),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    return app


def app_from_environment() -> Starlette:
    """Factory for uvicorn (`docat serve --workers N` starts one per process)."""
    return create_app(load_settings())
