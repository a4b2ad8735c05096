"""Ruled tables through PyMuPDF's `page.find_tables()`, gated by a cheap test.

`find_tables` runs at ~20-40 pages/s, against ~700+ pages/s for reading the
text, so it only runs on pages whose vector paths (collected in the same
`get_text("dict")` pass with TEXT_COLLECT_VECTORS) are enough to form a grid.
Tables without rules (aligned text only) are not detected: the text strategy
of `find_tables` turns ordinary paragraphs into tables too often to be worth
its cost on every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pymupdf

from jobs.pdf.content import Bbox, TableData
from jobs.pdf.text_hygiene import clean_text

# find_tables prints a recommendation for pymupdf-layout to stdout on first
# use; stdout carries `docat process --format json`, so silence it.
pymupdf.no_recommend_layout()

_PATH_KINDS = ("fill-path", "stroke-path")
THIN = 3.0  # a stroke thinner than this is a rule, not a shape
# Rules this close count as meeting: above find_tables' snap/join/intersection tolerances (3 pt).
_MEET = 4.0
# A page with this many paths, fewer than this share of them straight rules or boxes, is a figure.
_FIGURE_PATHS = 500
_FIGURE_STRAIGHT_SHARE = 0.05
_MARGIN = 5.0  # around the drawn paths for find_tables' clip: glyphs that straddle a rule


@dataclass(slots=True)
class FoundTable:
    bbox: Bbox
    data: TableData


Rect4 = tuple[float, float, float, float]
PathBox = tuple[str, Rect4]  # ("stroke-path" | "fill-path", bbox)


def vector_paths(page_dict: dict[str, Any]) -> list[PathBox]:
    """The vector blocks (type 3) of a dict made with TEXT_COLLECT_VECTORS."""
    return [
        ("stroke-path" if b.get("stroked") else "fill-path", tuple(b["bbox"]))  # type: ignore[misc]
        for b in page_dict.get("blocks", ())
        if b.get("type") == 3
    ]


def split_rules(paths: Sequence[PathBox]) -> tuple[list[Rect4], list[Rect4], list[Rect4]]:
    """Thin horizontal rules, thin vertical rules, and stroked boxes big enough to
    be a grid drawn as one path."""
    horizontal: list[Rect4] = []
    vertical: list[Rect4] = []
    boxes: list[Rect4] = []
    for kind, box in paths:
        if kind not in _PATH_KINDS:
            continue
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        if h <= THIN and w > 10:
            horizontal.append(box)
        elif w <= THIN and h > 10:
            vertical.append(box)
        elif w > 40 and h > 30 and kind == "stroke-path":
            boxes.append(box)
    return horizontal, vertical, boxes


def _crosses(h: Rect4, v: Rect4) -> bool:
    """Whether a horizontal and a vertical rule meet (within the finder's tolerances)."""
    return h[0] - _MEET <= v[0] and v[2] <= h[2] + _MEET and v[1] - _MEET <= h[1] and h[3] <= v[3] + _MEET


def _closes_a_cell(horizontal: Sequence[Rect4], vertical: Sequence[Rect4]) -> bool:
    """True when two horizontal rules both meet the same two vertical rules: at least
    one cell is closed on four sides, which a table needs and loose rules lack."""
    if len(horizontal) < 2 or len(vertical) < 2:
        return False
    # For each horizontal rule, the set of vertical rules it meets, as a bit mask.
    masks = [sum(1 << i for i, v in enumerate(vertical) if _crosses(h, v)) for h in horizontal]
    masks = [m for m in masks if m & (m - 1)]  # meets at least two
    for i, a in enumerate(masks):
        for b in masks[i + 1 :]:
            both = a & b
            if both & (both - 1):
                return True
    return False


def table_area(paths: Sequence[PathBox]) -> Rect4 | None:
    """Where `find_tables` should look, or None when the page cannot hold a ruled table.

    The page must draw a stroked box big enough to be a grid drawn as one path,
    or thin horizontal and vertical rules that close at least one cell. A page
    whose drawings are mostly curves and short segments (a plot, a diagram: some
    thousand paths, a few of them straight) is a figure, not a table. The area is
    the box around every path, expanded a little: `find_tables` builds its grid
    from drawn paths only, so no table lies outside it, and skipping the text
    elsewhere on the page is what makes the clip cheaper.
    """
    horizontal, vertical, boxes = split_rules(paths)
    straight = len(horizontal) + len(vertical) + len(boxes)
    if len(paths) >= _FIGURE_PATHS and straight < len(paths) * _FIGURE_STRAIGHT_SHARE:
        return None
    if not boxes and not _closes_a_cell(horizontal, vertical):
        return None
    x0 = min(b[0] for _, b in paths) - _MARGIN
    y0 = min(b[1] for _, b in paths) - _MARGIN
    x1 = max(b[2] for _, b in paths) + _MARGIN
    y1 = max(b[3] for _, b in paths) + _MARGIN
    return (x0, y0, x1, y1)


def may_hold_table(paths: Sequence[PathBox]) -> bool:
    """True when `table_area` finds somewhere to look."""
    return table_area(paths) is not None


def _cell(value: str | None) -> str:
    return " ".join(clean_text(value).split()) if value else ""


def _names_columns(page: pymupdf.Page, header: Any, table: Any) -> bool:
    """Whether the text PyMuPDF guessed as a header above the grid names its columns:
    most columns get a name, and no word runs across a column's edge. A line of
    the paragraph right above a table (a fragment such as "saddle zulu.") fails."""
    names = [_cell(n) for n in header.names]
    if sum(1 for n in names if n) * 2 < max(len(names), 3):
        return False
    edges = [cell[0] for cell in table.rows[0].cells[1:] if cell is not None]
    for w in page.get_text("words", clip=pymupdf.Rect(header.bbox)):
        if any(w[0] < x - 1 < x + 1 < w[2] for x in edges):
            return False
    return True


_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_PLAIN_DIGITS = str.maketrans(_SUPERSCRIPT_DIGITS, "0123456789")


def _marked(rows: list[list[str]], table: Any, lines: Sequence[Any]) -> list[list[str]]:
    """`rows` with footnote digits set apart as page_lines read them: find_tables reads
    "273.87" and a raised "1" as "273.871"; the page's line there says "273.87¹"."""
    marked = [ln for ln in lines if any(ch in ln.text for ch in _SUPERSCRIPT_DIGITS)]
    if not marked:
        return rows
    for row, cells in zip(rows, table.rows, strict=False):
        for k, box in enumerate(cells.cells[: len(row)]):
            if box is None or not row[k]:
                continue
            for ln in marked:
                cx, cy = (ln.bbox[0] + ln.bbox[2]) / 2, (ln.bbox[1] + ln.bbox[3]) / 2
                plain = ln.text.translate(_PLAIN_DIGITS)
                if box[0] <= cx <= box[2] and box[1] <= cy <= box[3] and plain in row[k]:
                    row[k] = row[k].replace(plain, ln.text)
    return rows


def find_page_tables(
    page: pymupdf.Page, area: Rect4 | None = None, lines: Sequence[Any] = ()
) -> list[FoundTable]:
    """Tables with at least two rows and two columns, within `area` (see
    `table_area`) if given; the first row (or an external header PyMuPDF found
    above the grid) becomes the headers. The page's `lines` (layout.page_lines)
    put back the footnote digits find_tables glues to numbers."""
    found: list[FoundTable] = []
    clip = None
    if area is not None and page.rotation == 0:  # find_tables unrotates a rotated page: no clip there
        clip = pymupdf.Rect(area) & page.rect
        if clip.is_empty:
            return found
    # use_layout=False: the layout model is not installed and must not be tried.
    finder = page.find_tables(clip=clip, use_layout=False)
    if finder is None:  # find_tables reports its own exceptions and returns None
        return found
    for table in finder.tables:
        rows = _marked([[_cell(c) for c in row] for row in table.extract()], table, lines)
        rows = [r for r in rows if any(r)]
        if table.col_count < 2 or len(rows) < 2:
            continue
        header = table.header
        if header is not None and header.external and _names_columns(page, header, table):
            headers = [_cell(n) for n in header.names]
        else:
            headers, rows = rows[0], rows[1:]
        found.append(FoundTable(tuple(table.bbox), TableData(headers=headers, rows=rows)))  # type: ignore[arg-type]
    return found


__all__ = [
    "THIN",
    "FoundTable",
    "PathBox",
    "Rect4",
    "find_page_tables",
    "may_hold_table",
    "split_rules",
    "table_area",
    "vector_paths",
]
