"""The whole extraction: inspect, profile, extract page chunks, assemble.

The worker (`jobs.documents`) drives the same steps itself so it can publish
progress between them; `run_pipeline` strings them together for
`docat process` and the benchmarks. With an executor the chunks run in its
processes (PyMuPDF is not thread-safe: use a ProcessPoolExecutor); without one
they run inline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, as_completed
from pathlib import Path

from jobs.pdf.analyze import PdfInspection, inspect_document, open_pdf
from jobs.pdf.content import ContentMetadata, ExtractedContent, PageContent
from jobs.pdf.continued_tables import link_continued_tables
from jobs.pdf.errors import BadPdfOptions, TooManyPages
from jobs.pdf.extract import extract_pages
from jobs.pdf.ocr import check_language
from jobs.pdf.options import ExtractOptions
from jobs.pdf.profile import DocumentProfile, profile_document

# Pages per task. A pool process keeps the file open between chunks, so a
# chunk costs little beyond its pages: a few chunks per worker balance the
# load, and the cap keeps progress streaming on huge documents.
MAX_CHUNK = 50
CHUNKS_PER_WORKER = 4


def plan_chunks(page_numbers: Sequence[int], workers: int, max_chunk: int = MAX_CHUNK) -> list[list[int]]:
    """Split pages into consecutive chunks, about `CHUNKS_PER_WORKER` per worker,
    none over `max_chunk`, sizes differing by at most one page.

    Consecutive pages share fonts and resources, so a chunk of neighbours is
    cheaper to open and extract than a scattered one.
    """
    pages = list(page_numbers)
    if not pages:
        return []
    count = max(1, workers) * CHUNKS_PER_WORKER
    count = max(count, math.ceil(len(pages) / max(1, max_chunk)))
    count = min(count, len(pages))
    size, extra = divmod(len(pages), count)
    chunks: list[list[int]] = []
    start = 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        chunks.append(pages[start:end])
        start = end
    return chunks


def assemble(
    pages: Sequence[PageContent],
    *,
    page_count: int,
    metadata_title: str | None = None,
    extraction_ms: int = 0,
) -> ExtractedContent:
    """Put pages (in any order) together: title, blocks by page, totals.

    Can be called again after LLM OCR replaced some pages' blocks.
    """
    ordered = sorted(pages, key=lambda p: p.page)
    link_continued_tables(ordered)
    blocks = [b for p in ordered for b in p.blocks]
    title = metadata_title or next((b.text for b in blocks if b.type == "TITLE"), None)
    confidence = sum(p.confidence for p in ordered) / len(ordered) if ordered else 1.0
    metadata = ContentMetadata(
        word_count=sum(p.word_count for p in ordered),
        extraction_ms=extraction_ms,
        confidence=confidence,
        ocr_pages=[p.page for p in ordered if p.ocr],
    )
    return ExtractedContent(
        title=title,
        page_count=page_count,
        blocks=blocks,
        metadata=metadata,
        llm_ocr_pages=[p.page for p in ordered if p.needs_llm_ocr],
        warnings=[f"page {p.page}: {w}" for p in ordered for w in p.warnings],
    )


def select_pages(
    inspection: PdfInspection, options: ExtractOptions, max_pages: int | None = None
) -> list[int]:
    pages = list(options.pages) if options.pages else list(range(1, inspection.page_count + 1))
    beyond = [p for p in pages if p > inspection.page_count]
    if beyond:
        raise BadPdfOptions(f"page {beyond[0]} is past the last page ({inspection.page_count})")
    if max_pages is not None and len(pages) > max_pages:
        raise TooManyPages(f"{len(pages)} pages to process; the limit is {max_pages}")
    return pages


def _selected(options: ExtractOptions, page_count: int, max_pages: int | None) -> list[int]:
    return select_pages(PdfInspection(page_count, "STRUCTURED", []), options, max_pages)


def run_pipeline(
    path: str | Path,
    options: ExtractOptions,
    *,
    executor: Executor | None = None,
    workers: int = 1,
    on_page: Callable[[PageContent], None] | None = None,
    max_pages: int | None = None,
    timeout: float | None = None,
    inspection: PdfInspection | None = None,
) -> ExtractedContent:
    """Inspect, profile and extract `path`; `timeout` (seconds) bounds the wait
    for the executor's chunks (concurrent.futures.TimeoutError past it).

    A caller that has inspected the file already passes its `inspection`. With
    an executor the profile runs in a pool process while this one inspects,
    and every call there keeps the file open for the next (`kept_document`).
    """
    started = time.perf_counter()
    profiled: Future[DocumentProfile] | None = None
    if inspection is None:
        with open_pdf(path, options.password) as doc:
            if executor is not None:
                # The page count is enough to choose the pages: profile them meanwhile.
                pages = _selected(options, doc.page_count, max_pages)
                profiled = executor.submit(
                    profile_document, str(path), options.password, pages, True, options
                )
            inspection = inspect_document(doc)
    pages = select_pages(inspection, options, max_pages)
    if options.engine == "OCR" or (options.engine == "AUTO" and any(inspection.needs_ocr(p) for p in pages)):
        check_language(options.ocr_language)  # fail fast, before the first chunk
    if profiled is not None:
        profile = profiled.result(timeout=timeout)
    elif executor is not None:
        profile = executor.submit(profile_document, str(path), options.password, pages, True, options).result(
            timeout
        )
    else:
        profile = profile_document(path, options.password, pages, options=options)
    chunks = plan_chunks(pages, workers if executor else 1)

    results: list[PageContent] = []

    def collect(chunk_result: list[PageContent]) -> None:
        for page in chunk_result:
            results.append(page)
            if on_page:
                on_page(page)

    if executor is None:
        for chunk in chunks:
            collect(extract_pages(path, options.password, chunk, options, profile))
    else:
        futures = [
            executor.submit(extract_pages, str(path), options.password, c, options, profile, True)
            for c in chunks
        ]
        for future in as_completed(futures, timeout=timeout):
            collect(future.result())

    return assemble(
        results,
        page_count=inspection.page_count,
        metadata_title=inspection.title,
        extraction_ms=int((time.perf_counter() - started) * 1000),
    )


__all__ = ["assemble", "plan_chunks", "run_pipeline", "select_pages"]
