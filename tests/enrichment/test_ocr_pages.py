"""llm_ocr_pages: rendered pages to the vision model, Markdown back as blocks."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from docat.admin_settings import set_setting
from docat.errors import ProviderError
from jobs.llm_ocr_translate import llm_ocr_pages, page_rect_of
from jobs.pdf.content import PageContent
from jobs.pdf.render import DEFAULT_DPI, render_page_png
from tests.enrichment.conftest import RuntimeFactory
from tests.fixtures.fake_llm import FakeLLM, FakeReply

MARKDOWN = """# Invoice 2024-17

Dear customer, thank you for your order.

| Item | Price |
|------|-------|
| Paper | 4.50 |
| Ink | 12.00 |
"""


def image_only_pdf(path: Path, pages: int = 3) -> Path:
    """Pages that hold nothing but a picture (a scan without a text layer)."""
    doc = pymupdf.open()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 20), False)
    pix.clear_with(200)
    for _ in range(pages):
        page = doc.new_page(width=595, height=842)
        page.insert_image(pymupdf.Rect(50, 50, 545, 300), pixmap=pix)
    doc.save(path)
    doc.close()
    return path


async def test_pages_come_back_as_blocks_with_a_table(
    llm_resources: RuntimeFactory, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    fake_llm.ocr_mode(MARKDOWN)
    await set_setting("ocr_model_openrouter", "test/vision-1")
    resources = await llm_resources(openrouter_api_key="env-or-key-1234")
    pdf = image_only_pdf(tmp_path / "scan.pdf")
    seen: list[int] = []

    async def on_page(page: PageContent) -> None:
        seen.append(page.page)

    pages = await llm_ocr_pages(resources, pdf, None, [3, 1], on_page)
    assert [p.page for p in pages] == [1, 3] and sorted(seen) == [1, 3]
    assert len(fake_llm.requests) == 2
    assert all(r.image_count == 1 and r.body["model"] == "test/vision-1" for r in fake_llm.requests)
    for page in pages:
        assert page.ocr and [b.type for b in page.blocks] == ["HEADING", "PARAGRAPH", "TABLE"]
        table = page.blocks[2].table
        assert table is not None and table.headers == ["Item", "Price"]
        assert table.rows == [["Paper", "4.50"], ["Ink", "12.00"]]
        assert all(b.page == page.page and 0 <= b.bbox[0] < b.bbox[2] <= 595 for b in page.blocks)
        assert all(0 <= b.bbox[1] < b.bbox[3] <= 842 for b in page.blocks)


async def test_a_failing_provider_raises_after_keeping_the_finished_pages(
    llm_resources: RuntimeFactory, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    fake_llm.ocr_mode(MARKDOWN)
    # Every answer fails: the first page's three attempts spend the retries.
    fake_llm.enqueue(*[FakeReply(status=500)] * 20)
    resources = await llm_resources(openrouter_api_key="env-or-key-1234")
    seen: list[int] = []

    async def on_page(page: PageContent) -> None:
        seen.append(page.page)

    with pytest.raises(ProviderError):
        await llm_ocr_pages(resources, image_only_pdf(tmp_path / "scan.pdf", 2), None, [1, 2], on_page)
    assert seen == []


async def test_no_pages_no_calls(llm_resources: RuntimeFactory, fake_llm: FakeLLM, tmp_path: Path) -> None:
    resources = await llm_resources(openrouter_api_key="env-or-key-1234")

    async def on_page(page: PageContent) -> None:
        raise AssertionError("no page to report")

    assert await llm_ocr_pages(resources, tmp_path / "missing.pdf", None, [], on_page) == []
    assert fake_llm.request_count == 0


def test_the_page_box_comes_back_from_the_rendering_size(tmp_path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page(width=595, height=842)
    doc.new_page(width=612, height=792).set_rotation(90)
    doc.save(tmp_path / "two.pdf")
    for number, expected in ((1, (595, 842)), (2, (792, 612))):
        x0, y0, x1, y1 = page_rect_of(render_page_png(tmp_path / "two.pdf", None, number), DEFAULT_DPI)
        assert (x0, y0) == (0, 0)
        assert abs(x1 - expected[0]) < 0.5 and abs(y1 - expected[1]) < 0.5
