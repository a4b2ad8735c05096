"""Tables ruled by horizontal lines only: LaTeX booktabs (\\toprule, \\midrule,
\\bottomrule) and the "horizontal borders only" tables of Word, LibreOffice and
Google Docs.

`find_tables` does not read them. Its line strategy needs vertical rules to
close cells. Its text strategy (`vertical_strategy="text"`) puts a column edge
where at least three words share a left, right or centre x within 1 pt, and
only from the first such word to the last: centred LaTeX columns ("8.9" over
"11.5"), headers wider than their column and edges that stop short of the
rules leave it with no table or one garbled row (PyMuPDF 1.28.2 on the
booktabs table of the corpus' multicolumn.pdf, with horizontal_strategy
"lines"). So here the rules say where a table may be and where its header
ends, and the columns are the whitespace channels that run down every body
row, found from the words.

Cost: `rule_stacks` is plain Python over the vector blocks that the page's one
`get_text("dict")` already collected. A page reads its words (one more text
pass, clipped) only when two long rules share both ends and most rows of the
lines between them break into pieces, as table rows do and prose does not.
"""

from __future__ import annotations

import bisect
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pymupdf

from jobs.pdf.column_gaps import gap_middles
from jobs.pdf.content import Bbox, TableData
from jobs.pdf.layout import Line
from jobs.pdf.tables import THIN, FoundTable, PathBox, Rect4, split_rules
from jobs.pdf.text_hygiene import clean_text

# Shorter rules are underlines, fraction bars or a narrow column's footnote rule.
_MIN_RULE = 50.0
# Rules of one table end at the same x within this (booktabs strokes 0.8 and 0.5 pt rules).
_SAME_END = 3.0
# Collinear pieces this close are one rule (Word draws each cell's border on its own).
_JOIN = 4.0
_ROW_Y = 1.0
# A taller band without text parts two tables; a lower one is a double rule.
_MAX_EMPTY_BAND = 6.0
# Validation of what the words give.
_MIN_BODY_ROWS = 2
_MIN_FILL = 0.6  # share of body cells with text
# A table has a column of labels, names or numbers: cells of a few words.
_SHORT_CELL_WORDS = 3
_ALIGNED = 0.5  # share of a column's cells sharing its left, right or centre x
_ALIGN_TOLERANCE = 1.5
_MAX_HEADER_ROWS = 3

Word = tuple[Rect4, str]


@dataclass(frozen=True, slots=True)
class RuleStack:
    """Long horizontal rules that start and end at the same x, top to bottom."""

    x0: float
    x1: float
    ys: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class _Region:
    """Where a table may be: between two rules of a stack, its header above `header_rule`."""

    x0: float
    x1: float
    top: float
    bottom: float
    header_rule: float  # the rule under the first text band


def _join_collinear(rules: Iterable[Rect4]) -> list[Rect4]:
    """One rule per drawn line: pieces on one y that touch become one."""
    ordered = sorted(rules, key=lambda r: r[1] + r[3])
    joined: list[Rect4] = []
    i = 0
    while i < len(ordered):
        y = ordered[i][1] + ordered[i][3]
        j = i
        while j < len(ordered) and ordered[j][1] + ordered[j][3] - y <= 2 * _ROW_Y:
            j += 1
        row_start = len(joined)
        for r in sorted(ordered[i:j]):
            if len(joined) > row_start and r[0] <= joined[-1][2] + _JOIN:
                last = joined[-1]
                joined[-1] = (last[0], min(last[1], r[1]), max(last[2], r[2]), max(last[3], r[3]))
            else:
                joined.append(r)
        i = j
    return joined


def _centre_in(box: Rect4, areas: Sequence[Bbox]) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(a[0] - 2 <= cx <= a[2] + 2 and a[1] - 2 <= cy <= a[3] + 2 for a in areas)


def _crosses(rule: Rect4, upright: Rect4) -> bool:
    y = (rule[1] + rule[3]) / 2
    return rule[0] - 1 <= upright[0] and upright[2] <= rule[2] + 1 and upright[1] - 1 <= y <= upright[3] + 1


