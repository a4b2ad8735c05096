"""Processing options as the pipeline sees them (validated, password included)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Engine = Literal["AUTO", "TEXT", "OCR", "LLM_OCR"]
ENGINES: tuple[str, ...] = ("AUTO", "TEXT", "OCR", "LLM_OCR")

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")
_OCR_LANGUAGE = re.compile(r"^[a-z_]{3,}(?:\+[a-z_]{3,})*$", re.IGNORECASE)


class PageRangeError(ValueError):
    """`pages` is not of the form "1-3,7" or names no page of the document."""


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    engine: str = "AUTO"
    ocr_language: str = "eng"
    password: str | None = None
    # 1-based page numbers to process; None = all
    pages: tuple[int, ...] | None = None
    # CPU seconds one page may use (jobs.pdf.image_budget); None = no budget.
    page_cpu_seconds: float | None = 60.0


def parse_page_ranges(spec: str | None, page_count: int | None = None) -> tuple[int, ...] | None:
    """Parse "1-3,7" into sorted unique 1-based page numbers.

    With `page_count`, pages past the end are an error (a user asking for page
    12 of a 10-page PDF wants to know), not silently dropped.
    """
    if spec is None or not spec.strip():
        return None
    pages: set[int] = set()
    for part in spec.split(","):
        match = _RANGE.match(part)
        if not match:
            raise PageRangeError(f"invalid page range {part.strip()!r}; use a form like '1-3,7'")
        start = int(match.group(1))
        end = int(match.group(2) or start)
        if start < 1 or end < start:
            raise PageRangeError(f"invalid page range {part.strip()!r}; pages start at 1")
        if page_count is not None and end > page_count:
            raise PageRangeError(f"page range {part.strip()!r} is past the last page ({page_count})")
        if end - start > 100_000:
            raise PageRangeError(f"page range {part.strip()!r} is too large")
        pages.update(range(start, end + 1))
    return tuple(sorted(pages))


def is_valid_ocr_language(value: str) -> bool:
    return bool(_OCR_LANGUAGE.match(value))


__all__ = [
    "ENGINES",
    "Engine",
    "ExtractOptions",
    "PageRangeError",
    "is_valid_ocr_language",
    "parse_page_ranges",
]
