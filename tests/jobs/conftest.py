"""Fixtures of the job tests: the embedded app's resources, GraphQL documents, bounded waits.

Embedded tests run on the session `app` (tests/conftest.py: SQLite and
PostgreSQL, the in-process queue running jobs in this process). The
production tests (test_production.py) start their own processes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest
from arq.constants import health_check_key_suffix, in_progress_key_prefix, job_key_prefix

from docat.queue import ArqQueue
from docat.resources import Resources
from docat.storage import document_key
from models import TERMINAL_STATUSES, Document, JobStatus, User
from tests.fixtures import waiting
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.redis_server import SHARED_REDIS_URL

T = TypeVar("T")

# Bounds on waiting for jobs and processes: generous, never a performance assertion.
JOB_WAIT = 180.0
POLL = 0.1

UPLOAD = """
mutation Upload($file: Upload!, $options: ProcessingOptionsInput) {
  uploadDocument(file: $file, options: $options) { id status }
}"""
CANCEL = "mutation Cancel($id: ID!) { cancelDocument(id: $id) { status } }"
DOCUMENT = """
query Document($id: ID!) {
  document(id: $id) {
    id status stage progress pageCount pdfType engine creditsUsed processingMs finishedAt
    error { code message }
    content {
      title pageCount
      blocks { page type level text }
      metadata { wordCount ocrPages confidence }
    }
    markdown text
    json: downloadUrl(format: JSON)
    logs(first: 100) { edges { node { level stage message } } }
  }
}"""


async def eventually(check: Callable[[], Awaitable[T | None]], bound: float = JOB_WAIT) -> T:
    """Poll `check` until it returns something; at most `bound` seconds."""
    return await waiting.eventually(check, bound, POLL)


async def wait_terminal(document_id: uuid.UUID | str) -> Document:
    async def done() -> Document | None:
        doc = await Document.get(id=document_id)
        return doc if doc.status in TERMINAL_STATUSES else None

    return await eventually(done)


@pytest.fixture
def upload(gql: GraphQLClient, user_token: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def send(
        pdf: bytes, options: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        result = await gql.upload(UPLOAD, {"options": options}, "file", pdf, token=token or user_token)
        doc: dict[str, Any] = result.ok()["uploadDocument"]
        return doc

    return send


@pytest.fixture
async def make_document(
    resources: Resources, user: User
) -> AsyncIterator[Callable[..., Awaitable[Document]]]:
    """A Document row and its original, straight into the database and storage (no upload
    checks): for files the upload would reject, so the job's own error mapping is exercised.
    Whatever is still QUEUED or PROCESSING afterwards is ended, so no other test (a
    subscription listing every live job, a later sweep) ever sees it."""
    made: list[uuid.UUID] = []

    async def make(pdf: bytes, options: dict[str, Any] | None = None, **fields: Any) -> Document:
        doc = await Document.create(
            owner_id=user.id,
            filename="test.pdf",
            size_bytes=len(pdf),
            sha256=uuid.uuid4().hex,
            options={"engine": "AUTO", "ocrLanguage": "eng", **(options or {})},
            formats=["ORIGINAL"],
            **fields,
        )
        await resources.storage.put_bytes(document_key(str(doc.id), "original.pdf"), pdf)
        made.append(doc.id)
        return doc

    yield make
    await (
        Document.filter(id__in=made)
        .exclude(status__in=TERMINAL_STATUSES)
        .update(status=JobStatus.CANCELLED, credits_reserved=0)
    )


REDIS_URL = SHARED_REDIS_URL


@pytest.fixture
async def arq_queue(resources: Resources) -> AsyncIterator[ArqQueue]:
    """An ArqQueue on the shared Redis under a queue name of its own; its keys are deleted after."""
    settings = resources.settings.model_copy(
        update={"redis_url": REDIS_URL, "queue_name": f"docat-test:{uuid.uuid4().hex}"}
    )
    queue = await ArqQueue.open(settings)
    try:
        yield queue
    finally:
        redis, name = queue.redis, queue.queue_name
        ids = [i.decode() for i in await redis.zrange(name, 0, -1)]
        keys = [job_key_prefix + i for i in ids] + [in_progress_key_prefix + i for i in ids]
        await redis.delete(name, name + health_check_key_suffix, *keys)
        await queue.close()
