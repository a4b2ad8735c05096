"""The translation cache in the database (models.TranslationCacheEntry), shared by every worker.

One row per (text, target language, model): the row's key is the sha256 of
the three (jobs.llm.translate.cache_key already hashes the text), so a key
is 64 hex characters whatever the text's length. Rows are written batch by
batch as translations arrive; two jobs translating the same string at once
both insert it, and the second insert is ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence

from jobs.llm.translate import CacheKey
from models import TranslationCacheEntry

# Stay well under SQLite's bound-parameter limit (999 on older builds) per query.
_CHUNK = 500


def row_key(key: CacheKey) -> str:
    text_sha, target, model = key
    # NUL never occurs in a model name or language code, so the parts cannot run together.
    return hashlib.sha256(f"{model}\0{target}\0{text_sha}".encode()).hexdigest()


class DbTranslationCache:
    """jobs.llm.translate.TranslationCache over the `translation_cache` table."""

    async def get_many(self, keys: Sequence[CacheKey]) -> dict[CacheKey, str]:
        by_row = {row_key(k): k for k in keys}
        found: dict[CacheKey, str] = {}
        for chunk in _chunks(list(by_row)):
            rows = await TranslationCacheEntry.filter(key__in=chunk).values_list("key", "translated")
            for row, translated in rows:
                found[by_row[row]] = translated
        return found

    async def set_many(self, items: Mapping[CacheKey, str]) -> None:
        entries = {row_key(k): v for k, v in items.items()}
        for chunk in _chunks(list(entries)):
            await TranslationCacheEntry.bulk_create(
                [TranslationCacheEntry(key=k, translated=entries[k]) for k in chunk],
                ignore_conflicts=True,
            )


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


__all__ = ["DbTranslationCache", "row_key"]
