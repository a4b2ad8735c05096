"""The extraction stage: a document's pages, chunk by chunk, across the process pool.

Pages are split into chunks of neighbours (`plan_chunks`): text pages up to
MAX_CHUNK per chunk, pages that need OCR (seconds each) at most
OCR_MAX_CHUNK, so progress moves and a cancelled job leaves little running
work behind. At most `IN_FLIGHT_PER_PROCESS` chunks per pool process are
submitted at once: a 1,000-page document never has more than a few chunks'
pages in memory, and each chunk's pages are saved (and published) as soon as
it returns.

Cancelling the caller cancels the chunks not yet started; the ones running
finish in their processes and are discarded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from jobs.pdf.analyze import PdfInspection
from jobs.pdf.content import PageContent
from jobs.pdf.extract import extract_pages
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import MAX_CHUNK, plan_chunks
from jobs.pdf.profile import DocumentProfile

if TYPE_CHECKING:
    # Only a type: pool processes import this module (jobs/analyze_in_pool.py) without docat's settings.
    from docat.resources import PdfRunner

OCR_MAX_CHUNK = 2
IN_FLIGHT_PER_PROCESS = 2

OnChunk = Callable[[list[PageContent]], Awaitable[None]]


def needs_ocr(inspection: PdfInspection, options: ExtractOptions, page: int) -> bool:
    if options.engine == "OCR":
        return True
    return options.engine == "AUTO" and inspection.needs_ocr(page)


def chunk_pages(
    pages: Sequence[int], inspection: PdfInspection, options: ExtractOptions, workers: int
) -> list[list[int]]:
    """Chunks in page order; OCR pages in small chunks of their own."""
    text = [p for p in pages if not needs_ocr(inspection, options, p)]
    ocr = [p for p in pages if needs_ocr(inspection, options, p)]
    chunks = plan_chunks(text, workers, MAX_CHUNK) + plan_chunks(ocr, workers, OCR_MAX_CHUNK)
    return sorted(chunks, key=lambda c: c[0])


async def extract_chunks(
    pool: PdfRunner,
    source: Path,
    password: str | None,
    chunks: Sequence[list[int]],
    options: ExtractOptions,
    profile: DocumentProfile,
    on_chunk: OnChunk,
) -> None:
    """Run every chunk in the pool, a bounded number at a time; `on_chunk` gets each result."""
    limit = max(2, pool.workers * IN_FLIGHT_PER_PROCESS)
    running: set[asyncio.Task[list[PageContent]]] = set()

    async def collect(when: str) -> None:
        nonlocal running
        done, running = await asyncio.wait(running, return_when=when)
        # Chunks in page order within one wake-up, so events mostly go forward.
        for task in sorted(done, key=lambda t: t.get_name()):
            await on_chunk(task.result())  # a chunk's error (an unreadable page) ends the stage

    try:
        for number, chunk in enumerate(chunks):
            if len(running) >= limit:
                await collect(asyncio.FIRST_COMPLETED)
            task = asyncio.create_task(
                pool.run(extract_pages, str(source), password, chunk, options, profile),
                name=f"chunk-{number:06d}",
            )
            running.add(task)
        while running:
            await collect(asyncio.FIRST_COMPLETED)
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
