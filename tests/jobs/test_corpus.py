"""Every corpus PDF through the real queue and process_document: COMPLETED, or FAILED with its code.

The rows and files are made directly (no upload checks), so the job's own
validation and error mapping decide: the encrypted file completes with its
password and fails ENCRYPTED_PDF without it; a garbage file fails INVALID_PDF
at once, without retries.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path
from typing import Any

from docat.resources import Resources
from docat.storage import document_key
from models import Document, JobStatus, ProcessingLog
from tests.fixtures.corpus import CORPUS, ENCRYPTED_PDF
from tests.jobs.conftest import wait_terminal

ENCRYPTED = ENCRYPTED_PDF
ENCRYPTED_PASSWORD = "openpassword"
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


async def log_messages(document_id: uuid.UUID) -> list[str]:
    return [log.message for log in await ProcessingLog.filter(document_id=document_id)]


def corpus_pdfs() -> list[Path]:
    return sorted(CORPUS.rglob("*.pdf"))


async def test_every_corpus_pdf_completes_or_fails_with_its_code(
    make_document: Any, resources: Resources
) -> None:
    paths = corpus_pdfs()
    assert len(paths) >= 20
    jobs: list[tuple[str, Document, str | None]] = []
    for path in paths:
        password = ENCRYPTED_PASSWORD if path == ENCRYPTED else None
        jobs.append((path.name, await make_document(path.read_bytes()), password))
    # The encrypted one a second time, without its password.
    jobs.append(("encrypted-without-password", await make_document(ENCRYPTED.read_bytes()), None))
    for _, doc, password in jobs:
        await resources.queue.enqueue(doc.id, doc.run, password=password)

    ends = await asyncio.gather(*(wait_terminal(doc.id) for _, doc, _ in jobs))
    outcomes = {name: (row.status, row.error_code) for (name, _, _), row in zip(jobs, ends, strict=True)}
    expected: dict[str, tuple[JobStatus, str | None]] = {
        name: (JobStatus.COMPLETED, None) for name, _, _ in jobs
    }
    expected["encrypted-without-password"] = (JobStatus.FAILED, "ENCRYPTED_PDF")
    assert outcomes == expected

    for (_name, _doc, _password), row in zip(jobs, ends, strict=True):
        if row.status != JobStatus.COMPLETED:
            continue
        stored = json.loads(await resources.storage.get_bytes(document_key(str(row.id), "content.json")))
        assert row.page_count and stored["pageCount"] == row.page_count
        # The stored text is clean (tests/pdf/test_corpus_output.py checks recall and duplicates).
        texts = [b["text"] for b in stored["blocks"]] + [stored["title"] or ""]
        assert not any(CONTROL.search(t) for t in texts), _name
        assert row.engine in ("TEXT", "OCR") and row.pdf_type in ("STRUCTURED", "SCANNED", "MIXED")

    # The password is used, never kept: not in the options, not in any log line.
    encrypted_ids = [
        doc.id for name, doc, _ in jobs if name in (ENCRYPTED.name, "encrypted-without-password")
    ]
    for doc_id in encrypted_ids:
        row = await Document.get(id=doc_id)
        assert ENCRYPTED_PASSWORD not in json.dumps(row.options)
        messages = " ".join(await log_messages(doc_id))
        assert ENCRYPTED_PASSWORD not in messages


async def test_a_garbage_file_fails_invalid_pdf_without_retrying(
    make_document: Any, resources: Resources
) -> None:
    doc = await make_document(b"%PDF-1.7\n" + b"\x00garbage" * 200)
    await resources.queue.enqueue(doc.id, doc.run)
    row = await wait_terminal(doc.id)
    assert (row.status, row.error_code) == (JobStatus.FAILED, "INVALID_PDF")
    assert row.error_message and "Traceback" not in row.error_message
    assert row.credits_used == 0 and row.formats == ["ORIGINAL"]
    messages = await log_messages(doc.id)
    assert not any("unavailable" in m for m in messages)  # bad input is never retried
    assert any(m.startswith("Failed: INVALID_PDF") for m in messages)


async def test_pages_past_the_end_fail_bad_user_input(make_document: Any, resources: Resources) -> None:
    doc = await make_document(ENCRYPTED.read_bytes(), {"pages": "1-99"})
    await resources.queue.enqueue(doc.id, doc.run, password=ENCRYPTED_PASSWORD)
    row = await wait_terminal(doc.id)
    assert (row.status, row.error_code) == (JobStatus.FAILED, "BAD_USER_INPUT")
