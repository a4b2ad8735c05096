"""Tables without vertical rules: columns of text aligned by whitespace alone.

Most financial, scientific and government tables draw no grid; at most a
rule under the header. `find_tables` needs rules and the booktabs finder needs
two of them, so these tables are read from the page's lines, which the one
`get_text("dict")` pass already gave (MuPDF starts a new line where a string
jumps to another x, so a cell is a line of its own, or a few words of one).

1. The lines are grouped into text rows; a row whose pieces stand apart by
   a wide gap is *broken*. Runs of consecutive rows, most of them broken,
   close together and under one another, are candidates.
2. In a candidate, the column boundaries are the whitespace channels that
   run down every body row (like `booktabs._column_bounds`).
3. A candidate is a table only when it looks like one: at least two columns
   and three body rows, cells mostly filled, a column of short cells, every
   column aligned left, right or on its centre, and it is not a list (a
   column of bullets), a table of contents (a column of rising page numbers)
   or prose set in columns (every column running text).
4. Header rows: above a rule near the top, else leading bold rows, else the
   first row. A header row with fewer pieces than columns over another
   header row holds group labels; each label is repeated into the columns it
   is centred over ("2023" over Q1 and Q2 gives "2023 Q1", "2023 Q2").
5. A body row that starts with an empty first cell, or sits much closer to
   the row above than rows usually do, continues that row's cells (a cell
   that wraps over several lines).

Cost: plain Python over the page's few dozen lines; no extra text pass.

Why not PyMuPDF's layout model (pymupdf-layout, an ONNX model that pymupdf4llm
uses to find tables): it ships only for PyMuPDF 2, and the project pins 1.28
(docs/pymupdf-version.md); it adds onnxruntime and a model load to every pool
process; and running it even on "suspect" pages only would cost more per page
than this whole pipeline (pymupdf4llm with the model runs at a fraction of our
pages/s, see bench/table_quality.py). On the generated table corpus this
finder matches or beats it (same benchmark), so the model does not earn its
place.
"""

from __future__ import annotations

import bisect
import itertools
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from jobs.pdf.column_gaps import gap_middles
from jobs.pdf.content import Bbox, TableData
from jobs.pdf.layout import Line
from jobs.pdf.tables import FoundTable, Rect4

_MIN_BODY_ROWS = 3
_MIN_COLUMNS = 2
_MAX_HEADER_ROWS = 3
_MIN_FILL = 0.55  # share of body cells with text
_SHORT_CELL_WORDS = 3
_PROSE_CELL_WORDS = 6  # a column whose cells hold more words (median) is running text
_ALIGNED = 0.6
_ALIGN_TOLERANCE = 2.0
_SAME_SIZE = 0.85  # share of a table's pieces at its median type size
# Rows farther apart than this many line heights end a candidate.
_MAX_ROW_GAP = 2.2
_MARKER = re.compile(
    r"^(?:[\u2022\u25cf\u25aa\u25e6\u00b7\u2023\u2219\u25cb\u25a0\u25a1\u27a2\u25ba\u2713\-\*\u2013\u2014]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)]|\(?[ivxIVX]{1,5}[.)])$"
)
_PAGE_NUMBER = re.compile(r"^\d{1,4}$")
# Numbers, with currency, sign, percent and footnote marks (superscripts, asterisks).
_NUMERIC = re.compile(r"^[\s$€£¥%()+\-\u2212.,\d\u00b9\u00b2\u00b3\u2070-\u207f*\u2020\u2021]+$")


@dataclass(slots=True)
class _Piece:
    bbox: Rect4
    text: str
    bold: bool
    size: float


@dataclass(slots=True)
class _Row:
    pieces: list[_Piece]

    @property
    def top(self) -> float:
        return min(p.bbox[1] for p in self.pieces)

    @property
    def bottom(self) -> float:
        return max(p.bbox[3] for p in self.pieces)

    @property
    def x0(self) -> float:
        return min(p.bbox[0] for p in self.pieces)

    @property
    def x1(self) -> float:
        return max(p.bbox[2] for p in self.pieces)

    @property
    def height(self) -> float:
        return statistics.median(p.bbox[3] - p.bbox[1] for p in self.pieces)

    @property
    def bold(self) -> bool:
        return all(p.bold for p in self.pieces)


