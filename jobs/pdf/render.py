"""A page as a PNG, for the LLM OCR provider's vision model."""

from __future__ import annotations

from pathlib import Path

from jobs.pdf.analyze import open_pdf

DEFAULT_DPI = 150  # legible for vision models, and a few hundred KB per A4 page


def render_page_png(
    path: str | Path, password: str | None, page_number: int, dpi: int = DEFAULT_DPI
) -> bytes:
    """Render the 1-based `page_number` without alpha (a transparent page reads as black to some models)."""
    with open_pdf(path, password) as doc:
        if not 1 <= page_number <= doc.page_count:
            raise ValueError(f"page {page_number} is not in 1..{doc.page_count}")
        pix = doc.load_page(page_number - 1).get_pixmap(dpi=dpi, alpha=False)
        return pix.tobytes("png")


__all__ = ["render_page_png"]
