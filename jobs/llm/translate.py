"""Translate extracted content in order-preserving batches, through a cache.

    blocks ──collect──> unique strings ──cache──> misses ──batches──> provider
                                                            (JSON array in, JSON array out)

What is sent: the text of TITLE, HEADING, PARAGRAPH, LIST_ITEM, CAPTION,
HEADER and FOOTER blocks (headers and footers are read by people too, and they
repeat on every page, so deduplication makes them nearly free) and every table
cell. IMAGE and FORMULA blocks are left alone (translated_text stays None);
strings without letters (numbers, dates, symbols), bare URLs/e-mail
addresses and fenced code are never sent and "translate" to themselves.

A batch answer of the wrong length or shape is asked once more, then the batch
is split in halves until it works or a single string still fails, which raises
ProviderError (as does a provider giving up after its own retries). The caller
keeps the extracted content; translations finished before the failure are
already in the cache, so a retry pays only for the rest.

Cache keys are (sha256(text), target language, model): reprocessing the same
document with the same model costs zero provider calls.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

from docat.errors import ProviderError
from jobs.llm.languages import SUPPORTED_LANGUAGES, normalize_language
from jobs.llm.protocol import LLMProvider
from jobs.pdf.content import ContentBlock, ExtractedContent

logger = logging.getLogger(__name__)

CacheKey = tuple[str, str, str]  # (sha256 hex of the source text, target language, model)

TEXT_BLOCK_TYPES = frozenset({"TITLE", "HEADING", "PARAGRAPH", "LIST_ITEM", "CAPTION", "HEADER", "FOOTER"})

_BARE_LINK = re.compile(r"^(?:(?:https?|ftp)://|www\.)\S+$|^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$", re.IGNORECASE)
_CODE_FENCE = re.compile(r"^(```|~~~)")
_ANSWER_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)


class TranslationCache(Protocol):
    async def get_many(self, keys: Sequence[CacheKey]) -> dict[CacheKey, str]:
        """The cached translations among `keys` (missing keys are absent)."""
        ...

    async def set_many(self, items: Mapping[CacheKey, str]) -> None: ...


class MemoryTranslationCache:
    """A dict; for tests, `docat process` and one worker's lifetime."""

    def __init__(self) -> None:
        self.entries: dict[CacheKey, str] = {}

    async def get_many(self, keys: Sequence[CacheKey]) -> dict[CacheKey, str]:
        return {k: self.entries[k] for k in keys if k in self.entries}

    async def set_many(self, items: Mapping[CacheKey, str]) -> None:
        self.entries.update(items)


@dataclass(slots=True)
class TranslationStats:
    calls: int = 0  # provider requests made (each may retry internally)
    cache_hits: int = 0  # unique strings answered by the cache
    segments: int = 0  # unique strings that needed a translation
    chars: int = 0  # characters sent to the provider
    skipped: int = 0  # strings never sent (numbers, links, code)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def cache_key(text: str, target_language: str, model: str) -> CacheKey:
    return (hashlib.sha256(text.encode("utf-8")).hexdigest(), target_language, model)


def needs_translation(text: str) -> bool:
    """False for strings a translator must not touch: no letters, a bare link, fenced code."""
    stripped = text.strip()
    if not any(ch.isalpha() for ch in stripped):
        return False
    return not (_BARE_LINK.match(stripped) or _CODE_FENCE.match(stripped))


def system_prompt(target_language: str, source_language: str | None = None) -> str:
    name = SUPPORTED_LANGUAGES[target_language]
    source = f" from {SUPPORTED_LANGUAGES.get(source_language, source_language)}" if source_language else ""
    return (
        f"You translate document text{source} into {name} (BCP 47: {target_language}). "
        "The user message is a JSON array of strings. Answer with a JSON array of exactly the "
        "same length in which item i is the translation of input item i. Translate each item on "
        "its own: never merge, split, reorder or drop items. Keep numbers, URLs, e-mail addresses, "
        "code, formulas, placeholders and line breaks unchanged. Output only the JSON array."
    )


async def translate_content(
    provider: LLMProvider,
    content: ExtractedContent,
    target_language: str,
    **options: object,
) -> TranslationStats:
    """`translate_blocks` over the whole document; records the target in its metadata."""
    target = normalize_language(target_language)
    options.setdefault("source_language", content.metadata.source_language)
    stats = await translate_blocks(provider, content.blocks, target, **options)  # type: ignore[arg-type]
    content.metadata.target_language = target
    return stats


