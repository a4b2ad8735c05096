"""Local OCR: Tesseract through PyMuPDF's OCR text page.

MuPDF renders the page and hands it to its built-in Tesseract, so the result
is an ordinary TextPage read with the same `get_text("dict")` code as a text
layer. MuPDF does not expose Tesseract's word confidences, so confidence is
estimated from how word-like the recognized tokens are (OCR garbage is full
of stray symbols and broken tokens).
"""

from __future__ import annotations

import functools
import glob
import os
import re
from pathlib import Path

import pymupdf

from jobs.pdf.errors import BadPdfOptions

OCR_DPI = 300  # Tesseract is trained on ~300 dpi scans

# Where distributions put tessdata, newest Tesseract first.
_TESSDATA_GLOBS = (
    "/usr/share/tesseract-ocr/*/tessdata",
    "/usr/share/tesseract-ocr/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/usr/local/share/tesseract-ocr/*/tessdata",
    "/opt/homebrew/share/tessdata",
)
_WORDLIKE = re.compile(r"^[(\[\"'\u2018\u201c]*[\w][\w'\u2019.,\-/%&]*[)\]\"'\u2019\u201d.,;:!?%]*$")


class OcrUnavailable(BadPdfOptions):
    """Tesseract or one of the requested languages is not installed."""


@functools.cache
def find_tessdata() -> str | None:
    """The Tesseract language folder, or None when Tesseract is not installed.

    TESSDATA_PREFIX is Tesseract's own variable, honored as Tesseract would;
    otherwise the usual install locations are searched (sorted so the highest
    version wins), and finally PyMuPDF's own probe (which shells out, hence last).
    """
    env = os.environ.get("TESSDATA_PREFIX")
    if env and Path(env).is_dir():
        return env
    for pattern in _TESSDATA_GLOBS:
        for candidate in sorted(glob.glob(pattern), reverse=True):
            if glob.glob(os.path.join(candidate, "*.traineddata")):
                return candidate
    try:
        return str(pymupdf.get_tessdata())
    except Exception:
        return None


def available_languages() -> list[str]:
    tessdata = find_tessdata()
    if not tessdata:
        return []
    return sorted(Path(p).stem for p in glob.glob(os.path.join(tessdata, "*.traineddata")))


def check_language(language: str) -> str:
    """Return the tessdata folder if every language in "eng+deu" is installed."""
    tessdata = find_tessdata()
    if not tessdata:
        raise OcrUnavailable("OCR is not available: Tesseract is not installed")
    installed = set(available_languages())
    missing = [lang for lang in language.split("+") if lang not in installed]
    if missing:
        available = ", ".join(sorted(installed)) or "none"
        raise OcrUnavailable(f"OCR language(s) not installed: {', '.join(missing)}; available: {available}")
    return tessdata


def ocr_textpage(page: pymupdf.Page, language: str, flags: int, dpi: int = OCR_DPI) -> pymupdf.TextPage:
    """OCR the whole rendered page (full=True also reads images of text on pages
    that have some text elsewhere)."""
    tessdata = check_language(language)
    return page.get_textpage_ocr(flags=flags, language=language, dpi=dpi, full=True, tessdata=tessdata)


def estimate_confidence(text: str) -> float:
    """Share of tokens that look like words or numbers; 0.0 for an empty page."""
    tokens = text.split()
    if not tokens:
        return 0.0
    good = sum(1 for t in tokens if _WORDLIKE.match(t))
    return round(good / len(tokens), 4)


__all__ = [
    "OCR_DPI",
    "OcrUnavailable",
    "available_languages",
    "check_language",
    "estimate_confidence",
    "find_tessdata",
    "ocr_textpage",
]
