"""`docat process FILE.pdf`: the pipeline on one local file, no server, no database.

    text = process_file(Path("a.pdf"), output_format="json", engine="AUTO", password=None,
                        pages=None, ocr_language="eng", translate_to=None, settings=settings)

The same jobs.pdf code as the worker. Documents past a few pages are split
across a process pool like the worker does; errors are the same DocatErrors
(the CLI prints `CODE: message` and exits non-zero). `--format json` is
`ExtractedContent.to_dict()`, exactly what GraphQL returns; `--format chunks` is
`Document.chunks` as JSON (jobs/pdf/chunks.py).

LLM_OCR and `--translate-to` need a provider key in the environment
(OPENROUTER_API_KEY or GEMINI_API_KEY): the admin keys live in a database this
command does not open. LLM OCR then reads every page through the vision model
and translations use a cache in memory.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from docat.errors import BadUserInput, ProviderNotConfigured
from docat.settings import Settings
from jobs.pdf.analyze import inspect_pdf, open_pdf
from jobs.pdf.chunks import ChunkingError, check_parameters, chunk_content
from jobs.pdf.content import ExtractedContent, PageContent
from jobs.pdf.markdown import to_markdown, to_text
from jobs.pdf.options import ENGINES, ExtractOptions, PageRangeError, is_valid_ocr_language, parse_page_ranges
from jobs.pdf.pipeline import assemble, run_pipeline
from jobs.pdf.render import render_page_png
from jobs.process_pool import make_executor, pool_size

OUTPUT_FORMATS = ("json", "markdown", "text", "chunks")
# Below this many pages a pool's start-up costs more than it saves.
POOL_MIN_PAGES = 16


def process_file(
    path: Path,
    *,
    output_format: str,
    engine: str = "AUTO",
    password: str | None = None,
    pages: str | None = None,
    ocr_language: str = "eng",
    translate_to: str | None = None,
    settings: Settings,
    max_tokens: int = 512,
    overlap: int = 0,
) -> str:
    """The file's content as JSON, Markdown or text; raises DocatError for a bad file or option."""
    if output_format not in OUTPUT_FORMATS:
        raise BadUserInput(f"unknown format {output_format!r}; use one of {', '.join(OUTPUT_FORMATS)}")
    try:
        check_parameters(max_tokens, overlap)
    except ChunkingError as exc:
        raise BadUserInput(str(exc)) from exc
    engine = engine.upper()
    if engine not in ENGINES:
        raise BadUserInput(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if not is_valid_ocr_language(ocr_language):
        raise BadUserInput(f"invalid OCR language {ocr_language!r}; use a form like 'eng' or 'eng+deu'")
    try:
        selected = parse_page_ranges(pages)
    except PageRangeError as exc:
        raise BadUserInput(str(exc)) from exc
    if (engine == "LLM_OCR" or translate_to) and not _provider_in_environment(settings):
        raise ProviderNotConfigured(
            "LLM_OCR and --translate-to need OPENROUTER_API_KEY or GEMINI_API_KEY in the environment"
        )
    options = ExtractOptions(engine=engine, ocr_language=ocr_language, password=password, pages=selected)
    collected: list[PageContent] = []
    content = _extract(path, options, settings, collected)
    if content.llm_ocr_pages or translate_to:
        content = asyncio.run(_enrich(path, password, content, collected, translate_to, settings))
    return render(
        content, output_format, translated=translate_to is not None, max_tokens=max_tokens, overlap=overlap
    )


def render(
    content: ExtractedContent,
    output_format: str,
    *,
    translated: bool = False,
    max_tokens: int = 512,
    overlap: int = 0,
) -> str:
    if output_format == "chunks":
        # The same JSON objects as Document.chunks in GraphQL (camelCase keys).
        chunks = chunk_content(content, max_tokens=max_tokens, overlap=overlap)
        return json.dumps([c.to_dict() for c in chunks], ensure_ascii=False, indent=2)
    if output_format == "json":
        return json.dumps(content.to_dict(), ensure_ascii=False, indent=2)
    if output_format == "markdown":
        return to_markdown(content, translated=translated)
    return to_text(content, translated=translated)


def _extract(
    path: Path, options: ExtractOptions, settings: Settings, collected: list[PageContent]
) -> ExtractedContent:
    # Inspect first (cheap): a bad file fails before any process starts.
    page_count = len(options.pages) if options.pages else inspect_pdf(path, options.password).page_count
    workers = min(pool_size(settings), max(1, page_count // 8))
    if page_count < POOL_MIN_PAGES or workers < 2:
        return run_pipeline(path, options, on_page=collected.append)
    with make_executor(workers) as executor:
        return run_pipeline(path, options, executor=executor, workers=workers, on_page=collected.append)


def _provider_in_environment(settings: Settings) -> bool:
    # The LLM modules load only when a run asks for a model (here and below).
    from jobs.llm.provider_choice import is_configured

    return is_configured(settings)


async def _enrich(
    path: Path,
    password: str | None,
    content: ExtractedContent,
    pages: list[PageContent],
    translate_to: str | None,
    settings: Settings,
) -> ExtractedContent:
    if content.llm_ocr_pages:
        content = await _llm_ocr(path, password, content, pages, settings)
    if translate_to:
        from jobs.llm_ocr_translate import translate_content_offline

        await translate_content_offline(settings, content, translate_to)
    return content


async def _llm_ocr(
    path: Path, password: str | None, content: ExtractedContent, pages: list[PageContent], settings: Settings
) -> ExtractedContent:
    from jobs.llm.ocr import llm_ocr_page
    from jobs.llm.provider_choice import build_key_pool, build_provider

    provider = build_provider(settings, build_key_pool(settings))
    by_page = {p.page: p for p in pages}
    try:
        with open_pdf(path, password) as doc:
            rects = {n: tuple(doc.load_page(n - 1).rect) for n in content.llm_ocr_pages}
        for number in content.llm_ocr_pages:
            png = render_page_png(path, password, number)
            by_page[number] = await llm_ocr_page(provider, png, number, rects[number])
    finally:
        await provider.aclose()
    return assemble(
        list(by_page.values()),
        page_count=content.page_count,
        metadata_title=content.title,
        extraction_ms=content.metadata.extraction_ms,
    )
