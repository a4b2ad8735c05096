"""Tables without vertical rules (tests/pdf/table_corpus.py): whitespace-aligned
columns, a header rule or none, wrapped cells, group labels over several columns,
a table continued on the next page; and pages that hold no table at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.pdf.content import ExtractedContent
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from tests.pdf import table_corpus
from tests.pdf.wordmatch import in_order_ratio, tokens


@pytest.fixture(scope="module")
def corpus(pdf_dir: Path) -> tuple[ExtractedContent, list[table_corpus.ExpectedTable]]:
    path = pdf_dir / "stream-tables.pdf"
    expected = table_corpus.table_corpus_pdf(path)
    return run_pipeline(path, ExtractOptions(engine="TEXT")), expected


@pytest.fixture(scope="module")
def no_tables(pdf_dir: Path) -> tuple[ExtractedContent, list[str]]:
    path = pdf_dir / "no-stream-tables.pdf"
    drawn = table_corpus.no_table_pdf(path)
    return run_pipeline(path, ExtractOptions(engine="TEXT")), drawn


@pytest.mark.parametrize("kind", [s.name for s in table_corpus.specs()])
def test_each_unruled_table_comes_back_cell_for_cell(
    corpus: tuple[ExtractedContent, list[table_corpus.ExpectedTable]], kind: str
) -> None:
    content, expected = corpus
    for want in (e for e in expected if e.kind == kind):
        got = [b.table for b in content.blocks if b.type == "TABLE" and b.page == want.page]
        assert len(got) == 1 and got[0] is not None
        assert (got[0].headers, got[0].rows) == (want.headers, want.rows)


def test_table_text_is_not_repeated_outside_the_table(
    corpus: tuple[ExtractedContent, list[table_corpus.ExpectedTable]],
) -> None:
    content, _ = corpus
    others = " ".join(b.text for b in content.blocks if b.type != "TABLE")
    for cell in ("79,719.96", "Main product", "Marine compass", "2024", "S011", "Highland Mill"):
        assert cell not in others
    # The prose around each table stays prose.
    assert sum(1 for b in content.blocks if b.type == "PARAGRAPH") >= 12


def test_prose_lists_contents_and_two_columns_give_no_table(
    no_tables: tuple[ExtractedContent, list[str]],
) -> None:
    content, drawn = no_tables
    assert [b for b in content.blocks if b.type == "TABLE"] == []
    items = [b.text for b in content.blocks if b.type == "LIST_ITEM" and b.page == 1]
    assert items == table_corpus.LIST_ITEMS
    assert in_order_ratio(tokens(drawn), tokens(b.text for b in content.blocks)) >= 0.98
