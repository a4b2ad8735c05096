"""Cheap uploads that would cost a lot: refused on page count first, image bombs refused, a CPU budget per page."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pymupdf
import pytest

import graphql_api.documents.upload as upload_module
from jobs.pdf.extract import extract_pages
from jobs.pdf.image_budget import (
    DEFAULT_MAX_IMAGE_PIXELS,
    PageTooCostly,
    check_image_pixels,
    page_cpu_budget,
    page_image_pixels,
)
from jobs.pdf.options import ExtractOptions
from jobs.pdf.profile import DocumentProfile
from models import Document, User
from tests.fixtures.graphql_client import GraphQLClient
from tests.security.costly_pdfs import image_bomb, many_pages

UPLOAD = "mutation($file: Upload!, $o: ProcessingOptionsInput) { uploadDocument(file: $file, options: $o) { id status } }"
BOMB_SIDE = 16_384  # 268 megapixels, over the default 200


@pytest.fixture
def inspected_pages(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Pages the upload looked at one by one (inspect_document's per-page work)."""
    seen: list[int] = []
    original = upload_module.inspect_document

    def counting(doc: pymupdf.Document, pages: Any = None) -> Any:
        seen.extend(pages if pages is not None else range(1, doc.page_count + 1))
        return original(doc, pages)

    monkeypatch.setattr(upload_module, "inspect_document", counting)
    return seen


async def test_a_60000_page_file_is_refused_on_its_page_count_before_any_page_is_inspected(
    client: GraphQLClient, user: User, user_token: str, inspected_pages: list[int]
) -> None:
    pdf = many_pages(60_000)
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        assert doc.page_count == 60_000  # the file is what it says
    started = time.monotonic()
    refused = await client.upload(UPLOAD, {}, "file", pdf, token=user_token)
    elapsed = time.monotonic() - started
    assert refused.codes == ["TOO_MANY_PAGES"], refused.body
    assert refused.errors[0]["extensions"]["pages"] == 60_000
    assert inspected_pages == []
    # Inspecting every page took ~5 s here (8.7 s in the report); the refusal needs only the open.
    assert elapsed < 2.0, f"refused after {elapsed:.2f}s"
    assert await Document.filter(owner_id=user.id).count() == 0


async def test_only_the_selected_pages_of_a_long_file_are_inspected(
    client: GraphQLClient, user_token: str, inspected_pages: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stop right after the admission (nothing is queued): what matters is how much was looked at.
    async def stop(*args: Any, **kwargs: Any) -> Any:
        raise upload_module.InsufficientCredits("stopped by the test after admission")

    monkeypatch.setattr(upload_module, "ensure_credits", stop)
    import graphql_api.documents.intake as intake

    monkeypatch.setattr(intake, "ensure_credits", stop)
    refused = await client.upload(
        UPLOAD, {"o": {"pages": "2-4"}}, "file", many_pages(5_000), token=user_token
    )
    assert refused.codes == ["INSUFFICIENT_CREDITS"], refused.body
    assert inspected_pages == [2, 3, 4]


async def test_an_image_bomb_is_refused_with_a_clear_code_before_it_is_decoded(
    client: GraphQLClient, user: User, user_token: str
) -> None:
    pdf = image_bomb(BOMB_SIDE)
    assert len(pdf) < 3 * 1024 * 1024  # cheap to send
    refused = await client.upload(UPLOAD, {}, "file", pdf, token=user_token)
    assert refused.codes == ["PAYLOAD_TOO_LARGE"], refused.body
    error = refused.errors[0]
    assert error["extensions"]["page"] == 1
    assert error["extensions"]["pixels"] == BOMB_SIDE * BOMB_SIDE
    assert error["extensions"]["maxPixels"] == DEFAULT_MAX_IMAGE_PIXELS
    assert "megapixels" in error["message"]
    assert await Document.filter(owner_id=user.id).count() == 0


def test_image_pixels_are_read_from_the_dictionaries_not_decoded() -> None:
    with pymupdf.open(stream=image_bomb(BOMB_SIDE), filetype="pdf") as doc:
        started = time.process_time()
        assert page_image_pixels(doc.load_page(0)) == BOMB_SIDE * BOMB_SIDE
        with pytest.raises(PageTooCostly) as refused:
            check_image_pixels(doc, [1], DEFAULT_MAX_IMAGE_PIXELS)
        # Decoding 268 MP takes seconds of CPU; reading two numbers does not.
        assert time.process_time() - started < 0.5
    assert refused.value.code == "PAYLOAD_TOO_LARGE"
    with pymupdf.open(stream=image_bomb(1024), filetype="pdf") as small:
        check_image_pixels(small, [1], DEFAULT_MAX_IMAGE_PIXELS)  # a normal image passes


def test_a_page_over_its_cpu_budget_is_stopped_and_the_timer_is_put_back() -> None:
    before = signal.getsignal(signal.SIGPROF)
    with page_cpu_budget(5.0, 1):
        sum(range(1000))  # well within budget
    with pytest.raises(PageTooCostly) as stopped, page_cpu_budget(0.2, 7):
        deadline = time.process_time() + 30
        while time.process_time() < deadline:  # CPU time: the budget is not wall time
            pass
    assert stopped.value.code == "PAYLOAD_TOO_LARGE" and stopped.value.extensions["page"] == 7
    assert signal.getsignal(signal.SIGPROF) == before
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_the_pipeline_gives_each_page_a_cpu_budget(tmp_path: Path) -> None:
    # A page of ~15,000 words: a few hundred ms of layout work, far over a budget of 10 ms.
    doc = pymupdf.open()
    page = doc.new_page(width=2000, height=3000)
    for line in range(300):
        page.insert_text((10, 10 + line * 9.5), " ".join(f"word{n}" for n in range(50)), fontsize=6)
    path = tmp_path / "dense.pdf"
    doc.save(path)
    doc.close()
    options = ExtractOptions(engine="TEXT", page_cpu_seconds=0.01)
    with pytest.raises(PageTooCostly) as stopped:
        extract_pages(path, None, [1], options, DocumentProfile(), keep_open=False)
    assert "page 1" in stopped.value.message
    # With the default budget the same page is extracted.
    pages = extract_pages(path, None, [1], ExtractOptions(engine="TEXT"), DocumentProfile(), keep_open=False)
    assert pages[0].word_count > 10_000
