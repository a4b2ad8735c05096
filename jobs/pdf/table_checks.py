"""What no table finder may return: grids finer than the text they hold, tables
that shred words, and tables inside (or on top of) other tables.

`find_tables` builds cells from every rule it is given. On graph paper, a
map or a form's comb fields it makes a "table" of thousands of cells covering
the page, each holding a letter or two of the text drawn over it: the page's
text comes back several times over, and the finder spends seconds on it (one
page of 644k line segments took 20 s). `grid_too_fine` refuses such a page
before the finder runs, from the rules already collected; `clean_tables`
drops what gets through anyway, and drops a table found inside another one
(nested grids, or a finder reading a region another already read), so no
text is returned twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from jobs.pdf.content import Bbox
from jobs.pdf.layout import Line
from jobs.pdf.tables import FoundTable, PathBox, Rect4, split_rules

# More vector paths than this and find_tables is not run at all: no table needs
# them, and the finder's cost grows with every segment.
MAX_PATHS = 5000
# A grid may have this many cells per word drawn in it, plus a small allowance.
_CELLS_PER_WORD = 4.0
_CELL_ALLOWANCE = 40
# A table may hold this many more tokens than the words of the lines it covers.
_SHRED_RATIO = 1.5
_NESTED = 0.8  # share of a table's area inside another that makes it nested


def _distinct(values: Sequence[float], tolerance: float = 2.0) -> int:
    count = 0
    last = -1e9
    for v in sorted(values):
        if v - last > tolerance:
            count += 1
            last = v
    return count


def _words_inside(lines: Sequence[Line], box: Rect4) -> int:
    total = 0
    for ln in lines:
        cx, cy = (ln.bbox[0] + ln.bbox[2]) / 2, (ln.bbox[1] + ln.bbox[3]) / 2
        if box[0] <= cx <= box[2] and box[1] <= cy <= box[3]:
            total += len(ln.text.split())
    return total


def grid_too_fine(paths: Sequence[PathBox], area: Rect4, lines: Sequence[Line]) -> bool:
    """Whether the rules in `area` make far more cells than the text there has
    words (graph paper, a form's comb fields), or the page has too many paths."""
    if len(paths) > MAX_PATHS:
        return True
    horizontal, vertical, _ = split_rules(paths)
    rows = _distinct([(r[1] + r[3]) / 2 for r in horizontal])
    columns = _distinct([(r[0] + r[2]) / 2 for r in vertical])
    cells = max(rows - 1, 0) * max(columns - 1, 0)
    return cells > _words_inside(lines, area) * _CELLS_PER_WORD + _CELL_ALLOWANCE


def _area(b: Bbox) -> float:
    return max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)


def _overlap(a: Bbox, b: Bbox) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def _tokens(table: FoundTable) -> int:
    cells = [*table.data.headers, *(c for row in table.data.rows for c in row)]
    return sum(len(c.split()) for c in cells)


def clean_tables(tables: Sequence[FoundTable], lines: Sequence[Line]) -> list[FoundTable]:
    """`tables` without those that shred the words under them and without any
    mostly inside a bigger one (see the module docstring)."""
    kept = [t for t in tables if _tokens(t) <= _words_inside(lines, t.bbox) * _SHRED_RATIO + 4]
    kept.sort(key=lambda t: -_area(t.bbox))
    out: list[FoundTable] = []
    for table in kept:
        size = _area(table.bbox)
        if size and any(_overlap(table.bbox, bigger.bbox) >= size * _NESTED for bigger in out):
            continue
        out.append(table)
    return out


__all__ = ["MAX_PATHS", "clean_tables", "grid_too_fine"]