async def translate_blocks(
    provider: LLMProvider,
    blocks: Iterable[ContentBlock],
    target_language: str,
    *,
    model: str | None = None,
    cache: TranslationCache | None = None,
    concurrency: int = 4,
    max_batch_items: int = 40,
    max_batch_chars: int = 6000,
    source_language: str | None = None,
) -> TranslationStats:
    """Fill translated_text and the tables' translated cells of `blocks` in place."""
    target = normalize_language(target_language)
    model_name = model or provider.model
    blocks = list(blocks)
    stats = TranslationStats()

    wanted: dict[str, None] = {}  # insertion-ordered set of unique strings to translate
    for text in _strings_of(blocks):
        if needs_translation(text):
            wanted.setdefault(text, None)
        else:
            stats.skipped += 1
    stats.segments = len(wanted)

    keys = {text: cache_key(text, target, model_name) for text in wanted}
    translations: dict[str, str] = {}
    if cache is not None and keys:
        cached = await cache.get_many(list(keys.values()))
        for text, key in keys.items():
            if key in cached:
                translations[text] = cached[key]
        stats.cache_hits = len(translations)

    missing = [t for t in wanted if t not in translations]
    batches = list(_batches(missing, max_batch_items, max_batch_chars))
    semaphore = asyncio.Semaphore(max(1, concurrency))
    system = system_prompt(target, source_language)

    async def run(batch: list[str]) -> None:
        async with semaphore:
            answers = await _translate_batch(provider, system, batch, model, stats)
        done = dict(zip(batch, answers, strict=True))
        translations.update(done)
        if cache is not None:
            # Saved batch by batch: a later failure does not waste what was paid for.
            await cache.set_many({keys[t]: a for t, a in done.items()})

    tasks = [asyncio.create_task(run(b)) for b in batches]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise

    _apply(blocks, translations)
    return stats


def _strings_of(blocks: Sequence[ContentBlock]) -> Iterable[str]:
    for block in blocks:
        if block.type in TEXT_BLOCK_TYPES:
            yield block.text
        elif block.table is not None:
            yield from block.table.headers
            for row in block.table.rows:
                yield from row


def _apply(blocks: Sequence[ContentBlock], translations: Mapping[str, str]) -> None:
    def tr(text: str) -> str:
        return translations.get(text, text)

    for block in blocks:
        if block.type in TEXT_BLOCK_TYPES:
            block.translated_text = tr(block.text)
        elif block.table is not None:
            block.table.translated_headers = [tr(c) for c in block.table.headers]
            block.table.translated_rows = [[tr(c) for c in row] for row in block.table.rows]


def _batches(texts: Sequence[str], max_items: int, max_chars: int) -> Iterable[list[str]]:
    batch: list[str] = []
    size = 0
    for text in texts:
        if batch and (len(batch) >= max_items or size + len(text) > max_chars):
            yield batch
            batch, size = [], 0
        batch.append(text)
        size += len(text)
    if batch:
        yield batch


async def _translate_batch(
    provider: LLMProvider, system: str, texts: list[str], model: str | None, stats: TranslationStats
) -> list[str]:
    """Translations of `texts` in order: ask, ask again, then split on a bad answer."""
    for _ in range(2):
        stats.calls += 1
        stats.chars += sum(len(t) for t in texts)
        answer = await provider.complete(system, json.dumps(texts, ensure_ascii=False), model=model)
        parsed = parse_translation_array(answer, len(texts))
        if parsed is not None:
            return parsed
        logger.info("translation batch of %d came back malformed; asking again", len(texts))
    if len(texts) == 1:
        raise ProviderError("the provider did not return a usable translation")
    middle = len(texts) // 2
    first = await _translate_batch(provider, system, texts[:middle], model, stats)
    second = await _translate_batch(provider, system, texts[middle:], model, stats)
    return first + second


def parse_translation_array(answer: str, expected: int) -> list[str] | None:
    """The JSON array of `expected` strings in `answer` (code fences tolerated), else None."""
    text = _ANSWER_FENCE.sub("", answer.strip())
    start = text.find("[")
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        return None
    if not isinstance(value, list) or len(value) != expected:
        return None
    if not all(isinstance(v, str) for v in value):
        return None
    return value


__all__ = [
    "TEXT_BLOCK_TYPES",
    "CacheKey",
    "MemoryTranslationCache",
    "TranslationCache",
    "TranslationStats",
    "cache_key",
    "needs_translation",
    "parse_translation_array",
    "system_prompt",
    "translate_blocks",
    "translate_content",
]
