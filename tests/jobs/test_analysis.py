"""The analysis pool call (jobs/analyze_in_pool.py): the same pages, profile and content as separate calls.

These run analyze_pdf in this process (it is pure); the job tests run it in the pool.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from docat.resources import Resources
from jobs.analyze_in_pool import analyze_pdf
from jobs.pdf.analyze import inspect_pdf
from jobs.pdf.extract import extract_pages
from jobs.pdf.options import ExtractOptions
from jobs.pdf.profile import profile_document
from models import DocumentPage, JobStatus
from tests.jobs import pdfs
from tests.jobs.conftest import wait_terminal

TEXT = ExtractOptions(engine="AUTO")


def write(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(data)
    return str(path)


def test_a_one_page_document_comes_back_extracted(tmp_path: Path) -> None:
    path = write(tmp_path, pdfs.text(1))
    analysis = analyze_pdf(path, None, None, TEXT, workers=2)

    assert analysis.inspection == inspect_pdf(path)
    assert analysis.pages == [1]
    profile = profile_document(path, None, [1], keep_open=False)
    assert analysis.profile == profile
    extracted = analysis.extracted_for([1])
    assert extracted is not None
    assert extracted == extract_pages(path, None, [1], TEXT, profile, keep_open=False)


def test_several_chunks_are_left_to_the_job(tmp_path: Path) -> None:
    """Two pages are two chunks (one per pool process): only inspected and profiled."""
    path = write(tmp_path, pdfs.text(2))
    analysis = analyze_pdf(path, None, None, TEXT, workers=2)
    assert analysis.pages == [1, 2] and analysis.profile is not None
    assert analysis.extracted is None


@pytest.mark.parametrize(
    ("pages_spec", "options", "pages"),
    [
        ("2", ExtractOptions(engine="AUTO"), [2]),  # one selected page of three: extracted
        (None, ExtractOptions(engine="OCR"), [1]),  # OCR: the job checks the languages first
        (None, ExtractOptions(engine="LLM_OCR"), [1]),  # the vision model's pages
        (None, None, [1]),  # nothing asked
    ],
)
def test_what_comes_back_extracted(
    tmp_path: Path, pages_spec: str | None, options: ExtractOptions | None, pages: list[int]
) -> None:
    path = write(tmp_path, pdfs.text(3 if pages_spec else 1))
    analysis = analyze_pdf(path, None, pages_spec, options, workers=2)
    assert analysis.pages == pages
    extracted = analysis.extracted_for(pages)
    if options is not None and options.engine == "AUTO":
        assert extracted is not None and [p.page for p in extracted] == pages
    else:
        assert extracted is None


def test_a_bad_page_range_leaves_the_error_to_the_job(tmp_path: Path) -> None:
    path = write(tmp_path, pdfs.text(2))
    analysis = analyze_pdf(path, None, "5-7", TEXT, workers=2)
    assert analysis.inspection.page_count == 2
    assert (analysis.pages, analysis.profile, analysis.extracted) == (None, None, None)
    assert analysis.profile_for([1, 2]) is None and analysis.extracted_for([1, 2]) is None


async def test_a_one_page_job_saves_and_completes(resources: Resources, make_document: Any) -> None:
    doc = await make_document(pdfs.text(1))
    await resources.queue.enqueue(doc.id, doc.run)
    row = await wait_terminal(doc.id)
    assert row.status == JobStatus.COMPLETED, (row.error_code, row.error_message)
    assert row.page_count == 1 and row.formats == ["ORIGINAL", "JSON", "MARKDOWN", "TEXT"]
    assert await DocumentPage.filter(document_id=doc.id, run=row.run).count() == 1


async def test_a_page_range_past_the_end_fails_the_job(resources: Resources, make_document: Any) -> None:
    doc = await make_document(pdfs.text(2), {"pages": "5"})
    await resources.queue.enqueue(doc.id, doc.run)
    row = await wait_terminal(doc.id)
    assert (row.status, row.error_code) == (JobStatus.FAILED, "BAD_USER_INPUT")
