"""The ANALYZING stage's PDF work as one call into the process pool.

    analysis = await pool.run(analyze_pdf, str(path), password, pages_spec, options, pool.workers)

A job inspects the PDF (page count, text layer per page), works out the pages
it will extract, and profiles them (fonts, running lines). All of it is
PyMuPDF work, so it runs in the pool; as separate calls it cost a hand-off
each, which for a short document takes longer than the work itself. Here the
pool process picks the pages the way the job does (`parse_page_ranges`
against the inspected page count, `select_pages`), so one call brings back
all three. When the range is bad the profile is left out: the job reports the
error from its own parse, exactly as before.

When the whole extraction would be a single chunk of text pages (a 1-page
document: `chunk_pages` gives several chunks as soon as there are pages to
share between processes), that chunk is extracted in the same call too, and
the job saves and publishes it in its extraction stage as it would a chunk it
sent. Pages that need OCR never are: the job checks the OCR languages first.

Pure and synchronous, importing only what jobs.pdf does: it runs in pool
processes (preloaded by jobs/process_pool.py).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from jobs.extract_in_pool import chunk_pages, needs_ocr
from jobs.pdf.analyze import PdfInspection, inspect_pdf
from jobs.pdf.content import PageContent
from jobs.pdf.errors import BadPdfOptions
from jobs.pdf.extract import extract_pages
from jobs.pdf.options import ExtractOptions, PageRangeError, parse_page_ranges
from jobs.pdf.pipeline import select_pages
from jobs.pdf.profile import DocumentProfile, profile_document

# Engines whose single chunk may come along; LLM_OCR pages wait for the vision model.
_ENGINES_EXTRACTED_HERE = ("AUTO", "TEXT")


@dataclass(frozen=True, slots=True)
class Analysis:
    inspection: PdfInspection
    # The pages the profile covers; None (and no profile) when `pages` named no valid page.
    pages: list[int] | None = None
    profile: DocumentProfile | None = None
    # The pages, already extracted, when they were a single chunk of text pages.
    extracted: list[PageContent] | None = None
    extraction_ms: int = 0

    def profile_for(self, pages: list[int]) -> DocumentProfile | None:
        """The profile, if it was made for exactly these pages."""
        return self.profile if self.pages == pages else None

    def extracted_for(self, pages: list[int]) -> list[PageContent] | None:
        """The extracted pages, if they are exactly these pages."""
        return self.extracted if self.pages == pages else None


def analyze_pdf(
    path: str | Path,
    password: str | None,
    pages_spec: str | None,
    options: ExtractOptions | None = None,
    workers: int = 1,
) -> Analysis:
    """inspect_pdf, then profile_document of the pages `pages_spec` selects, then (given the
    job's `options` and pool size) the extraction when it is one chunk (see the docstring)."""
    inspection = inspect_pdf(path, password)
    try:
        selected = parse_page_ranges(pages_spec, inspection.page_count)
        pages = select_pages(inspection, ExtractOptions(pages=selected))
    except (PageRangeError, BadPdfOptions):  # the job raises it again from its own parse
        return Analysis(inspection)
    # With the job's options a scanned document learns its heading sizes from one OCR
    # reading, which the extraction then reuses (jobs.pdf.profile).
    profile = profile_document(path, password, pages, None, options)
    if options is None or options.engine not in _ENGINES_EXTRACTED_HERE:
        return Analysis(inspection, pages, profile)
    options = dataclasses.replace(options, pages=selected)
    chunks = chunk_pages(pages, inspection, options, workers)
    if len(chunks) != 1 or any(needs_ocr(inspection, options, page) for page in pages):
        return Analysis(inspection, pages, profile)
    began = time.perf_counter()
    extracted = extract_pages(path, password, chunks[0], options, profile)
    elapsed_ms = int((time.perf_counter() - began) * 1000)
    return Analysis(inspection, pages, profile, extracted, elapsed_ms)
