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
from jobs.pdf.text_hygiene import clean_text, span_texts

# One dict per page, without image payloads: image bboxes come from the page's
# bbox log instead, which is far cheaper than encoding every image into the dict.
DICT_FLAGS = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES

# Running headers/footers live in these top and bottom shares of the page.
RUNNING_BAND = 0.1
# Farther in, a line still belongs to the margin when a clear gap parts it from
# the body (LaTeX puts the page number ~15% above the bottom edge).
MARGIN_TOP = 0.15
MARGIN_BOTTOM = 0.2
# The gap, in heights of the margin line, that parts it from the body.
MARGIN_GAP = 1.4

_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_ROMAN_PAGE = re.compile(r"^[ivxlc]+$")
# "3", "iv", "Page 3", "p. 3", "3 / 10", "Page 3 of 10", "- 3 -", "[3]".
_PAGE_NUMBER = re.compile(
    r"^[\-\u2013\u2014\[(]?\s*(?:(?:page|p\.|pg\.?|seite|s\.|p\u00e1gina|pagina)\s*)?"
    r"(?:\d{1,4}|[ivxlcdm]{1,7})"
    r"(?:\s*(?:/|of|von|de|sur|di)\s*\d{1,4})?\s*[\-\u2013\u2014\])]?$",
    re.IGNORECASE,
)
# Dot leaders at the end of a contents entry: ". . . . ." or "......" or "…".
_LEADERS = re.compile(r"\s*(?:[.\u2026\u00b7]\s*){2,}$")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]{3,}")
_ARABIC_PAGE = re.compile(r"^\d{1,4}$")

T = TypeVar("T")


@dataclass(slots=True)
class Line:
    text: str
    bbox: Bbox
    size: float  # dominant font size by character count, rounded to 0.5 pt
    bold: bool  # most characters bold
    toc: bool = False  # a contents entry: text, then its page number
    bullet: bool = False  # a list item's first line, its marker drawn apart (list_markers)

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
            if not any(s["text"].strip() for s in spans):
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
            # MuPDF yields NUL for glyphs it cannot map to Unicode: a replacement
            # character keeps the gap visible. Ligatures expanded, other control
            # characters out, footnote digits as superscripts.
            text = "".join(span_texts(spans, size)).replace("\x00", "\ufffd")
            stripped = clean_text(text).strip()
            if not stripped:
                continue
            lines.append(Line(" ".join(stripped.split()), tuple(raw["bbox"]), size, bold_chars * 2 > total))  # type: ignore[arg-type]
    return lines


def running_key(text: str) -> str:
    """Normalize a header/footer line so "Page 3 of 9" and "Page 4 of 9" match."""
    text = _SPACES.sub(" ", text.strip().lower())
    if _ROMAN_PAGE.match(text):
        return "#"
    return _DIGITS.sub("#", text)


def is_page_number(text: str) -> bool:
    """A line that is only a page number: "3", "iv", "Page 3 of 9", "- 3 -"."""
    return len(text) <= 24 and _PAGE_NUMBER.match(text.strip()) is not None


def toc_entry(line: Line) -> str | None:
    """The text of a contents entry ("Methods 7" for "Methods . . . . 7"), else None."""
    head, _, tail = line.text.rpartition(" ")
    if not head or not is_page_number(tail) or not (line.toc or _LEADERS.search(head)):
        return None
    title = _LEADERS.sub("", head)
    return f"{title} {tail}" if has_letter(title) else None


def has_letter(text: str) -> bool:
    return _LETTER.search(text) is not None


