"""The stages a job runs only when its options ask for a model: LLM OCR, translation, rendering.

Called by jobs/documents.py between extraction and the stored results. The
model work itself is jobs/llm_ocr_translate.py (imported late: its provider
clients are only loaded by jobs that need them); the translated PDFs are
rendered by jobs.pdf.translate_render in the process pool.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from docat.resources import Resources
from jobs.page_store import PageStore
from jobs.pdf.content import ExtractedContent, PageContent
from jobs.pdf.translate_render import render_dual_pdf, render_translated_pdf
from jobs.results import DUAL_PDF, TRANSLATED_PDF, write_pdf
from jobs.tracker import RunTracker
from models import JobStage


async def llm_ocr_stage(
    resources: Resources,
    tracker: RunTracker,
    store: PageStore,
    held: dict[int, PageContent],
    span: tuple[float, float],
    source: Path,
    password: str | None,
) -> None:
    """Every page in `held` (its text layer) through the vision model. Each result is saved
    as the page's row as it arrives and leaves `held`: what is left after a ProviderError
    is exactly the pages the model did not read."""
    from jobs.llm_ocr_translate import llm_ocr_pages

    start, end = span
    total = len(held)
    await tracker.stage(JobStage.OCR, start, f"Reading {total} pages with the vision model")
    done = 0

    async def on_page(page: PageContent) -> None:
        nonlocal done
        held.pop(page.page, None)
        await store.save([page], engine="llm_ocr")
        done += 1
        tracker.advance(start + (end - start) * done / total, page=page.page)

    await llm_ocr_pages(resources, source, password, sorted(held), on_page)
    await tracker.log(f"Vision model read {total} pages")


async def translate_stage(
    resources: Resources, tracker: RunTracker, start: float, content: ExtractedContent, target: str
) -> None:
    """Fill the translations of `content` in place."""
    from jobs.llm_ocr_translate import translate_content

    await tracker.stage(JobStage.TRANSLATING, start, f"Translating to {target}")
    stats = await translate_content(resources, content, target)
    await tracker.log(f"Translated {stats.segments} strings to {target} ({stats.cache_hits} from the cache)")


async def render_stage(
    resources: Resources,
    tracker: RunTracker,
    span: tuple[float, float],
    document_id: uuid.UUID,
    source: Path,
    password: str | None,
    content: ExtractedContent,
    dual: bool,
) -> list[str]:
    """translated.pdf (and dual.pdf) rendered in the pool and stored; their ExportFormat names."""
    pool, storage = resources.pdf_pool, resources.storage
    start, end = span
    await tracker.stage(JobStage.RENDERING, start, "Rendering the translated PDF")
    data = await pool.run(render_translated_pdf, str(source), password, content)
    await write_pdf(storage, document_id, TRANSLATED_PDF[1], data)
    formats = [TRANSLATED_PDF[0]]
    if dual:
        tracker.advance((start + end) / 2, message="Rendering the side-by-side PDF")
        data = await pool.run(render_dual_pdf, str(source), password, content)
        await write_pdf(storage, document_id, DUAL_PDF[1], data)
        formats.append(DUAL_PDF[0])
    await tracker.log("Rendered " + " and ".join(name.lower().replace("_", " ") for name in formats))
    return formats
