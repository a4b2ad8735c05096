"""Text as people search and read it: no ligature glyphs, no control characters,
footnote markers set apart from the numbers they follow, letter-spaced words
put back together.

- Ligatures: fonts map "fi", "ffi"... to one glyph and MuPDF keeps it (ﬁ, ﬃ)
  unless told not to; a search for "office" then misses "o\ufb03ce". Only the
  ligature code points go through NFKC, which leaves every other character
  (full-width forms, superscripts) as it is.
- Control characters: MuPDF yields NUL for glyphs it cannot map, broken
  fonts map glyphs (often a space) to C0 codes, and titles carry NUL or other
  controls from broken producers; each becomes a space (callers collapse
  whitespace), so words on either side stay apart.
- Superscripts: a footnote marker after a number ("273.87" then a raised, smaller
  "1") was read as one number ("273.871"); digits and signs set raised and
  smaller are written as Unicode superscripts ("273.87¹").
- Letter spacing: text set with wide tracking comes out one glyph per word
  ("H e a d i n g"); such a line is re-read glyph by glyph and split into words
  where the gaps are wider than the tracking.
"""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from collections.abc import Sequence
from typing import Any

import pymupdf

_LIGATURES = re.compile("[\ufb00-\ufb06]")
# C0 and C1 controls except tab, newline and carriage return (whitespace handled elsewhere).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# Digits only: footnote markers. Raised signs and brackets are formulas' business,
# and a lowered subscript's bracket can look raised next to a subscript baseline.
_SUPERSCRIPTABLE = re.compile(r"^[0-9]{1,3}$")
# A span this much smaller than its line's type, raised by this share of the size, is superscript.
_SMALLER = 0.85
_RAISED = 0.15
# A line of at least this many tokens, this share of them one glyph long, is letter-spaced.
_SPACED_MIN_TOKENS = 4
_SPACED_SHARE = 0.8


def clean_text(text: str) -> str:
    """Ligatures expanded, control characters turned into spaces."""
    if _LIGATURES.search(text):
        text = _LIGATURES.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return _CONTROLS.sub(" ", text)


def span_texts(spans: Sequence[dict[str, Any]], size: float) -> list[str]:
    """Each span's text, raised small digits written as superscripts (`size` is the
    line's dominant type size)."""
    if len(spans) < 2:
        return [s["text"] for s in spans]
    # The baseline of the line's main text: its longest span at the line's size.
    main = max(spans, key=lambda s: len(s["text"].strip()) * (s["size"] >= size - 0.5))
    baseline = main["origin"][1]
    out = []
    for s in spans:
        text = s["text"]
        raised = s["flags"] & pymupdf.TEXT_FONT_SUPERSCRIPT or (
            s["size"] <= size * _SMALLER and s["origin"][1] < baseline - size * _RAISED
        )
        if raised and _SUPERSCRIPTABLE.match(text.strip() or "x"):
            text = text.strip().translate(_SUPERSCRIPTS)
        out.append(text)
    return out


def is_letter_spaced(text: str) -> bool:
    """One glyph per word, letters mostly: "H e a d i n g" (not "a + b = c")."""
    tokens = text.split()
    if len(tokens) < _SPACED_MIN_TOKENS:
        return False
    single = sum(1 for t in tokens if len(t) == 1 and t.isalnum())
    return single >= len(tokens) * _SPACED_SHARE


def respace(page: pymupdf.Page, bbox: tuple[float, float, float, float]) -> str | None:
    """The text in `bbox` with words parted where the gap between glyphs is wider
    than the tracking; None when the glyphs cannot be read."""
    raw = page.get_text("rawdict", clip=pymupdf.Rect(bbox), flags=0)
    # The clip takes glyphs that only touch the box too (the lines above and below):
    # only those whose middle is inside count.
    chars = [
        c
        for block in raw.get("blocks", ())
        for line in block.get("lines", ())
        for span in line.get("spans", ())
        for c in span.get("chars", ())
        if c["c"].strip() and bbox[1] < (c["bbox"][1] + c["bbox"][3]) / 2 < bbox[3]
    ]
    if len(chars) < 2:
        return None
    chars.sort(key=lambda c: c["bbox"][0])
    gaps = [b["bbox"][0] - a["bbox"][2] for a, b in itertools.pairwise(chars)]
    tracking = statistics.median(gaps)
    height = statistics.median(c["bbox"][3] - c["bbox"][1] for c in chars)
    # A word gap is the tracking plus a space: wider by a good part of a glyph's height.
    threshold = tracking + max(height * 0.18, 0.8)
    out = chars[0]["c"]
    for gap, c in zip(gaps, chars[1:], strict=True):
        out += (" " if gap > threshold else "") + c["c"]
    return out


__all__ = ["clean_text", "is_letter_spaced", "respace", "span_texts"]
