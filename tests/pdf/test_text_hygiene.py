"""Clean text: ligatures expanded, no control characters, footnote digits apart
from numbers, letter-spaced words rejoined, sentences joined across a column or
page break."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.pdf.analyze import meaningful_title
from jobs.pdf.content import ExtractedContent
from jobs.pdf.markdown import to_markdown, to_text
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from jobs.pdf.text_hygiene import clean_text, is_letter_spaced
from tests.pdf import reportlab_cases


@pytest.fixture(scope="module")
def hygiene(pdf_dir: Path) -> ExtractedContent:
    path = pdf_dir / "hygiene.pdf"
    reportlab_cases.hygiene_pdf(path)
    return run_pipeline(path, ExtractOptions(engine="TEXT"))


@pytest.fixture(scope="module")
def continued(pdf_dir: Path) -> ExtractedContent:
    path = pdf_dir / "continued-text.pdf"
    reportlab_cases.continued_text_pdf(path)
    return run_pipeline(path, ExtractOptions(engine="TEXT"))


def test_ligatures_and_control_characters_are_gone(hygiene: ExtractedContent) -> None:
    texts = [b.text for b in hygiene.blocks]
    assert texts[:2] == ["The office files are flat.", "Bad char here"]
    assert hygiene.title == "Harbor"  # the NUL ends it; nothing of it is kept
    assert clean_text("o\ufb03ce \ufb01le\x00\x07 \x85x").split() == ["office", "file", "x"]
    assert meaningful_title("Harbor\x00 Report\x1f") == "Harbor Report"


def test_footnote_digits_stay_apart_from_the_numbers(hygiene: ExtractedContent) -> None:
    tables = [b.table for b in hygiene.blocks if b.table]
    assert len(tables) == 1 and tables[0] is not None
    assert tables[0].headers == ["Item", "Amount", "Status"]
    assert tables[0].rows == [["Rent", "273.87¹", "ok"], ["Food", "9.75²", "ok"], ["Fuel", "83.19³", "ok"]]


def test_letter_spaced_text_is_rejoined(continued: ExtractedContent) -> None:
    assert continued.blocks[0].text == reportlab_cases.SPACED
    assert is_letter_spaced("H e a d i n g") and not is_letter_spaced("a + b = c")


def test_sentences_continue_across_a_column_and_a_page_break(continued: ExtractedContent) -> None:
    # The blocks keep their boxes (one column, one page each); the reading formats join them.
    assert [b.page for b in continued.blocks if b.type == "PARAGRAPH"] == [1, 1, 1, 2, 2]
    for text in (to_text(continued), to_markdown(continued)):
        paragraphs = text.strip().split("\n\n")
        assert any(" ".join(reportlab_cases.BROKEN_COLUMN) in p for p in paragraphs)
        assert " ".join(reportlab_cases.BROKEN_PAGE) in paragraphs
        assert paragraphs[-1] == "A new paragraph starts here."
