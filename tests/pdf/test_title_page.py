"""Title pages: bylines set larger than the body are paragraphs, real headings keep their levels."""

from __future__ import annotations

from pathlib import Path

from jobs.pdf.layout import Line
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from jobs.pdf.title_page import title_page_lines
from tests.pdf import generate


def test_centred_bylines_are_paragraphs_and_sections_keep_their_levels(pdf_dir: Path) -> None:
    path = pdf_dir / "title-page.pdf"
    generate.title_page_pdf(path)
    content = run_pipeline(path, ExtractOptions(engine="TEXT"))
    assert [b.text for b in content.blocks if b.type == "TITLE"] == [generate.PAPER_TITLE]
    first = [b for b in content.blocks if b.page == 1]
    assert [b.text for b in first[1:4]] == generate.PAPER_BYLINES
    assert {b.type for b in first[1:4]} == {"PARAGRAPH"}
    headings = [(b.text, b.level) for b in content.blocks if b.type == "HEADING"]
    assert headings == generate.PAPER_HEADINGS


def test_a_line_close_under_a_flush_left_title_is_no_heading(pdf_dir: Path) -> None:
    path = pdf_dir / "left-title.pdf"
    generate.left_title_pdf(path)
    content = run_pipeline(path, ExtractOptions(engine="TEXT"))
    kinds = [
        (b.type, b.level, b.text)
        for b in content.blocks
        if b.type != "PARAGRAPH" or b.text == generate.NOTE_SUBTITLE
    ]
    assert kinds == [
        ("TITLE", None, generate.NOTE_TITLE),
        ("PARAGRAPH", None, generate.NOTE_SUBTITLE),
        ("HEADING", 1, generate.NOTE_HEADING),
    ]


def line(text: str, x0: float, y0: float, x1: float, size: float, bold: bool = False) -> Line:
    return Line(text, (x0, y0, x1, y0 + size), size, bold)


TITLE_STYLE = (20.0, False)


def heading_style(style: tuple[float, bool]) -> bool:
    return style[0] >= 12 or style[1]


def test_bylines_end_at_the_body_and_spare_a_heading_over_it() -> None:
    lines = [
        line("A Long Centred Title", 200, 100, 400, 20),
        line("Ada Lovelace", 260, 140, 340, 13),
        line("March 2024", 265, 170, 335, 13),
        line("Abstract", 275, 210, 325, 12, bold=True),  # closer to the text below than to the date
        line("body text " * 8, 72, 228, 523, 11),
        line("More", 282, 300, 318, 13),  # after body text: never a byline
    ]
    assert title_page_lines(lines, TITLE_STYLE, heading_style) == {1, 2}


def test_a_heading_right_under_a_flush_left_title_stays_one() -> None:
    lines = [
        line("Report", 72, 80, 200, 20),
        line("Introduction", 72, 130, 170, 14, bold=True),  # far below the title, close to its text
        line("body text " * 8, 72, 150, 523, 11),
    ]
    assert title_page_lines(lines, TITLE_STYLE, heading_style) == set()


def test_no_title_or_body_text_above_it_no_bylines() -> None:
    lines = [line("Ada Lovelace", 260, 140, 340, 13), line("body " * 20, 72, 160, 523, 11)]
    assert title_page_lines(lines, None, heading_style) == set()
    below_body = [
        line("body " * 20, 72, 80, 523, 11),
        line("A Centred Title", 220, 120, 380, 20),
        line("Ada Lovelace", 260, 150, 340, 13),
        line("body " * 20, 72, 190, 523, 11),
    ]
    assert title_page_lines(below_body, TITLE_STYLE, heading_style) == set()
