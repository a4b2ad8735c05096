"""Bounds on what one page may cost: decoded image pixels, and CPU time.

    check_image_pixels(doc, pages, max_pixels)      # at upload: PAYLOAD_TOO_LARGE before any decoding
    with page_cpu_budget(seconds, page_number):      # in the pool: PAYLOAD_TOO_LARGE past the budget
        extract_page(...)

A 1.5 MB PDF can hold an image of billions of pixels (zeros compress about
1000:1): MuPDF decodes it whole to render or OCR the page, ~30 s of CPU and
gigabytes of memory per page, for the price of one page. An image's width and
height are in its dictionary, so the decoded size is known without decoding:
pages whose images add up to more than `max_pixels` are refused at upload.

What the pixel count cannot see (inline images, vector art that takes minutes
to rasterize, a pathological font) meets the CPU budget: a profiling timer
(`ITIMER_PROF`, CPU time, not wall time) interrupts the page once it has used
`seconds` of CPU. Python checks signals between bytecodes, so a single long call
into MuPDF or Tesseract finishes before the page is stopped: the budget bounds
a page to "budget + its longest single call", which the pixel cap keeps small.
The timer only works in a process's main thread (pool processes, `docat
process`); elsewhere the budget is not applied.

Both raise PageTooCostly (PAYLOAD_TOO_LARGE): the same bytes always cost the
same, so it is never retried.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

import pymupdf

from jobs.pdf.errors import PdfError

# 200 megapixels: a 600 dpi A3 colour scan is ~70; a bomb is thousands.
DEFAULT_MAX_IMAGE_PIXELS = 200_000_000
# CPU seconds one page may use; a dense 300 dpi OCR page takes a few.
DEFAULT_PAGE_CPU_SECONDS = 60.0


class PageTooCostly(PdfError):
    code = "PAYLOAD_TOO_LARGE"


def page_image_pixels(page: pymupdf.Page) -> int:
    """Pixels the page's image XObjects decode to (soft masks included), each image counted once."""
    total = 0
    seen: set[int] = set()
    # (xref, smask, width, height, ...): from the image dictionaries, nothing is decoded.
    for xref, smask, width, height, *_ in page.get_images(full=True):
        if xref in seen:
            continue
        seen.add(xref)
        pixels = max(0, int(width)) * max(0, int(height))
        total += pixels * (2 if smask else 1)
    return total


def check_image_pixels(doc: pymupdf.Document, pages: Sequence[int], max_pixels: int) -> None:
    """PageTooCostly when any of the 1-based `pages` holds images of more than `max_pixels`."""
    for number in pages:
        pixels = page_image_pixels(doc.load_page(number - 1))
        if pixels > max_pixels:
            raise PageTooCostly(
                f"page {number} holds images of {pixels / 1e6:,.0f} megapixels; the limit is "
                f"{max_pixels / 1e6:,.0f} megapixels per page",
                page=number,
                pixels=pixels,
                maxPixels=max_pixels,
            )


class _OverBudget(BaseException):
    """Raised by the timer's handler; a BaseException so no `except Exception` in the page swallows it."""


@contextmanager
def page_cpu_budget(seconds: float | None, page_number: int) -> Iterator[None]:
    """Stop the block with PageTooCostly once it has used `seconds` of CPU (None: no budget)."""
    if not seconds or seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    armed = [True]

    def over_budget(signum: int, frame: FrameType | None) -> None:
        # Only while the page runs: a late tick after it ended must not raise anywhere else.
        if armed[0]:
            raise _OverBudget

    previous = signal.signal(signal.SIGPROF, over_budget)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
        armed[0] = False
    except _OverBudget:
        raise PageTooCostly(
            f"page {page_number} needed more than {seconds:g} s of CPU; the limit is {seconds:g} s per page",
            page=page_number,
            cpuSeconds=seconds,
        ) from None
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


__all__ = [
    "DEFAULT_MAX_IMAGE_PIXELS",
    "DEFAULT_PAGE_CPU_SECONDS",
    "PageTooCostly",
    "check_image_pixels",
    "page_cpu_budget",
    "page_image_pixels",
]