def _rows(lines: Sequence[Line]) -> list[_Row]:
    """Lines on one text row (vertical centre inside the row so far), top to bottom."""
    rows: list[_Row] = []
    bottom = -1e9
    for ln in sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2):
        piece = _Piece(ln.bbox, ln.text, ln.bold, ln.size)
        if rows and (ln.bbox[1] + ln.bbox[3]) / 2 <= bottom:
            rows[-1].pieces.append(piece)
            bottom = max(bottom, ln.bbox[3])
        else:
            rows.append(_Row([piece]))
            bottom = ln.bbox[3]
    for row in rows:
        row.pieces.sort(key=lambda p: p.bbox[0])
    return rows


def _phrases(row: _Row, min_gap: float) -> list[_Piece]:
    """The row's pieces, neighbours closer than `min_gap` joined (one cell, set in two runs)."""
    out: list[_Piece] = []
    for p in row.pieces:
        if out and p.bbox[0] - out[-1].bbox[2] < min_gap:
            last = out[-1]
            box = (
                last.bbox[0],
                min(last.bbox[1], p.bbox[1]),
                max(last.bbox[2], p.bbox[2]),
                max(last.bbox[3], p.bbox[3]),
            )
            out[-1] = _Piece(box, f"{last.text} {p.text}", last.bold and p.bold, max(last.size, p.size))
        else:
            out.append(p)
    return out


def _candidates(rows: list[_Row], min_gap: float) -> list[list[_Row]]:
    """Runs of rows that may form a table: close together, overlapping in x, at least
    three of them broken into pieces, and no wide unbroken row (a line of prose)."""
    runs: list[list[_Row]] = []
    run: list[_Row] = []
    broken = 0

    def close() -> None:
        # Trailing unbroken rows belong after the table (a caption, a note).
        while run and len(_phrases(run[-1], min_gap)) < 2:
            run.pop()
        if broken >= _MIN_BODY_ROWS and len(run) >= _MIN_BODY_ROWS:
            runs.append(list(run))

    x0 = x1 = prev_bottom = prev_height = 0.0  # the run's extent, its last row's bottom and height
    for row in rows:
        pieces = _phrases(row, min_gap)
        top, bottom, height = row.top, row.bottom, row.height
        r0, r1 = row.x0, row.x1
        if run:
            far = top - prev_bottom > _MAX_ROW_GAP * max(prev_height, height)
            apart = r1 < x0 or r0 > x1
            wide = len(pieces) < 2 and (r1 - r0) > 0.6 * (x1 - x0) and broken > 0
            if far or apart or wide:
                close()
                run, broken = [], 0
        if not run and len(pieces) < 2:
            continue  # a table starts with a broken row
        x0, x1 = (min(x0, r0), max(x1, r1)) if run else (r0, r1)
        prev_bottom, prev_height = bottom, height
        run.append(row)
        if len(pieces) >= 2:
            broken += 1
    close()
    return runs


def _bounds(rows: list[list[_Piece]], min_gap: float) -> list[float]:
    """x positions between columns: the middle of every gap at least `min_gap` wide
    that no row puts ink in."""
    return gap_middles([[(p.bbox[0], p.bbox[2]) for p in row] for row in rows], min_gap)


def _aligned(cells: list[_Piece]) -> bool:
    """Whether a column's cells mostly share a left edge, a right edge or a centre."""
    if len(cells) < 2:
        return True
    for edge in (
        [c.bbox[0] for c in cells],
        [c.bbox[2] for c in cells],
        [(c.bbox[0] + c.bbox[2]) / 2 for c in cells],
    ):
        counts = Counter(round(v / _ALIGN_TOLERANCE) for v in edge)
        best = max(counts[k - 1] + counts[k] + counts[k + 1] for k in counts)
        if best >= len(cells) * _ALIGNED:
            return True
    return False


