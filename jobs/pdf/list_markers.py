"""List bullets drawn apart from their text, put back in front of it.

reportlab, Word and many exporters draw an item's bullet ("•", "1", "a)") as
a string of its own at its own x, often in another font or size. MuPDF then
gives it a line of its own, whose box (a bigger glyph, another font's
ascent) can end lower than the text's: sorted by reading order the bullet
came after its item, as a paragraph holding only "•". Here each lone marker
is joined to the first line to its right on the same row, and the joined
line is marked as a list item's first line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from jobs.pdf.layout import Line

_MARKER = re.compile(
    r"^(?:[\u2022\u25cf\u25aa\u25e6\u00b7\u2023\u2219\u25cb\u25a0\u25a1\u27a2\u25ba\u2713\uf0b7\uf0a7\uf076\uf0d8\-\*\u2013\u2014]"
    r"|\(?\d{1,3}[.)]?|\(?[a-zA-Z][.)]|\(?[ivxIVX]{1,5}[.)])$"
)
_GLYPH = re.compile(
    r"^[\u2022\u25cf\u25aa\u25e6\u00b7\u2023\u2219\u25cb\u25a0\u25a1\u27a2\u25ba\u2713\uf0b7\uf0a7\uf076\uf0d8]$"
)
_BARE_NUMBER = re.compile(r"^\(?\d{1,3}$")
# The text starts within this many of its type sizes right of the bullet.
_MAX_GAP = 4.0


def _in_sequence(lines: Sequence[Line], i: int, markers: list[int]) -> bool:
    """A bare number ("3", no "." or ")") is a list marker only next to the number
    before or after it at the same x: alone it is a formula's, a figure's or a
    table's digit."""
    number, x = int(lines[i].text.strip("()")), lines[i].bbox[0]
    for j in markers:
        other = lines[j].text
        if j != i and _BARE_NUMBER.match(other) and abs(lines[j].bbox[0] - x) <= 2:
            if abs(int(other.strip("()")) - number) == 1:
                return True
    return False


def _same_row(marker: Line, text: Line) -> bool:
    """The marker's middle lies within the text line's height, or the reverse."""
    mc = (marker.bbox[1] + marker.bbox[3]) / 2
    tc = (text.bbox[1] + text.bbox[3]) / 2
    return text.bbox[1] <= mc <= text.bbox[3] or marker.bbox[1] <= tc <= marker.bbox[3]


def attach_markers(lines: Sequence[Line]) -> list[Line]:
    """`lines` with each lone list marker joined to the text right of it (see the
    module docstring); markers with no text beside them stay as they are."""
    markers = [i for i, ln in enumerate(lines) if _MARKER.match(ln.text)]
    if not markers:
        return list(lines)
    markers = [i for i in markers if not _BARE_NUMBER.match(lines[i].text) or _in_sequence(lines, i, markers)]
    out: list[Line | None] = list(lines)
    for i in markers:
        marker = lines[i]
        best: int | None = None
        for j, ln in enumerate(lines):
            if j == i or out[j] is None or j in markers:
                continue
            gap = ln.bbox[0] - marker.bbox[2]
            if not -0.5 <= gap <= _MAX_GAP * max(ln.size, 1.0) or not _same_row(marker, ln):
                continue
            if best is None or ln.bbox[0] < lines[best].bbox[0]:
                best = j
        if best is None:
            continue
        text = lines[best]
        # A glyph bullet becomes the usual "• "; a number or letter stays as drawn.
        head = "\u2022" if _GLYPH.match(marker.text) else marker.text
        out[best] = Line(
            f"{head} {text.text}",
            (marker.bbox[0], text.bbox[1], text.bbox[2], text.bbox[3]),
            text.size,
            text.bold,
            text.toc,
            bullet=True,
        )
        out[i] = None
    return [ln for ln in out if ln is not None]


__all__ = ["attach_markers"]
