"""Embedded mode end to end: uploadDocument -> the in-process queue -> process_document -> results.

Runs on SQLite and PostgreSQL (the session `app`). Jobs run in this process's
asyncio loop with PyMuPDF in the process pool, exactly as `docat serve` runs
them without Redis.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from docat.events import is_terminal, user_channel
from docat.resources import Resources
from docat.storage import document_key
from models import CreditLog, Document, DocumentPage, JobStatus, User
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.waiting import uuid_of
from tests.jobs import pdfs
from tests.jobs.conftest import CANCEL, DOCUMENT, JOB_WAIT, eventually, wait_terminal

Upload = Callable[..., Awaitable[dict[str, Any]]]
STAGE_ORDER = ["QUEUED", "ANALYZING", "EXTRACTING", "OCR", "TRANSLATING", "RENDERING", "FINALIZING", "DONE"]


def words_found(expected: list[str], text: str) -> float:
    found = set(text.lower().split())
    return sum(1 for w in expected if w.lower() in found) / len(expected)


async def test_upload_is_processed_to_completed(
    gql: GraphQLClient, user: User, user_token: str, resources: Resources, upload: Upload, tmp_path: Path
) -> None:
    pdf, text_words, image_words = pdfs.mixed(tmp_path)
    events: list[dict[str, Any]] = []
    async with resources.bus.subscribe([user_channel(user.id)]) as subscription:
        doc = await upload(pdf)
        doc_id = uuid_of(doc["id"])

        async def collect() -> None:
            async for event in subscription:
                if event.get("documentId") == str(doc_id):
                    events.append(event)
                    if is_terminal(event):
                        return

        await asyncio.wait_for(collect(), JOB_WAIT)

    # Events: QUEUED, then PROCESSING through the stages in order, then exactly one COMPLETED.
    assert events[0]["status"] == "QUEUED"
    assert events[-1]["status"] == "COMPLETED" and events[-1]["stage"] == "DONE"
    assert events[-1]["progress"] == 1.0
    assert sum(1 for e in events if is_terminal(e)) == 1
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress), "progress went backwards"
    stages = [STAGE_ORDER.index(e["stage"]) for e in events]
    assert stages == sorted(stages), [e["stage"] for e in events]
    assert {"ANALYZING", "EXTRACTING", "FINALIZING"} <= {e["stage"] for e in events}

    got = (await gql.execute(DOCUMENT, {"id": doc["id"]}, token=user_token)).ok()["document"]
    assert got["status"] == "COMPLETED", got["error"]
    assert (got["pageCount"], got["pdfType"], got["engine"]) == (2, "MIXED", "OCR")
    assert got["creditsUsed"] == 1 + 5  # one text page, one OCR page
    assert got["processingMs"] > 0 and got["finishedAt"]
    content = got["content"]
    assert content["pageCount"] == 2 and content["metadata"]["ocrPages"] == [2]
    page1 = " ".join(b["text"] for b in content["blocks"] if b["page"] == 1)
    page2 = " ".join(b["text"] for b in content["blocks"] if b["page"] == 2)
    assert words_found(text_words, page1) >= 0.99
    assert words_found(image_words, page2) >= 0.9
    assert text_words[0] in got["markdown"] and text_words[0] in got["text"]

    # The stored JSON is ExtractedContent exactly as GraphQL shows it.
    stored = json.loads(await resources.storage.get_bytes(document_key(str(doc_id), "content.json")))
    assert stored["pageCount"] == 2
    assert [(b["page"], b["type"], b["text"]) for b in stored["blocks"]] == [
        (b["page"], b["type"], b["text"]) for b in content["blocks"]
    ]
    downloaded = await gql.http.get(got["json"])
    assert downloaded.status_code == 200 and json.loads(downloaded.content) == stored

    row = await Document.get(id=doc_id)
    assert set(row.formats) == {"ORIGINAL", "JSON", "MARKDOWN", "TEXT"}
    assert (row.progress, row.credits_reserved) == (1.0, 0)
    pages = await DocumentPage.filter(document_id=doc_id, run=row.run).order_by("page")
    assert [(p.page, p.ocr) for p in pages] == [(1, False), (2, True)]

    stages_logged = {e["node"]["stage"] for e in got["logs"]["edges"]}
    assert {"ANALYZING", "EXTRACTING", "FINALIZING", "DONE"} <= stages_logged
    await user.refresh_from_db()
    assert (user.credits_used, user.credits_reserved) == (6, 0)
    assert [c.amount for c in await CreditLog.filter(document_id=doc_id)] == [6]


async def test_only_the_requested_pages_are_processed(
    gql: GraphQLClient, user_token: str, upload: Upload
) -> None:
    doc = await upload(pdfs.text(5), {"pages": "2-3"})
    row = await wait_terminal(uuid_of(doc["id"]))
    assert row.status == JobStatus.COMPLETED, (row.error_code, row.error_message)
    got = (await gql.execute(DOCUMENT, {"id": doc["id"]}, token=user_token)).ok()["document"]
    assert got["pageCount"] == 5 and got["creditsUsed"] == 2 and got["engine"] == "TEXT"
    assert {b["page"] for b in got["content"]["blocks"]} == {2, 3}
    # Running headers and footers are recognized across the pages.
    assert {"HEADER", "FOOTER"} <= {b["type"] for b in got["content"]["blocks"]}


async def test_cancel_stops_a_running_job(
    gql: GraphQLClient, user: User, user_token: str, resources: Resources, upload: Upload
) -> None:
    doc = await upload(pdfs.scanned(6))
    doc_id = uuid_of(doc["id"])

    async def first_pages_saved() -> int | None:
        count = await DocumentPage.filter(document_id=doc_id).count()
        return count or None

    await eventually(first_pages_saved)
    result = await gql.execute(CANCEL, {"id": doc["id"]}, token=user_token)
    assert result.ok()["cancelDocument"]["status"] in ("PROCESSING", "CANCELLED")

    row = await wait_terminal(doc_id)
    assert row.status == JobStatus.CANCELLED
    done = await DocumentPage.filter(document_id=doc_id, run=row.run).count()
    assert 1 <= done < 6
    # The pages already done stay charged (OCR: 5 each); the rest of the hold goes back.
    assert row.credits_used == 5 * done and row.credits_reserved == 0
    await user.refresh_from_db()
    assert (user.credits_used, user.credits_reserved) == (5 * done, 0)
    # The job's task is over: nothing more will be written for this run.
    assert not await resources.queue.pending(doc_id, row.run)
    assert await DocumentPage.filter(document_id=doc_id, run=row.run).count() == done


async def test_a_superseded_run_stops_without_writing(make_document: Any, resources: Resources) -> None:
    doc = await make_document(pdfs.scanned(4))
    await resources.queue.enqueue(doc.id, doc.run)

    async def processing() -> bool | None:
        row = await Document.get(id=doc.id)
        has_page = await DocumentPage.filter(document_id=doc.id).exists()
        return True if row.status == JobStatus.PROCESSING and has_page else None

    await eventually(processing)
    # What recovery or a reprocess does: a newer run takes over (not queued here).
    await Document.filter(id=doc.id).update(run=doc.run + 1, status=JobStatus.QUEUED)

    async def stopped() -> bool | None:
        return None if await resources.queue.pending(doc.id, doc.run) else True

    await eventually(stopped)
    row = await Document.get(id=doc.id)
    assert (row.run, row.status) == (doc.run + 1, JobStatus.QUEUED)
    assert not await CreditLog.filter(document_id=doc.id).exists()  # the old run settled nothing
    await Document.filter(id=doc.id).update(status=JobStatus.CANCELLED)


async def test_results_download_through_files(gql: GraphQLClient, user_token: str, upload: Upload) -> None:
    doc = await upload(pdfs.text(1))
    await wait_terminal(uuid_of(doc["id"]))
    got = (await gql.execute(DOCUMENT, {"id": doc["id"]}, token=user_token)).ok()["document"]
    response: httpx.Response = await gql.http.get(got["json"])
    assert response.status_code == 200
    assert json.loads(response.content)["pageCount"] == 1
