"""Tables ruled by horizontal lines only (booktabs, Word's horizontal borders), and
horizontal rules that are no table."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.pdf.content import ExtractedContent
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from tests.pdf import generate
from tests.pdf.wordmatch import in_order_ratio, tokens


@pytest.fixture(scope="module")
def tables_content(pdf_dir: Path) -> ExtractedContent:
    path = pdf_dir / "rule-tables.pdf"
    generate.rule_tables_pdf(path)
    return run_pipeline(path, ExtractOptions(engine="TEXT"))


@pytest.fixture(scope="module")
def no_tables(pdf_dir: Path) -> ExtractedContent:
    path = pdf_dir / "rules-without-tables.pdf"
    generate.rules_without_tables_pdf(path)
    return run_pipeline(path, ExtractOptions(engine="TEXT"))


def test_booktabs_and_border_tables_come_back_cell_for_cell(tables_content: ExtractedContent) -> None:
    tables = [b.table for b in tables_content.blocks if b.type == "TABLE"]
    assert [(t.headers, t.rows) for t in tables if t] == [
        (generate.BOOKTABS_HEADERS, generate.BOOKTABS_ROWS),
        (generate.BORDERS_HEADERS, generate.BORDERS_ROWS),
    ]


def test_rule_table_text_is_not_repeated_and_its_caption_stays(tables_content: ExtractedContent) -> None:
    kinds = [b.type for b in tables_content.blocks]
    assert kinds.index("CAPTION") + 1 == kinds.index("TABLE")  # the caption, then its table
    others = " ".join(b.text for b in tables_content.blocks if b.type != "TABLE")
    for cell in ("Output (thousands)", "Summit Mill", "78,866", "Ships in two weeks", "Quantity"):
        assert cell not in others
    # Bold header cells are column names, not headings.
    assert [b.text for b in tables_content.blocks if b.type in ("TITLE", "HEADING")] == ["Plant Survey"]


def test_rules_that_frame_no_table_give_none(no_tables: ExtractedContent) -> None:
    # A rule under a heading and a footnote rule; a header rule, a title rule and a
    # footer rule of one width around two columns of prose; a ruled algorithm; number lines.
    assert [b for b in no_tables.blocks if b.type == "TABLE"] == []
    steps = [b.text for b in no_tables.blocks if b.page == 3]
    assert any("for each widget w do" in t for t in steps)


def test_prose_between_rules_reads_as_before(no_tables: ExtractedContent) -> None:
    page1 = tokens(b.text for b in no_tables.blocks if b.page == 1 and b.type == "PARAGRAPH")
    expected = tokens([*generate.words(500, 120), *generate.words(501, 100)])
    assert in_order_ratio(expected, page1) >= 0.99
