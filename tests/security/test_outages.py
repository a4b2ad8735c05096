"""A dependency outage answers SERVICE_UNAVAILABLE (retryable, 503, Retry-After), fast, never INTERNAL.

A real `docat serve` in production mode, with each dependency made unreachable
without touching the shared servers: a private redis-server that is stopped,
PostgreSQL and the S3 server (moto) behind TCP proxies that are cut.

Limiters: login fails closed (the brute-force limit must hold), the request
budget fails open (reads that need only PostgreSQL go on while Redis is down).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.fixtures.databases import create_postgres_database, drop_postgres_database
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.s3_server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, s3_admin_client
from tests.jobs import pdfs
from tests.jobs.services import ProductionStack, production_env
from tests.ops.tcp_proxy import TcpProxy

EMAIL = "outage-admin@example.com"
PASSWORD = "correct horse battery staple"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
ME = "{ me { email } }"
UPLOAD = "mutation U($file: Upload!) { uploadDocument(file: $file) { id status } }"
# "Fast": far below the 21 s clients waited for INTERNAL, with slack for a shared machine.
FAST_SECONDS = 8.0


class Outages:
    def __init__(
        self, url: str, redis: RedisServer, database: TcpProxy, storage: TcpProxy, stack: ProductionStack
    ):
        self.url = url
        self.redis = redis
        self.database = database
        self.storage = storage
        self.stack = stack


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


@pytest.fixture(scope="module")
async def outages(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> AsyncIterator[Outages]:
    folder: Path = tmp_path_factory.mktemp("outages")
    database_url = await create_postgres_database()
    target = urlsplit(database_url)
    database = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await database.start()
    s3 = urlsplit(s3_endpoint)
    storage = TcpProxy(s3.hostname or "127.0.0.1", s3.port or 80)
    await storage.start()
    bucket = f"docat-outage-{uuid.uuid4().hex[:12]}"
    s3_admin_client(s3_endpoint).create_bucket(Bucket=bucket)
    redis = RedisServer(folder)
    redis.start()
    env = production_env(
        _through(database_url, database.port),
        redis.url,
        S3_BUCKET=bucket,
        S3_ENDPOINT_URL=f"http://127.0.0.1:{storage.port}",
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        AWS_REGION=REGION,
    )
    stack = ProductionStack(folder, env)
    try:
        # In threads: the proxies run on this event loop, which must go on forwarding meanwhile.
        await asyncio.to_thread(stack.migrate)
        await asyncio.to_thread(stack.create_admin, EMAIL, PASSWORD)
        url = await asyncio.to_thread(stack.serve)
        yield Outages(url, redis, database, storage, stack)
    finally:
        await asyncio.to_thread(stack.close)
        redis.stop()
        await database.close()
        await storage.close()
        await drop_postgres_database(database_url)


async def _timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await call
    return response, time.monotonic() - started


def _assert_unavailable(response: httpx.Response, elapsed: float, *, whole: bool = True) -> None:
    body = response.json()
    codes = [e["extensions"]["code"] for e in body.get("errors", [])]
    assert codes == ["SERVICE_UNAVAILABLE"], body
    extensions = body["errors"][0]["extensions"]
    assert extensions["retryable"] is True and extensions["retryAfter"] >= 1
    assert response.headers["retry-after"] == str(extensions["retryAfter"])
    if whole:
        assert response.status_code == 503
    assert elapsed < FAST_SECONDS, f"answered after {elapsed:.1f}s"
    assert "Traceback" not in response.text and "redis" not in body["errors"][0]["message"].lower()


async def _login(http: httpx.AsyncClient) -> httpx.Response:
    return await http.post("/graphql", json={"query": LOGIN, "variables": {"e": EMAIL, "p": PASSWORD}})


async def _token(http: httpx.AsyncClient) -> str:
    response = await _login(http)
    token: str = response.json()["data"]["login"]["accessToken"]
    return token


async def test_redis_down_login_fails_closed_and_reads_go_on(outages: Outages) -> None:
    async with httpx.AsyncClient(base_url=outages.url, timeout=30) as http:
        token = await _token(http)
        outages.redis.stop()
        try:
            response, elapsed = await _timed(_login(http))
            _assert_unavailable(response, elapsed)
            # The request budget fails open: a read that needs only PostgreSQL is answered.
            me, elapsed = await _timed(
                http.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"})
            )
            assert me.status_code == 200 and me.json() == {"data": {"me": {"email": EMAIL}}}, me.text
            assert elapsed < FAST_SECONDS
            # An upload cannot be queued: refused, retryable, and nothing is left half-made.
            gql = GraphQLClient(http)
            started = time.monotonic()
            upload = await gql.upload(UPLOAD, {}, "file", pdfs.text(1), token=token)
            assert upload.codes == ["SERVICE_UNAVAILABLE"], upload.body
            assert upload.status_code == 503 and time.monotonic() - started < FAST_SECONDS
        finally:
            outages.redis.start()
        # Back: sign-in works again, without a restart.
        assert (await _login(http)).json()["data"]["login"]["accessToken"]
    assert outages.stack.services[0].running


async def test_postgresql_down_answers_service_unavailable_fast(outages: Outages) -> None:
    async with httpx.AsyncClient(base_url=outages.url, timeout=30) as http:
        token = await _token(http)
        await outages.database.close()
        try:
            response, elapsed = await _timed(
                http.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"})
            )
            _assert_unavailable(response, elapsed)
            response, elapsed = await _timed(_login(http))
            _assert_unavailable(response, elapsed)
        finally:
            await outages.database.start()
        # Back: the pool reconnects by itself.
        deadline = time.monotonic() + 20
        while True:
            me = await http.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"})
            if me.status_code == 200 and "errors" not in me.json():
                break
            assert time.monotonic() < deadline, me.text
            await asyncio.sleep(0.2)


async def test_s3_down_refuses_an_upload_fast_and_retryably(outages: Outages) -> None:
    async with httpx.AsyncClient(base_url=outages.url, timeout=60) as http:
        token = await _token(http)
        gql = GraphQLClient(http)
        await outages.storage.close()
        try:
            started = time.monotonic()
            upload = await gql.upload(UPLOAD, {}, "file", pdfs.text(1), token=token)
            elapsed = time.monotonic() - started
            assert upload.codes == ["SERVICE_UNAVAILABLE"], upload.body
            assert upload.status_code == 503 and upload.body["errors"][0]["extensions"]["retryable"] is True
            assert elapsed < FAST_SECONDS, f"answered after {elapsed:.1f}s"
        finally:
            await outages.storage.start()
        again = await gql.upload(UPLOAD, {}, "file", pdfs.text(1), token=token)
        assert again.ok()["uploadDocument"]["status"] == "QUEUED"
