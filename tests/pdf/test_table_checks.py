"""What a table finder may not return: a header guessed from the text above the
grid, a grid finer than its text, tables inside tables."""

from __future__ import annotations

from pathlib import Path

from jobs.pdf.content import TableData
from jobs.pdf.layout import Line
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from jobs.pdf.table_checks import MAX_PATHS, clean_tables, grid_too_fine
from jobs.pdf.tables import FoundTable, PathBox
from tests.pdf import generate
from tests.pdf.wordmatch import in_order_ratio, tokens


def test_a_line_just_above_a_ruled_table_is_not_its_header(pdf_dir: Path) -> None:
    path = pdf_dir / "line-above-table.pdf"
    drawn = generate.line_above_table_pdf(path)
    blocks = run_pipeline(path, ExtractOptions(engine="TEXT")).blocks
    tables = [b.table for b in blocks if b.table]
    assert [(t.headers, t.rows) for t in tables] == [(generate.TABLE_HEADERS, generate.TABLE_ROWS)]
    prose = [b.text for b in blocks if b.type == "PARAGRAPH"]
    assert in_order_ratio(tokens(drawn), tokens(prose)) == 1.0
    assert sum(b.text.count(generate.ABOVE_TABLE) for b in blocks) == 1


def test_graph_paper_is_no_table_and_its_text_comes_once(pdf_dir: Path) -> None:
    path = pdf_dir / "graph-paper.pdf"
    drawn = generate.graph_paper_pdf(path)
    blocks = run_pipeline(path, ExtractOptions(engine="TEXT")).blocks
    assert [b.type for b in blocks] == ["PARAGRAPH"]
    assert tokens(b.text for b in blocks) == tokens(drawn)


def _line(text: str, box: tuple[float, float, float, float]) -> Line:
    return Line(text, box, 10.0, False)


def test_grid_gate_weighs_cells_against_words() -> None:
    rules: list[PathBox] = [("stroke-path", (72, y - 0.3, 472, y + 0.3)) for y in range(100, 301, 20)]
    rules += [("stroke-path", (x - 0.3, 100, x + 0.3, 300)) for x in range(72, 473, 100)]
    area = (70.0, 98.0, 474.0, 302.0)  # 10 rows x 4 columns
    cells = [
        _line("cell text", (80 + c * 100, 105 + r * 20, 150 + c * 100, 115 + r * 20))
        for r in range(10)
        for c in range(4)
    ]
    assert not grid_too_fine(rules, area, cells)
    assert not grid_too_fine(rules, area, cells[:2])  # a small grid, mostly empty: still allowed
    comb: list[PathBox] = [("stroke-path", (72, y - 0.3, 472, y + 0.3)) for y in range(100, 301, 10)]
    comb += [("stroke-path", (x - 0.3, 100, x + 0.3, 300)) for x in range(72, 473, 10)]
    assert grid_too_fine(comb, area, cells)  # 800 cells for 80 words: a form's comb, not a table
    many: list[PathBox] = [("stroke-path", (0, 0, 1, 1))] * (MAX_PATHS + 1)
    assert grid_too_fine(many, area, cells)


def test_nested_and_shredding_tables_are_dropped() -> None:
    lines = [_line(f"word{i} more{i}", (80, 100 + i * 20, 300, 112 + i * 20)) for i in range(6)]
    outer = FoundTable((70, 95, 320, 220), TableData(["a", "b"], [["word0", "more0"], ["word1", "more1"]]))
    inner = FoundTable((75, 98, 310, 140), TableData(["a", "b"], [["word0", "more0"]]))
    shred = FoundTable((70, 95, 320, 220), TableData(list("wordmore"), [list("wo rd0mo re0 w o r d")] * 4))
    assert clean_tables([inner, outer], lines) == [outer]
    assert clean_tables([shred], lines) == []


def test_footnote_digits_stay_apart_in_a_ruled_table(pdf_dir: Path) -> None:
    path = pdf_dir / "ruled-footnotes.pdf"
    expected = generate.ruled_footnotes_pdf(path)
    tables = [b.table for b in run_pipeline(path, ExtractOptions(engine="TEXT")).blocks if b.table]
    assert [[t.headers, *t.rows] for t in tables] == [expected]
