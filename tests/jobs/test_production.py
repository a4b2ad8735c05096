"""Production mode with real processes: PostgreSQL + Redis + S3 (moto) + `docat serve` + `docat worker`.

The API runs as its own `docat serve` process (with REDIS_URL it only
enqueues), jobs run in separate `docat worker` processes, files live in a
bucket on the moto S3 server. The test talks to them over HTTP like any
client, and listens to Redis pub/sub as another API instance would.

Each test starts the workers it needs. Recovery knobs are turned down
(heartbeats go stale after 8 s, sweeps every second) so a killed worker's job
is picked up quickly; every wait is bounded, none is a timing assertion.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from docat.events import is_terminal, open_event_bus, user_channel
from docat.settings import load_settings
from graphql_api.relay import from_global_id
from tests.conftest import TEST_SECRET
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.s3_server import s3_admin_client, s3_settings
from tests.fixtures.waiting import uuid_of
from tests.jobs import pdfs
from tests.jobs.conftest import CANCEL, DOCUMENT, UPLOAD, eventually
from tests.jobs.services import ProductionStack, Service, running_stack

ADMIN_EMAIL = "ops-admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken user { id } }
}"""
ME = "query { me { creditsUsed } }"
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")


class Client:
    def __init__(self, http: httpx.AsyncClient, token: str, user_id: str) -> None:
        self.gql = GraphQLClient(http)
        self.token = token
        self.user_id = user_id

    async def upload(self, pdf: bytes, options: dict[str, Any] | None = None) -> str:
        result = await self.gql.upload(UPLOAD, {"options": options}, "file", pdf, token=self.token)
        doc_id: str = result.ok()["uploadDocument"]["id"]
        return doc_id

    async def document(self, doc_id: str) -> dict[str, Any]:
        result = await self.gql.execute(DOCUMENT, {"id": doc_id}, token=self.token)
        doc: dict[str, Any] = result.ok()["document"]
        return doc

    async def until(self, doc_id: str, ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            doc = await self.document(doc_id)
            return doc if ready(doc) else None

        return await eventually(check)

    async def finished(self, doc_id: str) -> dict[str, Any]:
        return await self.until(doc_id, lambda d: d["status"] in TERMINAL)


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> AsyncIterator[ProductionStack]:
    folder = tmp_path_factory.mktemp("production")
    bucket = f"docat-jobs-{uuid.uuid4().hex}"
    s3_admin_client(s3_endpoint).create_bucket(Bucket=bucket)
    # One PDF process per worker (production_env): jobs take long enough to be killed in the middle.
    async with running_stack(
        folder,
        (ADMIN_EMAIL, ADMIN_PASSWORD),
        WORKER_MAX_JOBS="2",
        # Low enough that a killed worker's job is taken over soon, high enough that a live
        # worker on a busy test machine is never mistaken for a dead one.
        JOB_STALE_SECONDS="8",
        RECOVERY_INTERVAL_SECONDS="1",
        **{key.upper(): str(value) for key, value in s3_settings(bucket, s3_endpoint).items()},
    ) as production:
        yield production


@pytest.fixture
async def client(stack: ProductionStack) -> AsyncIterator[Client]:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
        login = await GraphQLClient(http).execute(LOGIN, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        payload = login.ok()["login"]
        yield Client(http, payload["accessToken"], from_global_id(payload["user"]["id"])[1])


@pytest.fixture
def workers(stack: ProductionStack) -> Iterator[Callable[[], Service]]:
    """Start `docat worker` processes; all are stopped (SIGTERM) after the test."""
    started: list[Service] = []

    def start() -> Service:
        worker = stack.worker()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


async def credits_used(client: Client) -> int:
    used: int = (await client.gql.execute(ME, token=client.token)).ok()["me"]["creditsUsed"]
    return used


async def test_a_separate_worker_processes_uploads(
    stack: ProductionStack, client: Client, workers: Callable[[], Service], tmp_path: Path
) -> None:
    workers()
    pdf, text_words, _ = pdfs.mixed(tmp_path)
    settings = load_settings(redis_url=stack.env["REDIS_URL"], secret_key=TEST_SECRET)
    bus = await open_event_bus(settings)
    events: list[dict[str, Any]] = []
    try:
        async with bus.subscribe([user_channel(client.user_id)]) as subscription:
            before = await credits_used(client)
            doc_id = await client.upload(pdf)
            doc = await client.finished(doc_id)

            async def terminal_event() -> None:
                async for event in subscription:
                    events.append(event)
                    if is_terminal(event):
                        return

            await asyncio.wait_for(terminal_event(), 30)
    finally:
        await bus.close()

    assert doc["status"] == "COMPLETED", (doc["error"], stack.logs())
    assert (doc["pageCount"], doc["pdfType"], doc["engine"], doc["creditsUsed"]) == (2, "MIXED", "OCR", 6)
    assert await credits_used(client) == before + 6
    assert text_words[0] in doc["markdown"]
    # The results are in the bucket, and the download link (presigned S3 or /files) serves them.
    s3 = s3_admin_client(stack.env["S3_ENDPOINT_URL"])
    listed = s3.list_objects_v2(Bucket=stack.env["S3_BUCKET"], Prefix=f"documents/{uuid_of(doc_id)}/")
    names = {item["Key"].rsplit("/", 1)[1] for item in listed.get("Contents", [])}
    assert names == {"original.pdf", "content.json", "content.md", "content.txt"}
    async with httpx.AsyncClient(base_url=stack.api_url) as http:
        downloaded = await http.get(doc["json"])
    assert downloaded.status_code == 200 and downloaded.json()["pageCount"] == 2
    # Progress published by the worker reached this process through Redis, in order, ending once.
    progress = [e["progress"] for e in events if "progress" in e]
    assert progress == sorted(progress) and events[-1]["status"] == "COMPLETED"
    assert {"EXTRACTING", "FINALIZING"} <= {e.get("stage") for e in events}


async def test_a_killed_worker_job_is_finished_by_another_worker(
    stack: ProductionStack, client: Client, workers: Callable[[], Service]
) -> None:
    first = workers()
    # Encrypted: the second run can only open it if recovery carried the password over.
    doc_id = await client.upload(pdfs.scanned(6, password=pdfs.PASSWORD), {"password": pdfs.PASSWORD})
    # Killed only once a page is done, so the job is really in the middle.
    await client.until(doc_id, lambda d: d["status"] == "PROCESSING" and d["progress"] > 0.1)
    first.kill()

    workers()
    doc = await client.finished(doc_id)
    assert doc["status"] == "COMPLETED", (doc["error"], stack.logs())
    assert doc["creditsUsed"] == 6 * 5 and doc["content"]["pageCount"] == 6
    messages = [e["node"]["message"] for e in doc["logs"]["edges"]]
    assert any("Re-queued because its worker stopped responding (attempt 2 of 3)" in m for m in messages)
    assert pdfs.PASSWORD not in " ".join(messages)


async def test_cancel_reaches_a_job_in_a_worker(
    stack: ProductionStack, client: Client, workers: Callable[[], Service]
) -> None:
    workers()
    doc_id = await client.upload(pdfs.scanned(6))
    await client.until(doc_id, lambda d: d["status"] == "PROCESSING" and d["progress"] > 0.1)
    assert (await client.gql.execute(CANCEL, {"id": doc_id}, token=client.token)).ok()
    doc = await client.finished(doc_id)
    context = (doc["creditsUsed"], [e["node"]["message"] for e in doc["logs"]["edges"]], stack.logs())
    assert doc["status"] == "CANCELLED", context
    # The OCR pages done before the cancel stay charged; never all six.
    assert doc["creditsUsed"] % 5 == 0 and 5 <= doc["creditsUsed"] < 30, context
    assert any(e["node"]["message"].startswith("Cancelled") for e in doc["logs"]["edges"]), context
