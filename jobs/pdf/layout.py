"""Lines of a page and the order a person reads them in.

Everything here works on the output of ONE `page.get_text("dict")` call and
is plain Python over a few dozen lines per page, so it stays cheap next to
MuPDF's own text extraction (the pipeline's speed budget is ≥ 40% of raw
`get_text("dict")` throughput).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import pymupdf

from jobs.pdf.content import Bbox

# One dict per page, without image payloads: image bboxes come from the page's
# bbox log instead, which is far cheaper than encoding every image into the dict.
DICT_FLAGS = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES

# Running headers/footers live in these top and bottom shares of the page.
RUNNING_BAND = 0.1

_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_ROMAN_PAGE = re.compile(r"^[ivxlc]+$")

T = TypeVar("T")


@dataclass(slots=True)
class Line:
    text: str
    bbox: Bbox
    size: float  # dominant font size by character count, rounded to 0.5 pt
    bold: bool  # most characters bold

    @property
    def style(self) -> tuple[float, bool]:
        return (self.size, self.bold)


def page_lines(page_dict: dict[str, Any]) -> list[Line]:
    """Flatten a `get_text("dict")` result into non-empty lines."""
    lines: list[Line] = []
    for block in page_dict.get("blocks", ()):
        if block.get("type") != 0:
            continue
        for raw in block.get("lines", ()):
            spans = raw.get("spans") or ()
            text = "".join(s["text"] for s in spans)
            stripped = text.strip()
            if not stripped:
                continue
            by_size: dict[float, int] = {}
            bold_chars = 0
            for s in spans:
                n = len(s["text"].strip())
                if not n:
                    continue
                size = round(s["size"] * 2) / 2
                by_size[size] = by_size.get(size, 0) + n
                if s["flags"] & pymupdf.TEXT_FONT_BOLD or _BOLD_FONT.search(s.get("font", "")):
                    bold_chars += n
            total = sum(by_size.values()) or 1
            size = max(by_size.items(), key=lambda kv: kv[1])[0] if by_size else 0.0
            lines.append(Line(" ".join(stripped.split()), tuple(raw["bbox"]), size, bold_chars * 2 > total))  # type: ignore[arg-type]
    return lines


def running_key(text: str) -> str:
    """Normalize a header/footer line so "Page 3 of 9" and "Page 4 of 9" match."""
    text = _SPACES.sub(" ", text.strip().lower())
    if _ROMAN_PAGE.match(text):
        return "#"
    return _DIGITS.sub("#", text)


def running_zone(bbox: Bbox, page_height: float) -> str | None:
    band = page_height * RUNNING_BAND
    if bbox[3] <= band:
        return "top"
    if bbox[1] >= page_height - band:
        return "bottom"
    return None


def merge_fragments(lines: list[Line]) -> list[Line]:
    """Join pieces of one visual line that MuPDF returned separately.

    `lines` must be sorted by reading order within one column; two pieces on the
    same baseline with a gap smaller than a couple of characters are one line.
    """
    merged: list[Line] = []
    for line in lines:
        if merged:
            prev = merged[-1]
            same_row = abs(prev.bbox[3] - line.bbox[3]) < max(prev.size, line.size) * 0.3
            gap = line.bbox[0] - prev.bbox[2]
            if same_row and -1 <= gap < max(prev.size, line.size) * 1.2:
                merged[-1] = Line(
                    f"{prev.text} {line.text}",
                    (
                        prev.bbox[0],
                        min(prev.bbox[1], line.bbox[1]),
                        line.bbox[2],
                        max(prev.bbox[3], line.bbox[3]),
                    ),
                    prev.size if len(prev.text) >= len(line.text) else line.size,
                    prev.bold and line.bold,
                )
                continue
        merged.append(line)
    return merged


def find_gutter(boxes: list[Bbox], page_width: float) -> float | None:
    """The x of a vertical gap that splits the page into two text columns, if any.

    A gutter is an x in the middle 40% of the page that at most a few boxes
    cross (full-width titles and figures may), with at least three boxes wholly
    on each side.
    """
    if len(boxes) < 6:
        return None
    mid = page_width / 2
    crossing_mid = sum(1 for b in boxes if b[0] < mid < b[2])
    if crossing_mid > len(boxes) * 0.6:  # the usual single-column page: decide fast
        return None
    best: tuple[int, float] | None = None
    step = 3.0
    x = page_width * 0.3
    while x <= page_width * 0.7:
        left = right = crossing = 0
        for b in boxes:
            if b[2] <= x:
                left += 1
            elif b[0] >= x:
                right += 1
            else:
                crossing += 1
        if left >= 3 and right >= 3 and crossing <= max(2, len(boxes) * 0.15):
            score = min(left, right) * 100 - crossing
            if best is None or score > best[0]:
                best = (score, x)
        x += step
    return best[1] if best else None


def reading_order(items: Iterable[T], bbox_of: Callable[[T], Bbox], page_width: float) -> list[T]:
    """Sort page items top to bottom; on two-column pages left column, then right.

    Items crossing the gutter (a title, a wide table) cut the page into bands;
    each band is read left column first, so a full-width heading between two
    column sections stays where it is.
    """
    ordered = sorted(items, key=lambda it: (bbox_of(it)[3], bbox_of(it)[0]))
    gutter = find_gutter([bbox_of(it) for it in ordered], page_width)
    if gutter is None:
        return ordered
    result: list[T] = []
    left: list[T] = []
    right: list[T] = []
    for item in ordered:
        b = bbox_of(item)
        if b[2] <= gutter:
            left.append(item)
        elif b[0] >= gutter:
            right.append(item)
        else:  # spanning item: close the current band
            result.extend(left)
            result.extend(right)
            left, right = [], []
            result.append(item)
    result.extend(left)
    result.extend(right)
    return result


def column_of(bbox: Bbox, gutter: float | None) -> int:
    if gutter is None:
        return 0
    if bbox[2] <= gutter:
        return 1
    if bbox[0] >= gutter:
        return 2
    return 0


__all__ = [
    "DICT_FLAGS",
    "Line",
    "column_of",
    "find_gutter",
    "merge_fragments",
    "page_lines",
    "reading_order",
    "running_key",
    "running_zone",
]
