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

# find_tables prints a recommendation for pymupdf-layout to stdout on first
# use; stdout carries `docat process --format json`, so silence it.
pymupdf.no_recommend_layout()

_PATH_KINDS = ("fill-path", "stroke-path")
_THIN = 3.0  # a stroke thinner than this is a rule, not a shape


@dataclass(slots=True)
class FoundTable:
    bbox: Bbox
    data: TableData


PathBox = tuple[str, tuple[float, float, float, float]]  # ("stroke-path" | "fill-path", bbox)


def vector_paths(page_dict: dict[str, Any]) -> list[PathBox]:
    """The vector blocks (type 3) of a dict made with TEXT_COLLECT_VECTORS."""
    return [
        ("stroke-path" if b.get("stroked") else "fill-path", tuple(b["bbox"]))  # type: ignore[misc]
        for b in page_dict.get("blocks", ())
        if b.get("type") == 3
    ]


def may_hold_table(bbox_log: Sequence[PathBox]) -> bool:
    """True when the page draws at least two horizontal and two vertical rules,
    or a box big enough to be a grid drawn as one path."""
    horizontal = vertical = 0
    for kind, (x0, y0, x1, y1) in bbox_log:
        if kind not in _PATH_KINDS:
            continue
        w, h = x1 - x0, y1 - y0
        if h <= _THIN and w > 10:
            horizontal += 1
        elif w <= _THIN and h > 10:
            vertical += 1
        elif w > 40 and h > 30 and kind == "stroke-path":
            return True
        if horizontal >= 2 and vertical >= 2:
            return True
    return False


def _cell(value: str | None) -> str:
    return " ".join(value.split()) if value else ""


def find_page_tables(page: pymupdf.Page) -> list[FoundTable]:
    """Tables with at least two rows and two columns; the first row (or an
    external header PyMuPDF found above the grid) becomes the headers."""
    found: list[FoundTable] = []
    # use_layout=False: the layout model is not installed and must not be tried.
    for table in page.find_tables(use_layout=False).tables:
        rows = [[_cell(c) for c in row] for row in table.extract()]
        rows = [r for r in rows if any(r)]
        if table.col_count < 2 or len(rows) < 2:
            continue
        header = table.header
        if header is not None and header.external:
            headers = [_cell(n) for n in header.names]
        else:
            headers, rows = rows[0], rows[1:]
        found.append(FoundTable(tuple(table.bbox), TableData(headers=headers, rows=rows)))  # type: ignore[arg-type]
    return found


__all__ = ["FoundTable", "find_page_tables", "may_hold_table", "vector_paths"]