def rule_stacks(paths: Sequence[PathBox], skip: Sequence[Bbox] = ()) -> list[RuleStack]:
    """Groups of at least two long horizontal rules with the same ends; rules
    inside `skip` (tables found already) do not count."""
    horizontal = split_rules(paths)[0]
    if len(horizontal) < 2:
        return []
    rules = [r for r in _join_collinear(horizontal) if r[2] - r[0] >= _MIN_RULE and not _centre_in(r, skip)]
    if len(rules) < 2:
        return []
    # Something thin and upright across a rule makes it an axis with its ticks (a
    # plot, a number line), or a grid's rule that find_tables has had: no such table.
    upright = [b for _, b in paths if b[2] - b[0] <= THIN and b[3] - b[1] >= 2]
    rules = [r for r in rules if not any(_crosses(r, u) for u in upright)]
    groups: list[list[Rect4]] = []
    for rule in sorted(rules, key=lambda r: r[1]):
        for group in groups:
            first = group[0]
            if abs(first[0] - rule[0]) <= _SAME_END and abs(first[2] - rule[2]) <= _SAME_END:
                group.append(rule)
                break
        else:
            groups.append([rule])
    return [RuleStack(g[0][0], g[0][2], tuple((r[1] + r[3]) / 2 for r in g)) for g in groups if len(g) >= 2]


def _rows(items: Iterable[Word]) -> list[list[Word]]:
    """Items on one text row (their vertical centres inside the row so far), top to bottom,
    each row left to right."""
    rows: list[list[Word]] = []
    bottom = -1e9
    for item in sorted(items, key=lambda it: it[0][1] + it[0][3]):
        box = item[0]
        if rows and (box[1] + box[3]) / 2 <= bottom:
            rows[-1].append(item)
            bottom = max(bottom, box[3])
        else:
            rows.append([item])
            bottom = box[3]
    for row in rows:
        row.sort(key=lambda it: it[0][0])
    return rows


def _within(box: Rect4, x0: float, x1: float, top: float, bottom: float) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return x0 - 2 <= cx <= x1 + 2 and top < cy < bottom


def _tabular(rows: list[list[Word]]) -> bool:
    """Most rows break into pieces: MuPDF starts a new line at a wide gap, which
    every table row has between its cells and prose rows hardly ever do."""
    return sum(1 for r in rows if len(r) >= 2) * 2 >= len(rows)


def candidate_regions(stack: RuleStack, lines: Sequence[Line]) -> list[_Region]:
    """Runs of bands (the spaces between consecutive rules) whose lines look tabular.

    A band of prose ends a run (two tables of one width with text between
    them), as does a tall empty band; a low empty band is a double rule.
    """
    inside = [
        (ln.bbox, ln.text) for ln in lines if _within(ln.bbox, stack.x0, stack.x1, stack.ys[0], stack.ys[-1])
    ]
    regions: list[_Region] = []
    start: int | None = None
    first_text_end: int | None = None
    last_text_end: int | None = None

    def close() -> None:
        # Two text bands at least: a rule under the header. Two rules around text
        # alone also frame algorithms, code and the page body between a header
        # rule and a footer rule.
        if start is not None and first_text_end is not None and last_text_end is not None:
            if first_text_end < last_text_end:
                header = stack.ys[first_text_end]
                regions.append(_Region(stack.x0, stack.x1, stack.ys[start], stack.ys[last_text_end], header))

    for i in range(len(stack.ys) - 1):
        top, bottom = stack.ys[i], stack.ys[i + 1]
        rows = _rows(w for w in inside if top < (w[0][1] + w[0][3]) / 2 < bottom)
        if not rows:
            if bottom - top <= _MAX_EMPTY_BAND:
                continue
        elif _tabular(rows):
            if start is None:
                start = i
            if first_text_end is None:
                first_text_end = i + 1
            last_text_end = i + 1
            continue
        close()
        start = first_text_end = last_text_end = None
    close()
    return regions


