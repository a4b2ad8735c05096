"""Workers ride out a Redis outage of any length: real `docat serve` + `docat worker` processes.

Redis here is a private redis-server (tests/fixtures/redis_server.py) that the
test stops and starts; it keeps nothing across a restart, as a Redis without
persistence would not. Every worker process must still be running afterwards,
take the next upload, and be counted by /health again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.redis_server import RedisServer
from tests.jobs import pdfs
from tests.jobs.conftest import DOCUMENT, UPLOAD, eventually
from tests.jobs.services import ProductionStack, Service, running_stack

ADMIN_EMAIL = "outage-admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken user { id } }
}"""
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")


class Outage:
    """The stack, its private Redis and two workers."""

    def __init__(self, stack: ProductionStack, redis: RedisServer, workers: list[Service]) -> None:
        self.stack = stack
        self.redis = redis
        self.workers = workers

    def cut(self, seconds: float) -> None:
        self.redis.stop()
        time.sleep(seconds)
        self.redis.start()


@pytest.fixture(scope="module")
async def outage(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Outage]:
    folder = tmp_path_factory.mktemp("redis-outage")
    async with running_stack(folder, (ADMIN_EMAIL, ADMIN_PASSWORD), WORKER_MAX_JOBS="2") as stack:
        assert stack.redis is not None
        workers = [stack.worker(), stack.worker()]
        yield Outage(stack, stack.redis, workers)


@pytest.fixture
async def api(outage: Outage) -> AsyncIterator[tuple[GraphQLClient, str, httpx.AsyncClient]]:
    async with httpx.AsyncClient(base_url=outage.stack.api_url, timeout=30) as http:
        gql = GraphQLClient(http)

        async def login() -> str | None:
            try:
                result = await gql.execute(LOGIN, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
                return str(result.ok()["login"]["accessToken"])
            except (AssertionError, httpx.HTTPError):
                return None  # Redis just came back; the API's limiter may need a moment

        token = await eventually(login, 60)
        yield gql, token, http


async def worker_count(http: httpx.AsyncClient) -> int | None:
    try:
        report: dict[str, Any] = (await http.get("/health")).json()
    except (httpx.HTTPError, ValueError):
        return None
    workers = report.get("checks", {}).get("workers", {})
    count = workers.get("workers")
    return int(count) if isinstance(count, int) else None


async def until_workers(http: httpx.AsyncClient, count: int) -> int:
    async def check() -> int | None:
        seen = await worker_count(http)
        return seen if seen == count else None

    return await eventually(check, 60)


async def upload(gql: GraphQLClient, token: str, pdf: bytes) -> str:
    async def send() -> str | None:
        try:
            result = await gql.upload(UPLOAD, {"options": None}, "file", pdf, token=token)
            return str(result.ok()["uploadDocument"]["id"])
        except (AssertionError, httpx.HTTPError):
            return None  # only while Redis is coming back

    return await eventually(send, 60)


async def document(gql: GraphQLClient, token: str, doc_id: str) -> dict[str, Any]:
    result: dict[str, Any] = (await gql.execute(DOCUMENT, {"id": doc_id}, token=token)).ok()["document"]
    return result


async def finished(gql: GraphQLClient, token: str, doc_id: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        doc = await document(gql, token, doc_id)
        return doc if doc["status"] in TERMINAL else None

    return await eventually(check)


def assert_all_alive(outage: Outage) -> None:
    for worker in outage.workers:
        assert worker.running, f"{worker.name} exited:\n{outage.stack.logs()}"


async def test_idle_workers_survive_a_one_second_redis_outage(
    outage: Outage, api: tuple[GraphQLClient, str, httpx.AsyncClient]
) -> None:
    gql, token, http = api
    assert await until_workers(http, 2) == 2

    await asyncio.to_thread(outage.cut, 1.0)
    # Longer than the old failure took to end a worker (half a second), and a few polls.
    await asyncio.sleep(3)
    assert_all_alive(outage)
    assert await until_workers(http, 2) == 2  # both beat again: they re-registered

    doc_id = await upload(gql, token, pdfs.unique(pdfs.text(2)))
    doc = await finished(gql, token, doc_id)
    assert doc["status"] == "COMPLETED", (doc["error"], outage.stack.logs())
    assert_all_alive(outage)


async def test_busy_and_idle_workers_survive_a_thirty_second_redis_outage(
    outage: Outage, api: tuple[GraphQLClient, str, httpx.AsyncClient]
) -> None:
    gql, token, http = api
    assert await until_workers(http, 2) == 2
    busy = await upload(gql, token, pdfs.scanned(6))

    async def processing() -> dict[str, Any] | None:
        doc = await document(gql, token, busy)
        return doc if doc["status"] == "PROCESSING" and doc["progress"] > 0.1 else None

    await eventually(processing)
    await asyncio.to_thread(outage.cut, 30.0)
    assert_all_alive(outage)

    # The job that ran through the outage ends (its PostgreSQL writes never needed Redis).
    doc = await finished(gql, token, busy)
    assert doc["status"] == "COMPLETED", (doc["error"], outage.stack.logs())
    assert await until_workers(http, 2) == 2

    # Both workers take jobs again: four slow jobs at once are more than one worker's two slots.
    logged = [len(worker.log()) for worker in outage.workers]
    after = [await upload(gql, token, pdfs.scanned(2)) for _ in range(4)]
    for doc_id in after:
        doc = await finished(gql, token, doc_id)
        assert doc["status"] == "COMPLETED", (doc["error"], outage.stack.logs())
    assert_all_alive(outage)
    for worker, offset in zip(outage.workers, logged, strict=True):
        assert "process_document(" in worker.log()[offset:], (worker.name, outage.stack.logs())
    assert await until_workers(http, 2) == 2
