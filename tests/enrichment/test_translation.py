"""translate_content through the runtime: the DB cache, models from settings, failures."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY

from docat.admin_settings import set_setting
from docat.errors import ProviderError, ProviderNotConfigured
from jobs.llm.db_cache import DbTranslationCache
from jobs.llm.translate import cache_key
from jobs.llm_ocr_translate import translate_content
from jobs.pdf.content import ContentBlock, ContentMetadata, ExtractedContent, TableData
from tests.enrichment.conftest import RuntimeFactory
from tests.fixtures.fake_llm import FakeLLM, FakeReply

ENV_KEY = "env-or-key-1234"


def document(tag: str) -> ExtractedContent:
    """Content whose strings are new to the cache (`tag` is unique per test)."""
    table = TableData([f"Item {tag}", f"Price {tag}"], [[f"Paper {tag}", "4.50"]])
    blocks = [
        ContentBlock(1, "TITLE", f"Report {tag}", (50, 50, 500, 80)),
        ContentBlock(1, "PARAGRAPH", f"Revenue grew {tag}.", (50, 100, 500, 140)),
        ContentBlock(1, "PARAGRAPH", "12.5 %", (50, 150, 500, 170)),
        ContentBlock(1, "TABLE", "", (50, 200, 500, 300), table=table),
    ]
    return ExtractedContent(f"Report {tag}", 1, blocks, ContentMetadata())


async def test_second_translation_of_the_same_text_costs_no_call(
    llm_resources: RuntimeFactory, fake_llm: FakeLLM
) -> None:
    fake_llm.translate_mode()
    resources = await llm_resources(openrouter_api_key=ENV_KEY)
    tag = uuid.uuid4().hex[:8]
    first = document(tag)
    stats = await translate_content(resources, first, "DE")
    assert stats.calls == 1 and stats.cache_hits == 0 and fake_llm.request_count == 1
    assert first.metadata.target_language == "de"
    assert first.blocks[0].translated_text == f"[de] Report {tag}"
    assert first.blocks[2].translated_text == "12.5 %"  # never sent
    table = first.blocks[3].table
    assert table is not None and table.translated_headers == [f"[de] Item {tag}", f"[de] Price {tag}"]
    assert table.translated_rows == [[f"[de] Paper {tag}", "4.50"]]

    again = document(tag)
    stats = await translate_content(resources, again, "de")
    assert stats.calls == 0 and stats.cache_hits == stats.segments == 5
    assert fake_llm.request_count == 1
    assert [b.to_dict() for b in again.blocks] == [b.to_dict() for b in first.blocks]

    # Another target language is another cache entry.
    await translate_content(resources, document(tag), "fr")
    assert fake_llm.request_count == 2


async def test_the_models_come_from_the_admin_settings(
    llm_resources: RuntimeFactory, fake_llm: FakeLLM
) -> None:
    fake_llm.translate_mode()
    await set_setting("translation_model_openrouter", "test/translator-1")
    resources = await llm_resources(openrouter_api_key=ENV_KEY)
    await translate_content(resources, document(uuid.uuid4().hex[:8]), "de")
    (request,) = fake_llm.requests
    assert request.path == "/chat/completions" and request.body["model"] == "test/translator-1"

    await set_setting("preferred_provider", "gemini")
    await set_setting("translation_model_gemini", "gemini-test-translate")
    try:
        gemini = await llm_resources(gemini_api_key="env-gemini-key-1234", openrouter_api_key=ENV_KEY)
        await translate_content(gemini, document(uuid.uuid4().hex[:8]), "de")
        assert fake_llm.requests[-1].path == "/models/gemini-test-translate:generateContent"
    finally:
        await set_setting("translation_model_gemini", None)


async def test_the_db_cache_round_trips_and_ignores_a_second_insert(app: object) -> None:
    cache = DbTranslationCache()
    tag = uuid.uuid4().hex
    keys = [cache_key(f"text {tag} {i}", "de", "m") for i in range(3)]
    await cache.set_many({keys[0]: "eins", keys[1]: "zwei"})
    await cache.set_many({keys[1]: "zwei again", keys[0]: "eins"})  # a concurrent job's insert
    assert await cache.get_many(keys) == {keys[0]: "eins", keys[1]: "zwei"}


async def test_a_provider_that_keeps_failing_raises_provider_error_and_counts_failures(
    llm_resources: RuntimeFactory, fake_llm: FakeLLM
) -> None:
    fake_llm.enqueue(*[FakeReply(status=500)] * 3)
    resources = await llm_resources(openrouter_api_key=ENV_KEY)
    failures_before = REGISTRY.get_sample_value("docat_provider_failures_total", {"provider": "openrouter"})
    content = document(uuid.uuid4().hex[:8])
    with pytest.raises(ProviderError):
        await translate_content(resources, content, "de")
    assert fake_llm.request_count == 3
    assert all(b.translated_text is None for b in content.blocks)  # the content itself is untouched
    failures = REGISTRY.get_sample_value("docat_provider_failures_total", {"provider": "openrouter"})
    assert (failures or 0) - (failures_before or 0) == 3


async def test_no_key_at_all_is_provider_not_configured(llm_resources: RuntimeFactory) -> None:
    with pytest.raises(ProviderNotConfigured):
        await translate_content(await llm_resources(), document("x"), "de")
