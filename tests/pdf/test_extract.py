"""Structure recovered from generated PDFs with known content (text layer only)."""

from __future__ import annotations

import pytest

from jobs.pdf.content import ExtractedContent
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from tests.pdf import generate
from tests.pdf.conftest import Generated
from tests.pdf.wordmatch import in_order_ratio, tokens


@pytest.fixture(scope="module")
def content(report: Generated) -> ExtractedContent:
    return run_pipeline(report.path, ExtractOptions(engine="TEXT"))


def body_words(content: ExtractedContent, page: int) -> list[str]:
    skip = ("HEADER", "FOOTER", "TABLE", "IMAGE")
    return tokens(b.text for b in content.blocks if b.page == page and b.type not in skip)


def test_words_come_back_in_order(report: Generated, content: ExtractedContent) -> None:
    drawn: dict[int, list[str]] = report.expected
    for page, words in drawn.items():
        expected = tokens(words)
        got = body_words(content, page)
        assert in_order_ratio(expected, got) >= 0.99, (page, expected[:20], got[:20])
        assert len(got) <= len(expected) * 1.01  # nothing duplicated


def test_title(content: ExtractedContent) -> None:
    titles = [b for b in content.blocks if b.type == "TITLE"]
    assert [t.text for t in titles] == [generate.TITLE]
    assert titles[0].page == 1
    assert content.title == generate.TITLE  # metadata title "report.docx" is junk


def test_headings_and_levels(content: ExtractedContent) -> None:
    headings = [(b.text, b.level) for b in content.blocks if b.type == "HEADING"]
    assert headings == generate.HEADINGS


def test_ruled_table_cells_exact(content: ExtractedContent) -> None:
    tables = [b for b in content.blocks if b.type == "TABLE"]
    assert len(tables) == 1
    table = tables[0].table
    assert table is not None
    assert tables[0].page == 2
    assert table.headers == generate.TABLE_HEADERS
    assert table.rows == generate.TABLE_ROWS


def test_table_text_not_repeated_as_paragraphs(content: ExtractedContent) -> None:
    others = " ".join(b.text for b in content.blocks if b.type != "TABLE")
    for cell in ("East Coast", "$6,020", "Revenue", "7.5%"):
        assert cell not in others


def test_list_items(content: ExtractedContent) -> None:
    items = [b.text for b in content.blocks if b.type == "LIST_ITEM"]
    # Bullet glyphs are dropped; numbering is content and stays.
    assert items == ["First item alpha", "Second item beta", "1. Third item gamma", "b) Fourth item delta"]


def test_hyphenation_undone(content: ExtractedContent) -> None:
    texts = [b.text for b in content.blocks]
    assert any("an example of careful widget work." in t for t in texts)
    assert not any("exam-" in t for t in texts)


def test_headers_and_footers(content: ExtractedContent) -> None:
    headers = [(b.page, b.text) for b in content.blocks if b.type == "HEADER"]
    footers = [(b.page, b.text) for b in content.blocks if b.type == "FOOTER"]
    assert headers == [(p, generate.HEADER) for p in (1, 2, 3)]
    assert footers == [(p, f"Page {p} of 3") for p in (1, 2, 3)]


def test_captions_and_images(content: ExtractedContent) -> None:
    captions = [(b.page, b.text) for b in content.blocks if b.type == "CAPTION"]
    assert captions == [(2, generate.TABLE_CAPTION), (3, generate.FIGURE_CAPTION)]
    images = [b for b in content.blocks if b.type == "IMAGE"]
    assert len(images) == 1 and images[0].page == 3
    x0, y0, x1, y1 = images[0].bbox
    assert (round(x1 - x0), round(y1 - y0)) == (150, 150)
    # The caption follows its figure.
    types = [b.type for b in content.blocks if b.page == 3]
    assert types.index("CAPTION") == types.index("IMAGE") + 1


def test_blocks_ordered_by_page(content: ExtractedContent) -> None:
    pages = [b.page for b in content.blocks]
    assert pages == sorted(pages)
    assert content.page_count == 3
    assert content.metadata.ocr_pages == []
    assert content.metadata.confidence == 1.0


def test_word_count(report: Generated, content: ExtractedContent) -> None:
    drawn: dict[int, list[str]] = report.expected
    cells = [*generate.TABLE_HEADERS, *(c for row in generate.TABLE_ROWS for c in row)]
    table_words = sum(len(c.split()) for c in cells)
    expected = sum(len(tokens(w)) for w in drawn.values()) + table_words
    assert abs(content.metadata.word_count - expected) <= 4  # list bullets are dropped


def test_two_columns_read_left_then_right(two_column: Generated) -> None:
    heading, left, right = two_column.expected
    content = run_pipeline(two_column.path, ExtractOptions(engine="TEXT"))
    got = tokens(b.text for b in content.blocks)
    expected = [*heading, *left, *right]
    assert in_order_ratio(expected, got) >= 0.99
    assert content.blocks[0].type == "TITLE"
    left_end = max(b.bbox[2] for b in content.blocks[1:2])
    assert left_end < 300  # the second block is the left column alone


def test_page_selection(report: Generated) -> None:
    content = run_pipeline(report.path, ExtractOptions(engine="TEXT", pages=(2,)))
    assert {b.page for b in content.blocks} == {2}
    assert content.page_count == 3
    # Heading levels still come from the whole document.
    assert [(b.text, b.level) for b in content.blocks if b.type == "HEADING"] == [("Results", 1)]
