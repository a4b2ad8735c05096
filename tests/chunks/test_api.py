"""Document.chunks and the final JobProgress.chunkCount through the real API (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette

import graphql_api.documents.chunks as chunks_module
from jobs.pdf.chunks import chunk_content
from jobs.pdf.content import ExtractedContent
from models import Document, JobStatus
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.redis_server import free_port
from tests.fixtures.waiting import uuid_of
from tests.pdf import generate
from tests.subscriptions.ws_client import WSClient
from tests.webhooks.conftest import UPLOAD, eventually

CHUNKS = """
query Chunks($id: ID!, $max: Int, $overlap: Int) {
  document(id: $id) {
    status
    content { json }
    chunks(maxTokens: $max, overlap: $overlap) { index text headings page pages tokenCount blockTypes }
  }
}"""
PROGRESS = "subscription P($id: ID!) { jobProgress(documentId: $id) { status chunkCount } }"


async def processed_report(gql: GraphQLClient, token: str, tmp_path: Path) -> str:
    generate.report_pdf(tmp_path / "report.pdf")
    uploaded = await gql.upload(UPLOAD, {}, "file", (tmp_path / "report.pdf").read_bytes(), token=token)
    document_id: str = uploaded.ok()["uploadDocument"]["id"]

    async def done() -> Document | None:
        doc = await Document.get(id=uuid_of(document_id))
        return doc if doc.status == JobStatus.COMPLETED else None

    await eventually(done)
    return document_id


async def test_chunks_come_from_the_stored_content_and_are_cached_per_parameters(
    gql: GraphQLClient, user_token: str, other_token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document_id = await processed_report(gql, user_token, tmp_path)
    calls: list[tuple[int, int]] = []

    def counting(content: ExtractedContent, *, max_tokens: int, overlap: int) -> Any:
        calls.append((max_tokens, overlap))
        return chunk_content(content, max_tokens=max_tokens, overlap=overlap)

    monkeypatch.setattr(chunks_module, "chunk_content", counting)
    first = (await gql.execute(CHUNKS, {"id": document_id, "max": 64}, token=user_token)).ok()["document"]
    stored = ExtractedContent.from_dict(first["content"]["json"])
    expected = [c.to_dict() for c in chunk_content(stored, max_tokens=64)]
    assert first["chunks"] == expected
    assert all(c["tokenCount"] <= 64 for c in first["chunks"])
    assert first["chunks"][0]["headings"] == [generate.TITLE, "Introduction"]

    again = (await gql.execute(CHUNKS, {"id": document_id, "max": 64}, token=user_token)).ok()["document"]
    assert again["chunks"] == expected
    assert calls == [(64, 0)]  # the second answer came from the cache
    default = (await gql.execute(CHUNKS, {"id": document_id}, token=user_token)).ok()["document"]["chunks"]
    assert calls == [(64, 0), (512, 0)] and len(default) < len(expected)
    assert (await gql.execute(CHUNKS, {"id": document_id, "max": 64, "overlap": 8}, token=user_token)).ok()
    assert calls[-1] == (64, 8)

    # Someone else's document is not found; impossible parameters are the client's error.
    assert (await gql.execute(CHUNKS, {"id": document_id}, token=other_token)).codes == ["NOT_FOUND"]
    for variables in ({"max": 4}, {"max": 100000}, {"max": 64, "overlap": -1}, {"max": 64, "overlap": 60}):
        result = await gql.execute(CHUNKS, {"id": document_id, **variables}, token=user_token)
        assert result.codes == ["BAD_USER_INPUT"], (variables, result.errors)


@asynccontextmanager
async def live_server(app: Starlette) -> AsyncIterator[str]:
    """ws:// URL of the session app's /graphql on a real uvicorn server (as `docat serve`)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(30):
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def test_the_final_job_state_carries_the_chunk_count(
    app: Starlette, gql: GraphQLClient, user_token: str, tmp_path: Path
) -> None:
    document_id = await processed_report(gql, user_token, tmp_path)
    async with live_server(app) as url, WSClient(url, {"Authorization": f"Bearer {user_token}"}) as ws:
        received = [data async for data in ws.subscribe(PROGRESS, {"id": document_id})]
    default = (await gql.execute(CHUNKS, {"id": document_id}, token=user_token)).ok()["document"]["chunks"]
    assert received == [{"jobProgress": {"status": "COMPLETED", "chunkCount": len(default)}}]
    assert len(default) > 1