def _header_count(rows: list[_Row], rules: Sequence[Rect4]) -> tuple[int, bool]:
    """How many leading rows are the header, and whether anything says so (a rule
    or bold type) rather than a guess."""
    x0, x1 = min(r.x0 for r in rows), max(r.x1 for r in rows)
    for i in range(min(_MAX_HEADER_ROWS, len(rows) - 1)):
        top, bottom = rows[i].bottom - 1, rows[i + 1].top + 1
        for rule in rules:
            y = (rule[1] + rule[3]) / 2
            if top <= y <= bottom and rule[0] <= x0 + 10 and rule[2] >= x1 - 10:
                return i + 1, True
    bold = 0
    while bold < min(_MAX_HEADER_ROWS, len(rows) - 1) and rows[bold].bold:
        bold += 1
    if bold and not rows[bold].bold:
        return bold, True
    return 1, False


def _spread(label: _Piece, labels: list[_Piece], centres: list[float], pitch: float) -> list[int]:
    """Columns a group label stands over: those whose centre lies within the label's
    reach, centred on it and bounded halfway to its neighbour labels."""
    c = (label.bbox[0] + label.bbox[2]) / 2
    i = labels.index(label)
    left = (labels[i - 1].bbox[2] + label.bbox[0]) / 2 if i else -1e9
    right = (label.bbox[2] + labels[i + 1].bbox[0]) / 2 if i + 1 < len(labels) else 1e9
    half = min(c - left, right - c, (label.bbox[2] - label.bbox[0]) / 2 + pitch)
    return [k for k, x in enumerate(centres) if c - half <= x <= c + half]


def _is_list(columns: list[list[_Piece]]) -> bool:
    first = columns[0]
    return bool(first) and all(_MARKER.match(p.text) for p in first)


def _is_contents(body: list[list[list[_Piece]]]) -> bool:
    """Titles (after section numbers, maybe), then page numbers that never go down."""
    numbers = [_text(row[-1]) for row in body]
    if not all(_PAGE_NUMBER.match(n) for n in numbers):
        return False
    values = [int(n) for n in numbers]
    if values != sorted(values):
        return False
    middle = [_text(row[k]) for row in body for k in range(1, len(row) - 1)]
    return not any(_NUMERIC.match(t) for t in middle if t)


def _text(cell: list[_Piece]) -> str:
    return " ".join(" ".join(p.text.split()) for p in cell)


