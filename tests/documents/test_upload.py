"""uploadDocument: what an accepted upload stores, holds and queues."""

from __future__ import annotations

import hashlib

import pytest

from docat.resources import Resources
from docat.storage import document_key
from graphql_api.documents.upload import display_filename
from graphql_api.relay import from_global_id
from models import Document, ProcessingLog, User
from tests.documents.conftest import (
    RecordingQueue,
    mixed_pdf,
    our_temp_files,
    scanned_pdf,
    text_pdf,
    upload,
)
from tests.fixtures.corpus import ENCRYPTED_PASSWORD
from tests.fixtures.graphql_client import GraphQLClient


def doc_id_of(result_doc: dict[str, object]) -> str:
    return from_global_id(str(result_doc["id"]))[1]


async def test_upload_stores_the_original_and_queues_a_job(
    gql: GraphQLClient, user: User, user_token: str, queue: RecordingQueue, resources: Resources, pdf: bytes
) -> None:
    result = await upload(gql, user_token, pdf, filename="Quarterly report.pdf")
    doc = result.ok()["uploadDocument"]
    assert doc["status"] == "QUEUED" and doc["stage"] == "QUEUED" and doc["progress"] == 0
    assert doc["filename"] == "Quarterly report.pdf"
    assert doc["sizeBytes"] == len(pdf)
    assert doc["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert doc["pageCount"] == 3 and doc["pdfType"] == "STRUCTURED"
    assert doc["cached"] is False and doc["error"] is None
    assert doc["options"] == {
        "engine": "AUTO",
        "translateTo": None,
        "dualLanguage": False,
        "pages": None,
        "ocrLanguage": "eng",
    }

    doc_id = doc_id_of(doc)
    row = await Document.get(id=doc_id)
    assert row.owner_id == user.id
    assert row.formats == ["ORIGINAL"]
    assert await resources.storage.get_bytes(document_key(doc_id, "original.pdf")) == pdf
    assert queue.enqueued == [(row.id, row.run, None)]
    # 3 text pages: 1 credit each, held until the job settles.
    await user.refresh_from_db()
    assert row.credits_reserved == 3 and user.credits_reserved == 3
    logs = await ProcessingLog.filter(document_id=row.id).values_list("message", flat=True)
    assert any("uploaded Quarterly report.pdf" in str(m) for m in logs)
    assert our_temp_files(resources) == []


async def test_the_password_reaches_the_job_and_nothing_else(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, encrypted_pdf: bytes
) -> None:
    result = await upload(gql, user_token, encrypted_pdf, {"password": ENCRYPTED_PASSWORD})
    doc = result.ok()["uploadDocument"]
    row = await Document.get(id=doc_id_of(doc))
    assert queue.enqueued == [(row.id, row.run, ENCRYPTED_PASSWORD)]
    assert ENCRYPTED_PASSWORD not in str(row.options)
    logs = await ProcessingLog.filter(document_id=row.id).values_list("message", flat=True)
    assert all(ENCRYPTED_PASSWORD not in str(m) for m in logs)


@pytest.mark.parametrize(
    ("make", "options", "cost"),
    [
        (lambda: text_pdf(4), {}, 4),
        (lambda: text_pdf(4), {"pages": "2-3"}, 2),
        (lambda: text_pdf(4), {"engine": "OCR"}, 20),
        (lambda: scanned_pdf(2), {}, 10),
        (lambda: scanned_pdf(2), {"engine": "TEXT"}, 2),
        (lambda: mixed_pdf(), {}, 6),
        (lambda: mixed_pdf(), {"pages": "1"}, 1),
    ],
    ids=["text", "text-pages", "text-ocr", "scanned", "scanned-text-engine", "mixed", "mixed-page-1"],
)
async def test_credits_held_follow_pages_and_engine(
    gql: GraphQLClient,
    user: User,
    user_token: str,
    queue: RecordingQueue,
    make: object,
    options: dict[str, str],
    cost: int,
) -> None:
    content = make()  # type: ignore[operator]
    doc = (await upload(gql, user_token, content, options)).ok()["uploadDocument"]
    row = await Document.get(id=doc_id_of(doc))
    assert row.credits_reserved == cost
    await user.refresh_from_db()
    assert user.credits_reserved == cost


async def test_options_are_normalized_before_they_are_stored(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, a_provider: None
) -> None:
    options = {"pages": "3, 1-2", "translateTo": "ZH_hans", "dualLanguage": True, "ocrLanguage": "eng+deu"}
    doc = (await upload(gql, user_token, text_pdf(4), options)).ok()["uploadDocument"]
    assert doc["options"] == {
        "engine": "AUTO",
        "translateTo": "zh-Hans",
        "dualLanguage": True,
        "pages": "1-3",
        "ocrLanguage": "eng+deu",
    }


async def test_an_admin_may_upload_more_pages_than_a_user(
    gql: GraphQLClient, admin_token: str, queue: RecordingQueue, admin_setting: object
) -> None:
    await admin_setting("max_pages_user", "2")  # type: ignore[operator]
    doc = (await upload(gql, admin_token, text_pdf(3))).ok()["uploadDocument"]
    assert doc["pageCount"] == 3


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("evil\u202efdp.exe", "evilfdp.exe"),
        ("  spaced \t name.pdf ", "spaced name.pdf"),
        ("", "document.pdf"),
        ("..", "document.pdf"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
    ],
)
def test_display_filename(raw: str, shown: str) -> None:
    assert display_filename(raw) == shown


async def test_the_filename_is_sanitized_for_display(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, pdf: bytes
) -> None:
    doc = (await upload(gql, user_token, pdf, filename="..\\..\\x\u202ey.pdf")).ok()["uploadDocument"]
    assert doc["filename"] == "xy.pdf"
