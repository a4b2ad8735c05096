"""An OCR text page's lines, made to look like a text layer's to the layout code.

MuPDF's OCR text page (Tesseract, through MuPDF's pdfocr writer) sets every
word in an invisible GlyphLessFont whose span size is the line box's height
stretched by the word's width: it varies ±15% between the words of one line
and says more about letter shapes than about the type size. Bold is never
reported.

The line box is reliable, though: Tesseract's box from the highest ink of the
line to the lowest. How much of the type size that is depends on the glyphs
the line holds ("Results" spans cap height only, ~0.73 em; "typography" cap
height and descender, ~0.94 em; "summer" the x-height alone), and the
recognized text says which glyphs are there. So `glyph_size` gives the type
size in points within a few percent (measured: Helvetica and Times, 9-24 pt,
scanned at 150-300 dpi), comparable with a text layer's font sizes.

MuPDF may cut one Tesseract line into several (at wide word gaps, a tab, a
column gutter): the pieces share the line's box, so they are measured
together as one `Row`.

`mark_bullets` turns the glyphs Tesseract reads list bullets as ("¢", "@",
"e", "«", ...) into "•" where two items of one list agree. What the sizes are
worth is decided in ocr_sizes, which reads pages with this module.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from jobs.pdf.content import Bbox
from jobs.pdf.layout import Line

# Glyphs reaching cap height (or near it: i and j dots, accents) and glyphs
# reaching below the baseline, by how far.
_ASCENDING = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789bdfhklij!?#$%&/\\|()[]{}'\"§@"
_ACCENTED = "ÄÖÜÀÁÂÉÈÊÍÓÔÚÛÇÑäöüàáâéèêëíìîïóòôúùûñßç"
_TALL = frozenset(_ASCENDING + _ACCENTED)
_DEEP = frozenset("gjpqyç()[]{}|@$§")
_SHALLOW = frozenset(",;Q")
# Heights in em (Helvetica and Times average; only ratios matter downstream).
_CAP = 0.73
_T_ONLY = 0.64  # "t" is shorter than the other ascenders
_DESCENDER = 0.21
_SHALLOW_DESCENDER = 0.08

# What Tesseract reads a bullet glyph as, besides the bullets the list pattern
# already knows ("-", "*", "•"): "¢" and "@" for • and ●, "e", "«", "°", "©",
# "®" and "o"/"O" for round ones. Letters qualify only before a capital.
_SYMBOL_MISREADS = frozenset("¢@«»°©®+=>~")
_LETTER_MISREADS = frozenset("eocO0")
_BULLET = "\u2022"


def glyph_size(text: str, height: float) -> float | None:
    """The type size of a line of OCR text whose ink is `height` points tall;
    None when only x-height letters are present (their height varies too much
    between typefaces to tell a size from)."""
    chars = set(text)
    if chars & _TALL:
        top = _CAP
    elif "t" in chars:
        top = _T_ONLY
    else:
        return None
    if chars & _DEEP:
        bottom = _DESCENDER
    elif chars & _SHALLOW:
        bottom = _SHALLOW_DESCENDER
    else:
        bottom = 0.0
    return height / (top + bottom)


@dataclass(frozen=True, slots=True)
class Row:
    """One Tesseract line: the indices of its pieces in the page's lines (left to
    right) and what they share."""

    members: tuple[int, ...]
    text: str  # the pieces' texts joined
    bbox: Bbox
    size: float | None  # glyph_size of the whole row
    ink: float  # summed width of the pieces (the gaps between them left out)
    widest_gap: float  # between two neighbouring pieces; 0.0 for one piece

    @property
    def chars(self) -> int:
        return len(self.text) - self.text.count(" ")


def page_rows(lines: Sequence[Line]) -> list[Row]:
    """The page's lines grouped into the Tesseract lines they came from, top to bottom."""
    by_box: dict[tuple[float, float], list[int]] = {}
    for i, ln in enumerate(lines):
        by_box.setdefault((round(ln.bbox[1], 1), round(ln.bbox[3], 1)), []).append(i)
    rows = []
    for members in by_box.values():
        members.sort(key=lambda i: lines[i].bbox[0])
        pieces = [lines[i] for i in members]
        text = " ".join(p.text for p in pieces)
        x0, y0 = pieces[0].bbox[0], min(p.bbox[1] for p in pieces)
        x1, y1 = max(p.bbox[2] for p in pieces), max(p.bbox[3] for p in pieces)
        gaps = [b.bbox[0] - a.bbox[2] for a, b in itertools.pairwise(pieces)]
        rows.append(
            Row(
                tuple(members),
                text,
                (x0, y0, x1, y1),
                glyph_size(text, y1 - y0),
                sum(p.bbox[2] - p.bbox[0] for p in pieces),
                max(gaps, default=0.0),
            )
        )
    rows.sort(key=lambda r: (r.bbox[1], r.bbox[0]))
    return rows


def _misread_marker(token: str, rest: str) -> bool:
    """Whether `token` (before `rest`) can be a bullet Tesseract misread: one or
    two of the usual misreads; letters only before a capital ("e Copper")."""
    if not 0 < len(token) <= 2 or not rest[:1].isalnum():
        return False
    if all(c in _SYMBOL_MISREADS for c in token):
        return True
    return all(c in _SYMBOL_MISREADS or c in _LETTER_MISREADS for c in token) and rest[0].isupper()


def _marker(i: int, lines: Sequence[Line]) -> bool:
    """Whether line `i` starts with a possible misread bullet. A bullet set apart
    from its text by a tab comes as a line of its own: its text is then the line
    just right of it on the same row."""
    ln = lines[i]
    token, _, rest = ln.text.partition(" ")
    if not rest:
        height = ln.bbox[3] - ln.bbox[1]
        beside = [
            other
            for other in lines
            if other is not ln
            and abs(other.bbox[1] - ln.bbox[1]) < height * 0.3
            and 0 <= other.bbox[0] - ln.bbox[2] < height * 2
        ]
        if not beside:
            return False
        rest = min(beside, key=lambda other: other.bbox[0]).text
    return _misread_marker(token, rest)


def mark_bullets(lines: Sequence[Line]) -> list[Line]:
    """Misread bullets made "•" where two items of one list agree: both start
    with a possible misread, at the same indent, a few lines apart.

    One item alone is left as read: "e" and "o" are words in some languages,
    "©" starts copyright lines, and a missed bullet costs less than a paragraph
    made a list.
    """
    candidates = [i for i in range(len(lines)) if _marker(i, lines)]
    if len(candidates) < 2:
        return list(lines)
    out = list(lines)
    for i in candidates:
        ln = lines[i]
        height = max(ln.bbox[3] - ln.bbox[1], 1.0)
        if any(
            j != i
            and abs(lines[j].bbox[0] - ln.bbox[0]) <= height * 0.5
            and abs(lines[j].bbox[1] - ln.bbox[1]) <= height * 8
            for j in candidates
        ):
            _, space, rest = ln.text.partition(" ")
            out[i] = dataclasses.replace(ln, text=_BULLET + space + rest)
    return out


__all__ = ["Row", "glyph_size", "mark_bullets", "page_rows"]
