"""Page furniture and contents pages, as real documents set them."""

from __future__ import annotations

from pathlib import Path

from jobs.pdf.layout import is_page_number, page_lines
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from tests.pdf import generate


def test_lone_page_numbers_are_footers_without_a_wide_band(pdf_dir: Path) -> None:
    path = pdf_dir / "page-numbered.pdf"
    numbers = generate.page_numbered_pdf(path, pages=2)
    content = run_pipeline(path, ExtractOptions(engine="TEXT"))
    footers = [b.text for b in content.blocks if b.type == "FOOTER"]
    assert footers == numbers
    assert not [b for b in content.blocks if b.type == "PARAGRAPH" and b.text.isdigit()]


def test_page_number_shapes() -> None:
    for text in ("3", "iv", "Page 3", "Page 3 of 10", "3 / 10", "- 3 -", "p. 12"):
        assert is_page_number(text), text
    for text in ("Chapter 3", "Introduction", "1.", "3.2 Methods"):
        assert not is_page_number(text), text


def test_contents_entries_are_list_items_not_headings(pdf_dir: Path) -> None:
    path = pdf_dir / "contents.pdf"
    entries = generate.contents_pdf(path)
    content = run_pipeline(path, ExtractOptions(engine="TEXT"))
    headings = [b.text for b in content.blocks if b.type == "HEADING"]
    assert all(any(c.isalpha() for c in h) for h in headings), headings
    items = [b.text for b in content.blocks if b.type == "LIST_ITEM" and b.page == 1]
    assert items == entries


def test_unmappable_glyphs_never_carry_nul() -> None:
    span = {"text": "a\x00b", "size": 11.0, "flags": 0, "font": "Helvetica"}
    page_dict = {"blocks": [{"type": 0, "lines": [{"bbox": (0, 0, 20, 11), "spans": [span]}]}]}
    assert [ln.text for ln in page_lines(page_dict)] == ["a\ufffdb"]