def margin_zones(lines: list[Line], page_height: float) -> list[str | None]:
    """ "top", "bottom" or None for each of a page's lines.

    A line is in the margin when it lies in the outer RUNNING_BAND, or lies
    within MARGIN_TOP/MARGIN_BOTTOM of the edge with nothing but margin lines
    between it and the edge and a clear gap between it and the body.
    """
    zones: list[str | None] = [running_zone(ln.bbox, page_height) for ln in lines]
    if not lines:
        return zones
    order = sorted(range(len(lines)), key=lambda i: lines[i].bbox[1])
    # Bottom: walk up from the lowest line; each line whose top clears the
    # lowest bottom of everything above it by a gap opens a margin below it.
    limit = page_height * (1 - MARGIN_BOTTOM)
    bottoms_above = [0.0] * len(order)
    highest = -1e9
    for pos, i in enumerate(order):
        bottoms_above[pos] = highest
        highest = max(highest, lines[i].bbox[3])
    cut = None
    for pos in range(len(order) - 1, -1, -1):
        b = lines[order[pos]].bbox
        if b[1] < limit:
            break
        if b[1] - bottoms_above[pos] >= (b[3] - b[1]) * MARGIN_GAP:
            cut = pos
    if cut is not None:
        for pos in range(cut, len(order)):
            zones[order[pos]] = "bottom"
    # Top: the mirror image.
    limit = page_height * MARGIN_TOP
    tops_below = [0.0] * len(order)
    lowest = 1e9
    for pos in range(len(order) - 1, -1, -1):
        tops_below[pos] = lowest
        lowest = min(lowest, lines[order[pos]].bbox[1])
    cut = None
    for pos in range(len(order)):
        b = lines[order[pos]].bbox
        if b[3] > limit:
            break
        if tops_below[pos] - b[3] >= (b[3] - b[1]) * MARGIN_GAP:
            cut = pos
    if cut is not None:
        for pos in range(cut + 1):
            if zones[order[pos]] is None:
                zones[order[pos]] = "top"
    return zones


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
                    prev.toc or line.toc,
                    prev.bullet,
                )
                continue
        merged.append(line)
    return merged


def join_toc_numbers(lines: list[Line]) -> list[Line]:
    """Join each lone page number to the text far left of it on its row.

    A contents page sets its page numbers flush right, far from the entries:
    left alone they look like a second column (and the gutter search would
    read them after all entries). "Methods . . . . 7" or "Methods" with a wide
    gap before "7" becomes one line "Methods 7" marked `toc`. Runs before
    reading order, once per page; costs nothing on pages without lone numbers.
    """
    numbers = [i for i, ln in enumerate(lines) if _ARABIC_PAGE.match(ln.text)]
    if not numbers:
        return lines
    right_edge = max(ln.bbox[2] for ln in lines)
    out = list(lines)
    dropped: set[int] = set()
    for n in numbers:
        num = lines[n]
        best = None
        for i, ln in enumerate(out):
            if i == n or i in dropped or ln.bbox[2] > num.bbox[0]:
                continue
            if abs(ln.bbox[3] - num.bbox[3]) >= max(ln.size, num.size) * 0.3:
                continue
            if best is None or ln.bbox[2] > out[best].bbox[2]:
                best = i
        if best is None:
            continue
        entry = out[best]
        gap = num.bbox[0] - entry.bbox[2]
        leaders = _LEADERS.search(entry.text) is not None
        if not _WORD.search(entry.text) and not leaders:
            continue
        size = max(entry.size, num.size)
        # Without leaders: flush right on the page, after a wide gap, and after
        # a title (an index entry "Homotopy, 47" ends in a number or a comma).
        if not leaders and (
            gap <= size * 4 or num.bbox[2] < right_edge - size * 2 or not _LETTER.match(entry.text[-1])
        ):
            continue
        title = _LEADERS.sub("", entry.text) or entry.text
        out[best] = Line(
            f"{title} {num.text}",
            (entry.bbox[0], min(entry.bbox[1], num.bbox[1]), num.bbox[2], max(entry.bbox[3], num.bbox[3])),
            entry.size,
            entry.bold,
            True,
        )
        dropped.add(n)
    return [ln for i, ln in enumerate(out) if i not in dropped]


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
    "has_letter",
    "is_page_number",
    "join_toc_numbers",
    "margin_zones",
    "merge_fragments",
    "page_lines",
    "reading_order",
    "running_key",
    "running_zone",
    "toc_entry",
]
