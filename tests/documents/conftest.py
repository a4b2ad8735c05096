"""Fixtures of the document API tests: generated PDFs, a recording queue, "nothing left behind".

Every generated PDF carries a unique token, so no test ever hits the result
cache of another by accident (the cache matches on sha256).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from starlette.applications import Starlette

from docat import credits
from docat.admin_settings import set_setting
from docat.resources import Resources
from docat.storage import document_key
from graphql_api.relay import from_global_id
from jobs.pdf.content import ContentBlock, ContentMetadata, ExtractedContent, TableData
from jobs.pdf.markdown import to_markdown, to_text
from models import Document, DocumentPage, JobStage, JobStatus, ProviderKey, User
from tests.fixtures.corpus import CORPUS, ENCRYPTED_PDF
from tests.fixtures.graphql_client import GraphQLClient, GraphQLResult

DOCUMENT_FIELDS = """
  id filename status stage progress sizeBytes sha256 pageCount pdfType cached creditsUsed
  error { code message }
  options { engine translateTo dualLanguage pages ocrLanguage }
"""
UPLOAD = f"""
mutation Upload($file: Upload!, $options: ProcessingOptionsInput) {{
  uploadDocument(file: $file, options: $options) {{ {DOCUMENT_FIELDS} }}
}}"""


# ---- PDFs -------------------------------------------------------------------------------------


def text_pdf(pages: int = 3, token: str | None = None) -> bytes:
    """Pages with a text layer; `token` makes the bytes (and the sha256) unique."""
    token = token or uuid.uuid4().hex
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page()
        page.insert_text((72, 80), f"Chapter {number}", fontsize=18)
        page.insert_text((72, 120), f"The quick brown fox jumps over the lazy dog {token}.", fontsize=11)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def scanned_pdf(pages: int = 2, token: str | None = None) -> bytes:
    """Image-only pages (no font anywhere): AUTO must OCR them."""
    token = token or uuid.uuid4().hex
    source = pymupdf.open()
    page = source.new_page(width=300, height=120)
    page.insert_text((20, 60), f"scanned {token}", fontsize=14)
    png = page.get_pixmap(dpi=72).tobytes("png")
    source.close()
    doc = pymupdf.open()
    for _ in range(pages):
        doc.new_page().insert_image(pymupdf.Rect(72, 72, 372, 192), stream=png)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def mixed_pdf(token: str | None = None) -> bytes:
    """Page 1 text, page 2 image-only."""
    text = pymupdf.open(stream=text_pdf(1, token), filetype="pdf")
    text.insert_pdf(pymupdf.open(stream=scanned_pdf(1, token), filetype="pdf"))
    data: bytes = text.tobytes()
    text.close()
    return data


@pytest.fixture
def pdf() -> bytes:
    return text_pdf(3)


# ---- a queue that only records ----------------------------------------------------------------


@dataclass
class RecordingQueue:
    """Stands in for resources.queue: records jobs and cancels, runs nothing."""

    enqueued: list[tuple[uuid.UUID, int, str | None]] = field(default_factory=list)
    cancelled: list[uuid.UUID] = field(default_factory=list)
    fail_enqueue: BaseException | None = None

    async def enqueue(self, document_id: uuid.UUID, run: int, *, password: str | None = None) -> None:
        if self.fail_enqueue is not None:
            raise self.fail_enqueue
        self.enqueued.append((document_id, run, password))

    async def cancel(self, document_id: uuid.UUID) -> None:
        self.cancelled.append(document_id)

    async def depth(self) -> int:
        return len(self.enqueued)

    async def close(self) -> None:
        pass

    # The recovery sweep must not think these runs were lost and hand them to a real worker.
    async def pending(self, document_id: uuid.UUID, run: int) -> bool:
        return True

    async def requeue(self, document_id: uuid.UUID, old_run: int, new_run: int) -> None:
        pass


@pytest.fixture
async def queue(resources: Resources) -> AsyncIterator[RecordingQueue]:
    recording = RecordingQueue()
    real = resources.queue
    resources.queue = recording  # type: ignore[assignment,unused-ignore]
    try:
        yield recording
    finally:
        resources.queue = real
        # Runs no job will ever pick up: end them so no later sweep hands them to a real worker.
        ids = [doc_id for doc_id, _run, _password in recording.enqueued]
        await Document.filter(id__in=ids, status__in=[JobStatus.QUEUED, JobStatus.PROCESSING]).update(
            status=JobStatus.CANCELLED, credits_reserved=0
        )


# ---- uploads ----------------------------------------------------------------------------------


async def upload(
    gql: GraphQLClient,
    token: str,
    content: bytes,
    options: dict[str, Any] | None = None,
    filename: str = "report.pdf",
) -> GraphQLResult:
    return await gql.upload(UPLOAD, {"options": options}, "file", content, filename=filename, token=token)


# ---- "nothing left behind" ------------------------------------------------------------------


async def orphan_keys(resources: Resources) -> set[str]:
    """Stored keys of documents that have no row: what a failed upload must never leave."""
    keys = await resources.storage.list_older_than("documents/", datetime.now(UTC) + timedelta(days=1))
    ids = {key.split("/")[1] for key in keys}
    existing = {str(i) for i in await Document.filter(id__in=list(ids)).values_list("id", flat=True)}
    return {key for key in keys if key.split("/")[1] not in existing}


def our_temp_files(resources: Resources) -> list[Path]:
    tmp = resources.settings.data_dir / "tmp"
    if not tmp.is_dir():
        return []
    return [p for p in tmp.iterdir() if p.name.startswith(("upload-", "original-"))]


@dataclass
class LeftBehind:
    resources: Resources
    user: User
    orphans_before: set[str]

    async def assert_nothing(self) -> None:
        assert await Document.filter(owner_id=self.user.id).count() == 0
        assert await orphan_keys(self.resources) == self.orphans_before
        assert our_temp_files(self.resources) == []
        await self.user.refresh_from_db()
        assert self.user.credits_reserved == 0


@pytest.fixture
async def left_behind(resources: Resources, user: User) -> LeftBehind:
    return LeftBehind(resources, user, await orphan_keys(resources))


# ---- settings and providers ---------------------------------------------------------------


@pytest.fixture
async def admin_setting(app: Starlette) -> AsyncIterator[Callable[[str, str], Any]]:
    """Set admin settings for one test; every one is reset to its default afterwards."""
    changed: list[str] = []

    async def change(key: str, value: str) -> None:
        changed.append(key)
        await set_setting(key, value)

    try:
        yield change
    finally:
        for key in changed:
            await set_setting(key, None)


@pytest.fixture
async def no_provider(app: Starlette) -> AsyncIterator[None]:
    """No LLM provider for one test: admin keys other tests left active are paused, then restored."""
    active = list(await ProviderKey.filter(is_active=True).values_list("id", flat=True))
    await ProviderKey.filter(id__in=active).update(is_active=False)
    try:
        yield
    finally:
        await ProviderKey.filter(id__in=active).update(is_active=True)


@pytest.fixture
async def a_provider(app: Starlette) -> AsyncIterator[None]:
    """An active admin key (never used: the recording queue runs no job)."""
    key = await ProviderKey.create(provider="openrouter", label="test", key_encrypted="unused", last4="test")
    try:
        yield
    finally:
        await key.delete()


@pytest.fixture
def encrypted_pdf() -> bytes:
    return ENCRYPTED_PDF.read_bytes()


@pytest.fixture
def corpus() -> Iterator[Path]:
    yield CORPUS


# ---- a finished run without a worker ------------------------------------------------------


def sample_content(token: str, translated: bool = False) -> ExtractedContent:
    tr = "[de] " if translated else None
    blocks = [
        ContentBlock(1, "TITLE", f"Report {token}", (72, 60, 300, 80), translated_text=tr and f"{tr}Report"),
        ContentBlock(
            1, "HEADING", "Introduction", (72, 90, 200, 110), level=1, translated_text=tr and f"{tr}Intro"
        ),
        ContentBlock(
            1, "PARAGRAPH", "The quick brown fox.", (72, 120, 400, 140), translated_text=tr and f"{tr}Fox"
        ),
        ContentBlock(
            2,
            "TABLE",
            "Region Units",
            (72, 60, 400, 200),
            table=TableData(["Region", "Units"], [["North", "12"]]),
        ),
        ContentBlock(2, "FOOTER", "page 2", (72, 800, 120, 820)),
    ]
    return ExtractedContent(
        title=f"Report {token}",
        page_count=2,
        blocks=blocks,
        metadata=ContentMetadata(
            word_count=7, extraction_ms=12, target_language="de" if translated else None
        ),
    )


async def finish_run(
    resources: Resources, doc_id: str | uuid.UUID, *, translated: bool = False, charge: int = 2
) -> ExtractedContent:
    """Store a result as the job would and mark the run COMPLETED (settling its credits)."""
    doc = await Document.get(id=doc_id)
    content = sample_content(doc.sha256[:8], translated)
    storage = resources.storage
    await storage.put_bytes(document_key(str(doc.id), "content.json"), json.dumps(content.to_dict()).encode())
    await storage.put_bytes(document_key(str(doc.id), "content.md"), to_markdown(content).encode())
    await storage.put_bytes(document_key(str(doc.id), "content.txt"), to_text(content).encode())
    formats = ["ORIGINAL", "JSON", "MARKDOWN", "TEXT"]
    if translated:
        await storage.put_bytes(document_key(str(doc.id), "translated.pdf"), text_pdf(1))
        formats.append("TRANSLATED_PDF")
    await DocumentPage.get_or_create(document_id=doc.id, run=doc.run, page=1, defaults={"page_count": 2})
    await Document.filter(id=doc.id).update(
        status=JobStatus.COMPLETED,
        stage=JobStage.DONE,
        progress=1.0,
        formats=formats,
        engine="TEXT",
        finished_at=datetime.now(UTC),
    )
    await credits.settle(resources.settings, doc.id, doc.run, charge, "test run")
    return content


async def uploaded(
    gql: GraphQLClient, token: str, content: bytes | None = None, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    result = await upload(gql, token, content if content is not None else text_pdf(2), options)
    doc: dict[str, Any] = result.ok()["uploadDocument"]
    doc["uuid"] = from_global_id(doc["id"])[1]
    return doc
