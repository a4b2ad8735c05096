"""What an OCR page's measured sizes are worth: one size for the body text,
a size per group of larger rows where they can be trusted, body size for the
rest; rounded to 0.5 pt like a text layer's.

Glyph sizes (ocr_layout) of one type size spread about ±5%, so sizes within
SNAP of each other are one size, and a row must be OCR_HEADING_RATIO above
the body to count as larger at all. Then a larger row keeps its size only if
it looks like a heading, each check aimed at a way OCR inflates a box
(a paragraph made a heading is worse than a heading missed):

- words, not noise: three letters in a row, mostly word-like tokens (OCR of a
  figure, a logo, a stain);
- letters as wide as the height says: a box swollen by a rule, a stain or a
  second row of text has body-width letters under a heading's height
  (Tesseract, in the single-block mode MuPDF runs it in, merges the rows of
  two columns whose baselines differ);
- alone in its row, at most a section number beside it: a row of table cells,
  or two columns' lines, is no heading;
- not a size most of whose rows are full lines: that is body text measured
  high;
- space above it: right under a body line at the paragraph's line spacing,
  it continues that paragraph.

A page with too little text to know its body size (a cover, a figure, a
table) keeps its measured sizes where the row checks pass; the document's
scale decides about those (ocr_styles).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pymupdf

from jobs.pdf.layout import Line, page_lines
from jobs.pdf.ocr import estimate_confidence, ocr_textpage
from jobs.pdf.ocr_layout import Row, mark_bullets, page_rows
from jobs.pdf.ocr_missed import missed_lines

# Sizes within this share of each other are one size.
SNAP = 0.08
# A row this much bigger than the body text may be a heading; below, it is
# body text measured high.
OCR_HEADING_RATIO = 1.15
# Fewer body characters than this on a page: too little to know its body size.
MIN_BODY_CHARS = 150
# Letter widths of a heading against body text's measure 0.9-1.2 (bold is
# wider); below this share the height is not the type size.
_NARROWEST = 0.7
# A letter's width (spaces included) in ems, for a page without body text.
_TYPICAL_WIDTH = 0.44
# A group of larger rows is body text when at least half of them (and three)
# are as long as this share of a body line.
_FULL_LINE = 0.8
_WORD = re.compile(r"[^\W\d_]{3}")


@dataclass(frozen=True, slots=True)
class OcrPage:
    """A page's OCR lines, sizes settled; `body_size` None when the page holds too
    little text to tell (a cover, a figure)."""

    lines: tuple[Line, ...]
    body_size: float | None


def read_ocr_page(page: pymupdf.Page, language: str, flags: int) -> OcrPage:
    """OCR the page (the one place a page is OCRed): its lines, any Tesseract
    dropped (ocr_missed), bullets read back, sizes settled."""
    textpage = ocr_textpage(page, language, flags)
    lines = page_lines(page.get_text("dict", textpage=textpage))
    lines += missed_lines(page, lines, language, flags)
    return settle_sizes([dataclasses.replace(ln, bold=False) for ln in mark_bullets(lines)])


def settle_sizes(lines: Sequence[Line]) -> OcrPage:
    """`lines` with settled sizes (see the module docstring). The pieces of a
    larger row are joined: a section number and its title, which OCR's tight
    boxes set too far apart for `merge_fragments`."""
    rows = page_rows(lines)
    sizes, body = _settle(rows)
    out: list[Line | None] = list(lines)
    for row, size in zip(rows, sizes, strict=True):
        if body is not None and size > body and len(row.members) > 1:
            out[row.members[0]] = Line(row.text, row.bbox, size, False)
            for i in row.members[1:]:
                out[i] = None
            continue
        for i in row.members:
            out[i] = dataclasses.replace(lines[i], size=size)
    return OcrPage(tuple(ln for ln in out if ln is not None), body)


def _settle(rows: Sequence[Row]) -> tuple[list[float], float | None]:
    found = _body_size(rows)
    if found is None or found[1] < MIN_BODY_CHARS:
        known = [(r.size, r.chars) for r in rows if r.size]
        median = _round(_weighted_median(known)) if known else 0.0
        return [
            _round(r.size) if r.size and _trusted(r, r.size, _TYPICAL_WIDTH) else median for r in rows
        ], None
    body = found[0]
    body_rows = [r for r in rows if r.size and _near(r.size, body)]
    body_width = _median([_letter_width(r, body) for r in body_rows])
    groups = _groups((r.size, r.chars) for r in rows if r.size and r.size > body * (1 + SNAP))
    sizes: list[float] = []
    for r in rows:
        size = groups.get(r.size, r.size) if r.size else body
        if body / (1 + SNAP) < size < body * OCR_HEADING_RATIO or (
            size >= body * OCR_HEADING_RATIO and not _trusted(r, size, body_width)
        ):
            size = body
        sizes.append(size)
    _drop_full_groups(rows, sizes, body, _median([r.ink for r in body_rows]) * _FULL_LINE)
    body_size = _round(body)
    settled = [_round(s) for s in sizes]
    if all(s <= body_size for s in settled):
        return settled, body_size
    spacing = _line_spacing(rows, settled, body_size)
    return [
        body_size if s > body_size and _runs_on(i, rows, settled, body_size, spacing) else s
        for i, s in enumerate(settled)
    ], body_size


def _body_size(rows: Sequence[Row]) -> tuple[float, int] | None:
    """The size most characters are set in (within SNAP), and how many are."""
    sized = sorted((r.size, r.chars) for r in rows if r.size)
    best: tuple[int, float] | None = None
    for size, _ in sized:
        chars = sum(w for s, w in sized if _near(s, size))
        if best is None or chars > best[0]:
            best = (chars, size)
    if best is None:
        return None
    chars, centre = best
    return _weighted_median([(s, w) for s, w in sized if _near(s, centre)]), chars


def _near(size: float, other: float) -> bool:
    return other / (1 + SNAP) <= size <= other * (1 + SNAP)


def _weighted_median(items: Iterable[tuple[float, int]]) -> float:
    ordered = sorted(items)
    half = sum(w for _, w in ordered) / 2
    seen = 0
    for size, weight in ordered:
        seen += weight
        if seen >= half:
            return size
    return ordered[-1][0]


def _median(values: list[float]) -> float:
    values.sort()
    return values[len(values) // 2] if values else 0.0


def _groups(sizes: Iterable[tuple[float, int]]) -> dict[float, float]:
    """Each size mapped to its group's weighted median; a group starts at its
    smallest size and takes everything up to SNAP above it."""
    out: dict[float, float] = {}
    group: list[tuple[float, int]] = []
    for size, weight in [*sorted(sizes), (float("inf"), 0)]:
        if group and size > group[0][0] * (1 + SNAP):
            median = _weighted_median(group)
            out.update((s, median) for s, _ in group)
            group = []
        group.append((size, weight))
    return out


def _letter_width(row: Row, size: float) -> float:
    """The row's ink width per character (spaces inside its pieces included), in ems of `size`."""
    chars = len(row.text) - (len(row.members) - 1)
    return row.ink / max(chars, 1) / max(size, 1.0)