def _column_bounds(body: list[list[Word]], min_gap: float) -> list[float]:
    """x positions between columns: the middle of every gap at least `min_gap`
    wide that no body row puts ink in."""
    return gap_middles([_merged(sorted((w[0][0], w[0][2]) for w in row)) for row in body], min_gap)


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in spans:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _cells(row: list[Word], bounds: list[float], min_gap: float) -> list[list[Word]]:
    """The row's words by column. Words closer than `min_gap` form a phrase that goes
    to the column of its centre, so a header wider than its column stays whole."""
    cells: list[list[Word]] = [[] for _ in range(len(bounds) + 1)]
    phrase: list[Word] = []

    def place() -> None:
        if phrase:
            centre = (phrase[0][0][0] + phrase[-1][0][2]) / 2
            cells[bisect.bisect(bounds, centre)].extend(phrase)

    for word in row:
        if phrase and word[0][0] - phrase[-1][0][2] >= min_gap:
            place()
            phrase = []
        phrase.append(word)
    place()
    return cells


def _text(words: list[Word]) -> str:
    return " ".join(" ".join(clean_text(w[1]).split()) for w in words)


def _aligned(column: list[list[Word]]) -> bool:
    """Whether the column's cells mostly share a left edge, a right edge or a centre."""
    boxes = [(min(w[0][0] for w in c), max(w[0][2] for w in c)) for c in column if c]
    for edge in ((b[0] for b in boxes), (b[1] for b in boxes), ((b[0] + b[1]) / 2 for b in boxes)):
        counts = Counter(round(v / _ALIGN_TOLERANCE) for v in edge)
        best = max(counts[k - 1] + counts[k] + counts[k + 1] for k in counts)
        if best >= len(boxes) * _ALIGNED:
            return True
    return False


def region_table(region: _Region, words: Sequence[Word]) -> FoundTable | None:
    """The table the words of `region` form, or None when they are not one: at least
    two columns and two body rows, cells mostly filled, one column of short cells,
    every column aligned, and a header naming at least two columns."""
    rows = _rows(w for w in words if _within(w[0], region.x0, region.x1, region.top, region.bottom))
    if not rows:
        return None
    # The header is the first band; a first band of many rows is body under a
    # table without a header rule (a rule over a total row further down).
    above = sum(1 for r in rows if r[0][0][1] + r[0][0][3] < 2 * region.header_rule)
    head = above if 1 <= above <= _MAX_HEADER_ROWS else 1
    body = rows[head:]
    if len(body) < _MIN_BODY_ROWS:
        return None
    height = statistics.median(w[0][3] - w[0][1] for row in rows for w in row)
    min_gap = max(4.0, 0.6 * height)
    bounds = _column_bounds(body, min_gap)
    if not bounds:
        return None
    body_cells = [_cells(row, bounds, min_gap) for row in body]
    header_cells: list[list[Word]] = [[] for _ in range(len(bounds) + 1)]
    for row in rows[:head]:
        for column, cell in zip(header_cells, _cells(row, bounds, min_gap), strict=True):
            column.extend(cell)

    filled = [c for row in body_cells for c in row if c]
    if len(filled) < len(body_cells) * len(header_cells) * _MIN_FILL:
        return None
    columns = [[row[i] for row in body_cells] for i in range(len(header_cells))]
    if not any(statistics.median(len(c) for c in col if c) <= _SHORT_CELL_WORDS for col in columns):
        return None  # every column running text: prose in columns, not a table
    if sum(1 for c in header_cells if c) < 2:
        return None  # a caption between the rules (a ruled algorithm float), not column names
    if not all(_aligned(col) for col in columns):
        return None
    data = TableData(
        headers=[_text(c) for c in header_cells],
        rows=[[_text(c) for c in row] for row in body_cells],
    )
    return FoundTable((region.x0, region.top, region.x1, region.bottom), data)


def find_rule_tables(
    page: pymupdf.Page, stacks: Sequence[RuleStack], lines: Sequence[Line]
) -> list[FoundTable]:
    """Tables between the rules of `stacks` (see `rule_stacks`), given the page's lines."""
    regions = [r for s in stacks for r in candidate_regions(s, lines)]
    if not regions:
        return []
    clip = pymupdf.Rect(
        min(r.x0 for r in regions) - 3,
        min(r.top for r in regions),
        max(r.x1 for r in regions) + 3,
        max(r.bottom for r in regions),
    )
    words: list[Word] = [(tuple(w[:4]), w[4]) for w in page.get_text("words", clip=clip)]  # type: ignore[misc]
    found = [region_table(r, words) for r in regions]
    return [t for t in found if t is not None]


__all__ = ["RuleStack", "candidate_regions", "find_rule_tables", "region_table", "rule_stacks"]
