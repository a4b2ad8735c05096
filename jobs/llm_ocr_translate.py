"""LLM work on a document: vision OCR of pages and translation of the content.

The seam between the job (jobs.documents.process_document), the upload
check (graphql_api.documents) and the provider clients (jobs.llm):

    provider_configured(resources)        upload: PROVIDER_NOT_CONFIGURED before anything is queued
    llm_ocr_pages(resources, pdf, ...)    engine LLM_OCR: page PNGs -> vision model -> PageContent
    translate_content(resources, c, t)    translateTo: blocks and table cells, through the DB cache
    translate_content_offline(settings, c, t)   `docat process --translate-to`: env keys, memory cache

Each raises docat.errors.ProviderError once a provider's retries are spent
(ProviderNotConfigured when no key is left); work finished before the
failure is kept: OCR pages were already handed to `on_page`, translations
already sit in the cache.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path

from docat import metrics
from docat.errors import DocatError
from docat.resources import Resources
from docat.settings import Settings
from jobs.llm import translate as llm_translate
from jobs.llm.db_cache import DbTranslationCache
from jobs.llm.key_store import stored_key_exists
from jobs.llm.ocr import llm_ocr_page
from jobs.llm.provider_choice import build_key_pool, build_provider, is_configured
from jobs.llm.runtime import llm_runtime
from jobs.llm.translate import MemoryTranslationCache, TranslationStats
from jobs.pdf.content import ExtractedContent, PageContent
from jobs.pdf.render import DEFAULT_DPI, render_page_png

logger = logging.getLogger(__name__)

# Pages in flight to the vision model at once, per document.
OCR_CONCURRENCY = 4


async def provider_configured(resources: Resources) -> bool:
    """An environment key, or an active admin key, for a provider we speak."""
    return is_configured(llm_runtime(resources).settings) or await stored_key_exists()


async def llm_ocr_pages(
    resources: Resources,
    source_path: Path,
    password: str | None,
    pages: list[int],
    on_page: Callable[[PageContent], Awaitable[None]],
) -> list[PageContent]:
    """Each of `pages` (1-based) through the vision model; `on_page` sees each as it finishes.

    Returns the pages in page order. `on_page` calls never overlap, so the
    caller may save and publish inside it without a lock of its own.
    """
    if not pages:
        return []
    provider = await llm_runtime(resources).provider("ocr")
    limit = asyncio.Semaphore(OCR_CONCURRENCY)
    report = asyncio.Lock()

    async def one(page: int) -> PageContent:
        async with limit:
            png = await _render(resources, source_path, password, page)
            result = await llm_ocr_page(provider, png, page, page_rect_of(png, DEFAULT_DPI))
        async with report:
            await on_page(result)
        return result

    tasks = [asyncio.create_task(one(page)) for page in pages]
    try:
        results = await asyncio.gather(*tasks)
    except BaseException as exc:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if isinstance(exc, DocatError):
            done = sum(1 for t in tasks if t.done() and not t.cancelled() and t.exception() is None)
            logger.warning(
                "LLM OCR with %s failed after %d of %d pages: %s", provider.name, done, len(pages), exc
            )
        raise
    logger.info("LLM OCR with %s (%s): %d pages", provider.name, provider.model, len(pages))
    return sorted(results, key=lambda p: p.page)


async def translate_content(resources: Resources, content: ExtractedContent, target: str) -> TranslationStats:
    """Fill the translations of `content` in place and set metadata.target_language."""
    provider = await llm_runtime(resources).provider("translation")
    try:
        stats = await llm_translate.translate_content(provider, content, target, cache=DbTranslationCache())
    except DocatError as exc:
        logger.warning(
            "translation to %s with %s (%s) failed: %s", target, provider.name, provider.model, exc
        )
        raise
    _log_translation(provider.name, provider.model, content, stats)
    return stats


async def translate_content_offline(
    settings: Settings, content: ExtractedContent, target: str
) -> TranslationStats:
    """translate_content without a database: environment keys, default models, a memory cache."""
    pool = build_key_pool(settings, on_request=metrics.record_provider_request)
    provider = build_provider(settings, pool)
    try:
        stats = await llm_translate.translate_content(
            provider, content, target, cache=MemoryTranslationCache()
        )
    finally:
        await provider.aclose()
    _log_translation(provider.name, provider.model, content, stats)
    return stats


def _log_translation(provider: str, model: str, content: ExtractedContent, stats: TranslationStats) -> None:
    logger.info(
        "translated to %s with %s (%s): %d strings, %d from cache, %d calls",
        content.metadata.target_language,
        provider,
        model,
        stats.segments,
        stats.cache_hits,
        stats.calls,
    )


async def _render(resources: Resources, source_path: Path, password: str | None, page: int) -> bytes:
    """The page as a PNG, rendered in the PDF process pool (PyMuPDF is not thread-safe)."""
    png: bytes = await resources.pdf_pool.run(render_page_png, str(source_path), password, page)
    return png


def page_rect_of(png: bytes, dpi: int) -> tuple[float, float, float, float]:
    """The page box in points, from the size of its rendering: what OCR blocks are placed in.

    PyMuPDF renders `page.rect` (rotation applied, origin top-left), so the
    pixel size over dpi/72 gives it back to within half a pixel, without
    opening the PDF again in this process.
    """
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    scale = 72.0 / dpi
    return (0.0, 0.0, width * scale, height * scale)


__all__ = [
    "OCR_CONCURRENCY",
    "llm_ocr_pages",
    "page_rect_of",
    "provider_configured",
    "translate_content",
    "translate_content_offline",
]