def _trusted(row: Row, size: float, body_width: float) -> bool:
    """Whether a row measured at `size` looks like a heading of that size: words,
    letters as wide as the size says, nothing but a number beside it."""
    if _WORD.search(row.text) is None or estimate_confidence(row.text) < 0.75:
        return False
    height = row.bbox[3] - row.bbox[1]
    if len(row.members) > 2 or row.widest_gap > height * 3:
        return False
    return _letter_width(row, size) >= body_width * _NARROWEST


def _drop_full_groups(rows: Sequence[Row], sizes: list[float], body: float, full: float) -> None:
    """Sizes above the body whose rows are mostly full lines go back to body size."""
    for size in {s for s in sizes if s > body}:
        members = [r for r, s in zip(rows, sizes, strict=True) if s == size]
        if len(members) >= 3 and sum(r.ink >= full for r in members) * 2 >= len(members):
            for i, s in enumerate(sizes):
                if s == size:
                    sizes[i] = body


def _above(i: int, rows: Sequence[Row]) -> int | None:
    """The nearest row above row `i` that overlaps it horizontally."""
    x0, y0, x1, _ = rows[i].bbox
    best: int | None = None
    for j, other in enumerate(rows):
        if j == i or other.bbox[2] <= x0 or other.bbox[0] >= x1 or other.bbox[1] >= y0:
            continue
        if best is None or other.bbox[3] > rows[best].bbox[3]:
            best = j
    return best


def _line_spacing(rows: Sequence[Row], sizes: Sequence[float], body: float) -> float:
    """The usual space between two lines of a body paragraph."""
    gaps = []
    for i, size in enumerate(sizes):
        if size != body:
            continue
        j = _above(i, rows)
        if j is not None and sizes[j] == body:
            gap = rows[i].bbox[1] - rows[j].bbox[3]
            if gap < body * 1.5:
                gaps.append(gap)
    return _median(gaps) if gaps else body * 0.4


def _runs_on(i: int, rows: Sequence[Row], sizes: Sequence[float], body: float, spacing: float) -> bool:
    """Whether row `i` sits under a body row no farther than paragraph lines sit apart."""
    j = _above(i, rows)
    if j is None or sizes[j] != body:
        return False
    return rows[i].bbox[1] - rows[j].bbox[3] <= max(spacing * 1.5, spacing + body * 0.2)


def _round(size: float) -> float:
    return round(size * 2) / 2


__all__ = [
    "MIN_BODY_CHARS",
    "OCR_HEADING_RATIO",
    "SNAP",
    "OcrPage",
    "read_ocr_page",
    "settle_sizes",
]
