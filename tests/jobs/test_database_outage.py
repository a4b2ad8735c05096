"""PostgreSQL unreachable for 15 s around a job: the job completes in the same attempt.

A real `docat worker` reaches PostgreSQL through a TCP proxy
(tests/ops/tcp_proxy.py) that the test closes (every connection reset, new ones
refused) and opens again; the API and PostgreSQL itself never notice. Redis is
a private redis-server. "The same attempt": arq never ran the job a second
time (no `try=2` in the worker's log) and the run never went back to QUEUED.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.fixtures.databases import create_postgres_database, drop_postgres_database
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.redis_server import RedisServer
from tests.jobs import pdfs
from tests.jobs.conftest import DOCUMENT, UPLOAD, eventually
from tests.jobs.services import ProductionStack, Service, production_env
from tests.ops.conftest import with_port
from tests.ops.tcp_proxy import TcpProxy

ADMIN_EMAIL = "pg-outage-admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken user { id } }
}"""
OUTAGE_SECONDS = 15.0


class Setup:
    def __init__(
        self, stack: ProductionStack, proxy: TcpProxy, worker: Service, gql: GraphQLClient, token: str
    ):
        self.stack = stack
        self.proxy = proxy
        self.worker = worker
        self.gql = gql
        self.token = token

    async def upload(self, pdf: bytes) -> str:
        result = await self.gql.upload(UPLOAD, {"options": None}, "file", pdf, token=self.token)
        return str(result.ok()["uploadDocument"]["id"])

    async def document(self, doc_id: str) -> dict[str, Any]:
        doc: dict[str, Any] = (await self.gql.execute(DOCUMENT, {"id": doc_id}, token=self.token)).ok()[
            "document"
        ]
        return doc

    async def finished(self, doc_id: str) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            doc = await self.document(doc_id)
            return doc if doc["status"] in ("COMPLETED", "FAILED", "CANCELLED") else None

        return await eventually(check)

    async def cut(self, seconds: float) -> None:
        await self.proxy.close()
        await asyncio.sleep(seconds)
        await self.proxy.start()


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    database_url = await create_postgres_database()
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    redis = RedisServer(tmp_path)
    redis.start()
    stack = ProductionStack(tmp_path, production_env(database_url, redis.url))
    try:
        stack.migrate()
        stack.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
        stack.serve()
        # Only the worker goes through the proxy.
        stack.env["DATABASE_URL"] = with_port(database_url, proxy.port)
        worker = stack.worker()
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
            gql = GraphQLClient(http)
            login = await gql.execute(LOGIN, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
            yield Setup(stack, proxy, worker, gql, login.ok()["login"]["accessToken"])
    finally:
        stack.close()
        await proxy.close()
        redis.stop()
        await drop_postgres_database(database_url)


def assert_one_attempt(setup: Setup, doc: dict[str, Any]) -> None:
    context = (doc["error"], setup.stack.logs())
    assert doc["status"] == "COMPLETED", context
    messages = [e["node"]["message"] for e in doc["logs"]["edges"]]
    assert not any("trying again in" in m or "Re-queued" in m for m in messages), (messages, context)
    assert "try=2" not in setup.worker.log(), context
    assert setup.worker.running, context


async def test_a_job_survives_a_database_outage_in_the_middle(setup: Setup) -> None:
    doc_id = await setup.upload(pdfs.scanned(8))

    async def midway() -> bool | None:
        doc = await setup.document(doc_id)
        return True if doc["status"] == "PROCESSING" and doc["progress"] > 0.1 else None

    await eventually(midway)
    await setup.cut(OUTAGE_SECONDS)
    doc = await setup.finished(doc_id)
    assert_one_attempt(setup, doc)
    assert doc["content"]["pageCount"] == 8 and doc["creditsUsed"] == 8 * 5, doc
    assert "lost a connection" in setup.worker.log() or "unreachable" in setup.worker.log()


async def test_a_claim_during_a_database_outage_waits_for_it(setup: Setup) -> None:
    # The worker is idle (polling Redis only); its claim is the first thing to hit the outage.
    await setup.proxy.close()
    try:
        doc_id = await setup.upload(pdfs.unique(pdfs.text(3)))
        await asyncio.sleep(OUTAGE_SECONDS)
    finally:
        await setup.proxy.start()
    doc = await setup.finished(doc_id)
    assert_one_attempt(setup, doc)
    assert doc["content"]["pageCount"] == 3, doc
