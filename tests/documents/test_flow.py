"""The whole flow with the real queue and job (in-process): upload, process, results, cache, reprocess."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from docat.resources import Resources
from models import TERMINAL_STATUSES, CreditLog, Document, User
from tests.documents.conftest import text_pdf, uploaded
from tests.documents.test_results import results
from tests.fixtures.corpus import ENCRYPTED_PASSWORD
from tests.fixtures.graphql_client import GraphQLClient

# A bound on waiting for a job, not a performance assertion.
JOB_WAIT_SECONDS = 120.0

REPROCESS = """
mutation($id: ID!, $options: ProcessingOptionsInput) { reprocessDocument(id: $id, options: $options) { status } }"""


async def wait_until_done(doc_id: str) -> Document:
    async def poll() -> Document:
        while True:
            doc = await Document.get(id=doc_id)
            if doc.status in TERMINAL_STATUSES:
                return doc
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(poll(), JOB_WAIT_SECONDS)


async def fetch(http: httpx.AsyncClient, url: str) -> httpx.Response:
    response = await http.get(url)
    assert response.status_code == 200, url
    return response


async def test_upload_process_download_and_reuse(
    gql: GraphQLClient, user: User, user_token: str, other_token: str, resources: Resources
) -> None:
    pdf = text_pdf(2)
    doc = await uploaded(gql, user_token, pdf)
    assert doc["cached"] is False
    row = await wait_until_done(doc["uuid"])
    assert row.status == "COMPLETED", (row.error_code, row.error_message)
    assert {"ORIGINAL", "JSON", "MARKDOWN", "TEXT"} <= set(row.formats)

    got = await results(gql, user_token, doc["id"])
    assert got["content"]["pageCount"] == 2
    words = " ".join(b["text"] for b in got["content"]["blocks"])
    assert "Chapter 1" in words and "quick brown fox" in words
    assert "Chapter 2" in got["markdown"] and "quick brown fox" in got["text"]
    downloaded = json.loads((await fetch(gql.http, got["json"])).content)
    assert downloaded["pageCount"] == 2
    assert (await fetch(gql.http, got["original"])).content == pdf
    assert (await fetch(gql.http, got["txt"])).text == got["text"]

    # 2 text pages: 2 credits, settled once; nothing held any more.
    await user.refresh_from_db()
    assert (user.credits_used, user.credits_reserved) == (2, 0)

    # The same bytes again, by the same owner: the result at once, free of charge.
    again = await uploaded(gql, user_token, pdf)
    assert again["status"] == "COMPLETED" and again["cached"] is True and again["creditsUsed"] == 0
    cached = await results(gql, user_token, again["id"])
    assert cached["content"] == got["content"] and cached["markdown"] == got["markdown"]
    # By someone else: processed and charged like any upload (no sign of the first one).
    theirs = await uploaded(gql, other_token, pdf)
    assert theirs["status"] == "QUEUED" and theirs["cached"] is False
    assert (await wait_until_done(theirs["uuid"])).status == "COMPLETED"
    assert list(await CreditLog.filter(document_id=theirs["uuid"]).values_list("amount", flat=True)) == [2]


async def test_the_encrypted_corpus_file_completes_with_its_password(
    gql: GraphQLClient, user_token: str, encrypted_pdf: bytes
) -> None:
    # ocrLanguage "deu": options no other test uses with this file, so no cached result applies.
    options = {"password": ENCRYPTED_PASSWORD, "ocrLanguage": "deu"}
    doc = await uploaded(gql, user_token, encrypted_pdf, options)
    assert doc["cached"] is False
    row = await wait_until_done(doc["uuid"])
    assert row.status == "COMPLETED", (row.error_code, row.error_message)
    assert ENCRYPTED_PASSWORD not in json.dumps(row.options)
    got = await results(gql, user_token, doc["id"])
    assert got["content"]["pageCount"] >= 1


async def test_reprocess_with_the_real_job(gql: GraphQLClient, user: User, user_token: str) -> None:
    doc = await uploaded(gql, user_token, text_pdf(3))
    assert (await wait_until_done(doc["uuid"])).status == "COMPLETED"
    requeued = await gql.execute(REPROCESS, {"id": doc["id"], "options": {"pages": "2"}}, token=user_token)
    assert requeued.ok()["reprocessDocument"]["status"] in ("QUEUED", "PROCESSING", "COMPLETED")
    row = await wait_until_done(doc["uuid"])
    assert row.status == "COMPLETED" and row.run == 1
    got: dict[str, Any] = await results(gql, user_token, doc["id"])
    assert {b["page"] for b in got["content"]["blocks"]} == {2}
    # Charged twice: 3 pages, then 1.
    charges = await CreditLog.filter(document_id=row.id).order_by("at").values_list("amount", flat=True)
    assert list(charges) == [3, 1]