def _table(run: list[_Row], rules: Sequence[Rect4], min_gap: float) -> FoundTable | None:
    head, evidenced = _header_count(run, rules)
    body_rows = [_phrases(r, min_gap) for r in run[head:]]
    if len(body_rows) < _MIN_BODY_ROWS:
        return None
    bounds = _bounds(body_rows, min_gap)
    ncols = len(bounds) + 1
    if ncols < _MIN_COLUMNS:
        return None

    def split(pieces: list[_Piece]) -> list[list[_Piece]]:
        cells: list[list[_Piece]] = [[] for _ in range(ncols)]
        for p in pieces:
            cells[bisect.bisect(bounds, (p.bbox[0] + p.bbox[2]) / 2)].append(p)
        return cells

    body = [split(r) for r in body_rows]
    # Wrapped cells: a row with an empty first cell, or much closer to the row above
    # than rows usually are, continues that row.
    gaps = [run[head + i].top - run[head + i - 1].bottom for i in range(1, len(body))]
    usual = statistics.median(gaps) if gaps else 0.0
    merged: list[list[list[_Piece]]] = []
    for i, cells in enumerate(body):
        filled = sum(1 for c in cells if c)
        tight = i > 0 and gaps[i - 1] < usual - 0.3 * run[head + i].height
        if merged and ((not cells[0] and filled < ncols) or tight):
            for target, more in zip(merged[-1], cells, strict=True):
                target.extend(more)
        else:
            merged.append(cells)
    if len(merged) < _MIN_BODY_ROWS:
        return None
    # One type size throughout: formulas (sub- and superscripts) break into pieces too.
    pieces = [p for row in body_rows for p in row]
    size = statistics.median(p.size for p in pieces)
    if sum(1 for p in pieces if abs(p.size - size) <= 1.0) < len(pieces) * _SAME_SIZE:
        return None
    columns = [[p for row in body for p in row[k]] for k in range(ncols)]
    per_row = [[row[k] for row in merged] for k in range(ncols)]
    filled = sum(1 for row in merged for c in row if c)
    if filled < len(merged) * ncols * _MIN_FILL:
        return None
    if _is_list(columns) or _is_contents(merged):
        return None
    words = [statistics.median(len(_text(c).split()) for c in col if c) if any(col) else 0 for col in per_row]
    if min(words) > _SHORT_CELL_WORDS or (ncols == 2 and max(words) > _PROSE_CELL_WORDS * 2):
        return None  # running text set in columns, not a table
    if sum(1 for w in words if w > _PROSE_CELL_WORDS) * 2 > ncols:
        return None
    # Body lines (not merged cells) are what alignment is about.
    if not all(_aligned(col) for col in columns):
        return None

    headers = _headers(run[:head], min_gap, bounds, columns)
    if sum(1 for h in headers if h) * 2 < ncols:
        return None  # a header row naming less than half the columns: no table's
    numeric = any(sum(1 for c in col if c and _NUMERIC.match(_text(c))) * 2 > len(col) for col in per_row)
    if not (numeric or evidenced):
        # Neither a column of numbers nor a header set apart: two columns of an
        # index or a glossary look the same.
        return None
    rows = [[_text(c) for c in row] for row in merged]
    box: Bbox = (
        min(r.x0 for r in run),
        min(r.top for r in run),
        max(r.x1 for r in run),
        max(r.bottom for r in run),
    )
    # Without a rule or bold type the first row is taken as the header, as find_tables
    # does; `header_guessed` lets a table continued from the previous page take that
    # page's header instead (pipeline.link_continued_tables).
    return FoundTable(box, TableData(headers=headers, rows=rows, header_guessed=not evidenced))


def _headers(
    rows: list[_Row],
    min_gap: float,
    bounds: list[float],
    columns: list[list[_Piece]],
) -> list[str]:
    """Column names from the header rows; group labels repeated over their columns."""
    ncols = len(bounds) + 1
    names: list[list[str]] = [[] for _ in range(ncols)]
    centres = [
        (min(p.bbox[0] for p in col) + max(p.bbox[2] for p in col)) / 2 if col else 0.0 for col in columns
    ]
    pitch = statistics.median(b - a for a, b in itertools.pairwise(centres)) if ncols > 1 else 0.0
    for i, row in enumerate(rows):
        pieces = _phrases(row, min_gap)
        if len(pieces) < ncols and i + 1 < len(rows):
            for label in pieces:
                for k in _spread(label, pieces, centres, pitch):
                    names[k].append(label.text)
            continue
        for p in pieces:
            names[bisect.bisect(bounds, (p.bbox[0] + p.bbox[2]) / 2)].append(p.text)
    return [" ".join(" ".join(n.split()) for n in col) for col in names]


def find_stream_tables(lines: Sequence[Line], rules: Sequence[Rect4] = ()) -> list[FoundTable]:
    """Whitespace-aligned tables among a page's `lines` (those of ruled tables taken
    out); `rules` are the page's thin horizontal rules (a header rule, if any)."""
    if len(lines) < _MIN_BODY_ROWS * 2:
        return []
    sizes = [ln.size for ln in lines if ln.size > 0]
    size = statistics.median(sizes) if sizes else 10.0
    min_gap = max(3.0, size * 0.5)
    rows = _rows(lines)
    found = []
    for run in _candidates(rows, min_gap):
        # Cheap first: a table has a column of short cells; prose in two columns has
        # short pieces only where paragraphs end.
        pieces = [p for row in run for p in row.pieces]
        if sum(1 for p in pieces if len(p.text.split()) <= _SHORT_CELL_WORDS) * 5 < len(pieces):
            continue
        table = _table(run, rules, min_gap)
        if table is not None:
            found.append(table)
    return found


__all__ = ["find_stream_tables"]
