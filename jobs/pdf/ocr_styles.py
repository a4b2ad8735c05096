"""An OCR page's sizes put on the document's type scale, so that the profile's
heading levels apply to it as they do to a text page.

A scanned page's settled sizes (see ocr_sizes) are in points, but estimated:
14 pt comes back as 14.5 or 15, and never bold. The document profile knows
the real styles when other pages have a text layer, or when it read a scanned
page itself (`profile_document` with options). `fit_ocr_page` scales the page
so its body size is the document's, then gives each size the document style
it is within SNAP of (the same size is then the same level on every page);
a size the document does not know keeps its scaled value and is ranked among
the known ones by `DocumentProfile.heading_level`, like a rare style of a
sampled text document.

Bold styles at body size are left out of the match: OCR cannot see bold, and
a body line must not become a bold heading by size alone.

When the document profile knows nothing (no text layer in its sample and no
OCR reading), the page is its own reference: its profile comes from its own
lines, through the same `build_profile` as a document's.
"""

from __future__ import annotations

import dataclasses
import math

from jobs.pdf.layout import Line
from jobs.pdf.ocr_sizes import OCR_HEADING_RATIO, SNAP, OcrPage
from jobs.pdf.profile import DocumentProfile, Style, profile_page

# On a page with too little text to know its own body size (a cover, a table, a
# figure), only text this much bigger than the document's body is taken as larger:
# a cover's title, not a table's cells in boxes swollen by their rules.
_UNMEASURED_RATIO = 1.5


def _targets(document: DocumentProfile) -> list[Style]:
    """The document's styles an OCR size can be: body, headings and title,
    without the ones only bold sets apart from body text."""
    body = document.body_size
    assert body is not None
    styles: list[Style] = [(body, False)]
    for style in (*document.heading_styles, document.title_style):
        if style is not None and style[0] > body * (1 + SNAP) and style not in styles:
            styles.append(style)
    return styles


def _style_for(size: float, document: DocumentProfile, targets: list[Style], measured: bool) -> Style:
    """The document style for a size on its scale; `measured` False when the
    page had too little text to measure its own body size against."""
    body = document.body_size
    assert body is not None
    if size <= 0 or (not measured and size < body * _UNMEASURED_RATIO):
        return (body, False)
    nearest = min(targets, key=lambda s: abs(math.log(size / s[0])))
    if abs(math.log(size / nearest[0])) <= math.log(1 + SNAP):
        return nearest
    if size < body * OCR_HEADING_RATIO and size > body / (1 + SNAP):
        return (body, False)  # above body text, but not by enough to trust
    return (round(size * 2) / 2, False)


def fit_ocr_page(
    reading: OcrPage, document: DocumentProfile, number: int, page_width: float, page_height: float
) -> tuple[list[Line], DocumentProfile]:
    """The page's lines in the document's styles, and the profile to build the page with."""
    lines = list(reading.lines)
    if document.body_size is None:
        if reading.body_size is None:
            return lines, dataclasses.replace(DocumentProfile(), running=document.running)
        local = profile_page(number, lines, page_width, page_height)
        return lines, dataclasses.replace(local, running=document.running)
    scale = document.body_size / reading.body_size if reading.body_size else 1.0
    targets = _targets(document)
    styles: dict[float, Style] = {}
    for ln in lines:
        if ln.size not in styles:
            body_line = reading.body_size is not None and ln.size == reading.body_size
            styles[ln.size] = (
                (document.body_size, False)
                if body_line
                else _style_for(ln.size * scale, document, targets, reading.body_size is not None)
            )
    fitted = [Line(ln.text, ln.bbox, *styles[ln.size], ln.toc) for ln in lines]
    if number == 1 and document.title_style is None:
        # Page 1 was not read for the profile (a scanned cover of a digital document):
        # its own largest text is the title, as build_profile would find it.
        title = profile_page(number, fitted, page_width, page_height).title_style
        if title is not None:
            document = dataclasses.replace(document, title_style=title)
    return fitted, document


__all__ = ["fit_ocr_page"]
