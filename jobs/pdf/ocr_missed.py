"""Text Tesseract dropped, read again on its own.

MuPDF runs Tesseract in its default page segmentation mode, a single uniform
block of text (no API to change it). On a page of body text, a line set much
larger, typically the title, sometimes comes back missing altogether: the
block's line finder takes it for something else. Tesseract reads the same
line at once when it is OCRed alone.

So after the page's OCR, `missed_lines` looks for bands of ink that no OCR
line covers, in a small grey rendering of the page (a few milliseconds), and
OCRs each band on its own. Bands shorter than a line of small print or taller
than a two-line title are left alone (specks, rules, figures), and what comes
back counts only if it reads as words: a figure's marks are no text.
"""

from __future__ import annotations

import pymupdf

from jobs.pdf.layout import Line, page_lines
from jobs.pdf.ocr import OCR_DPI, check_language, estimate_confidence

_PROBE_DPI = 50
# A row of the probe is inked when this share of its pixels is dark (specks are not).
_INKED_SHARE = 0.01
_DARK = bytes(1 if value < 128 else 0 for value in range(256))
# Bands of missed ink worth reading, in points.
_MIN_BAND = 6.0
_MAX_BAND = 72.0
# Space kept around a band when it is OCRed, in points.
_PAD = 3.0
_MAX_BANDS = 4


def _inked_rows(page: pymupdf.Page) -> tuple[list[bool], float]:
    """Which rows of a small grey rendering hold ink, and the points per row."""
    pix = page.get_pixmap(dpi=_PROBE_DPI, colorspace=pymupdf.csGRAY, alpha=False)
    samples, width, stride = pix.samples, pix.width, pix.stride
    least = max(3, int(width * _INKED_SHARE))
    inked = [
        samples[y * stride : y * stride + width].translate(_DARK).count(1) >= least for y in range(pix.height)
    ]
    return inked, page.rect.height / max(pix.height, 1)


def missed_bands(page: pymupdf.Page, lines: list[Line]) -> list[tuple[float, float]]:
    """Vertical spans (top, bottom, in points) of ink that no line covers."""
    inked, step = _inked_rows(page)
    for ln in lines:
        first = max(0, int(ln.bbox[1] / step) - 1)
        last = min(len(inked), int(ln.bbox[3] / step) + 2)
        for y in range(first, last):
            inked[y] = False
    bands: list[tuple[float, float]] = []
    start: int | None = None
    for y, ink in enumerate([*inked, False]):
        if ink and start is None:
            start = y
        elif not ink and start is not None:
            if _MIN_BAND <= (y - start) * step <= _MAX_BAND:
                bands.append((start * step, y * step))
            start = None
    return bands


def _read_band(
    page: pymupdf.Page, clip: pymupdf.Rect, language: str, tessdata: str, flags: int
) -> list[Line]:
    """OCR `clip` of the page alone, as PyMuPDF's full-page OCR does the page (RGB:
    MuPDF's OCR writer reads nothing from a grey pixmap), in page coordinates."""
    pix = page.get_pixmap(dpi=OCR_DPI, clip=clip, alpha=False)
    with pymupdf.open("pdf", pix.pdfocr_tobytes(language=language, tessdata=tessdata)) as band:
        ocr_page = band[0]
        zoom = clip.width / ocr_page.rect.width
        textpage = ocr_page.get_textpage(flags=flags)
        lines = page_lines(ocr_page.get_text("dict", textpage=textpage))
    # Moved onto the page afterwards: a text page made with an offset matrix drops
    # whatever falls outside the band's own page.
    return [
        Line(
            ln.text,
            (
                clip.x0 + ln.bbox[0] * zoom,
                clip.y0 + ln.bbox[1] * zoom,
                clip.x0 + ln.bbox[2] * zoom,
                clip.y0 + ln.bbox[3] * zoom,
            ),
            ln.size * zoom,
            ln.bold,
        )
        for ln in lines
    ]


def _words(text: str) -> bool:
    return any(sum(c.isalpha() for c in w) >= 3 for w in text.split()) and estimate_confidence(text) >= 0.75


def missed_lines(page: pymupdf.Page, lines: list[Line], language: str, flags: int) -> list[Line]:
    """Lines read from the ink the page's OCR left unread (usually none)."""
    if page.rotation:
        return []  # the probe and the clips are in unrotated page space
    bands = missed_bands(page, lines)
    if not bands or len(bands) > _MAX_BANDS:
        return []  # many uncovered bands: a figure or a form, not a dropped line
    tessdata = check_language(language)
    found: list[Line] = []
    for top, bottom in bands:
        clip = pymupdf.Rect(0, top - _PAD, page.rect.width, bottom + _PAD) & page.rect
        found.extend(ln for ln in _read_band(page, clip, language, tessdata, flags) if _words(ln.text))
    return found


__all__ = ["missed_bands", "missed_lines"]
