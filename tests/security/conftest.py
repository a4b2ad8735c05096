"""Fixtures of the security tests: a client with its own address, documents made directly, spies.

Every test talks from its own client address, so the per-address limits
(login, anonymous request budget) of one test never reach another, nor the
other suites' clients on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.extensions import SchemaExtension
from tortoise import connections

from docat.resources import Resources
from docat.storage.keys import document_key
from models import Document, JobStatus, ProcessingLog, User
from tests.fixtures.graphql_client import GraphQLClient

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def text_pdf(pages: int, token: str | None = None) -> bytes:
    """A PDF with a text layer; `token` makes its bytes (and sha256) unique, so no result cache hit."""
    import pymupdf

    token = token or uuid.uuid4().hex
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page()
        page.insert_text((72, 80), f"Page {number} of {token}", fontsize=12)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def random_address() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


@pytest.fixture
def client_address() -> str:
    return random_address()


@pytest.fixture
async def client(app: Starlette, client_address: str) -> AsyncIterator[GraphQLClient]:
    async with client_from(app, client_address) as gql:
        yield gql


class client_from:
    """A GraphQLClient on the app, calling from `address`."""

    def __init__(self, app: Starlette, address: str) -> None:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        self.http = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async def __aenter__(self) -> GraphQLClient:
        return GraphQLClient(self.http)

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()


async def make_document(
    owner: User,
    filename: str = "report.pdf",
    *,
    status: JobStatus = JobStatus.COMPLETED,
    page_count: int = 3,
    resources: Resources | None = None,
    **fields: Any,
) -> Document:
    """A document row as an upload would leave it, plus its original in storage when asked."""
    doc = await Document.create(
        owner=owner,
        filename=filename,
        size_bytes=len(PDF_BYTES),
        sha256=hashlib.sha256(PDF_BYTES + uuid.uuid4().bytes).hexdigest(),
        page_count=page_count,
        status=status,
        options={"engine": "AUTO"},
        formats=["ORIGINAL"],
        **fields,
    )
    if resources is not None:
        await resources.storage.put_bytes(
            document_key(str(doc.id), "original.pdf"), PDF_BYTES, "application/pdf"
        )
    return doc


async def make_log(doc: Document, message: str = "started", level: str = "INFO") -> ProcessingLog:
    return await ProcessingLog.create(document=doc, message=message, level=level)


def graphql_schema(app: Starlette) -> Any:
    route = next(r for r in app.routes if isinstance(r, Route) and r.path == "/graphql")
    return route.endpoint.schema  # type: ignore[attr-defined]


@pytest.fixture
def resolver_calls(app: Starlette, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every field resolved from now on (a SchemaExtension's resolve hook sees each one)."""
    calls: list[str] = []

    class ResolverSpy(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            calls.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    schema = graphql_schema(app)
    monkeypatch.setattr(schema, "extensions", [*schema.extensions, ResolverSpy])
    return calls


class QueryCounter:
    """Counts the SELECTs (and other statements) the ORM sends while active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


# Set in the test's context only: the app's background tasks (the recovery sweep, jobs other
# tests left running) were started before it and do not see it, so their statements are not
# counted; the request runs in the test's task (httpx's ASGI transport) and the tasks it starts
# inherit the context, so everything the request sends is.
_ACTIVE_COUNTER: ContextVar[QueryCounter | None] = ContextVar("docat_test_query_counter", default=None)


@pytest.fixture
def count_queries(app: Starlette, monkeypatch: pytest.MonkeyPatch) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    client_class = type(connections.get("default"))
    for name in ("execute_query", "execute_query_dict"):
        original = getattr(client_class, name)

        def counting(self: Any, query: str, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            if _ACTIVE_COUNTER.get() is counter:
                counter.statements.append(query)
            return _original(self, query, *args, **kwargs)

        monkeypatch.setattr(client_class, name, counting)
    token = _ACTIVE_COUNTER.set(counter)
    yield counter
    try:
        _ACTIVE_COUNTER.reset(token)
    except ValueError:  # torn down in another context than it was set up in
        _ACTIVE_COUNTER.set(None)
