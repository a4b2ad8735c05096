"""Translation through the fake server: batching, skipping, caching, failures."""

from __future__ import annotations

import json

import pytest

from docat.errors import ProviderError
from jobs.llm.key_pool import KeyPool
from jobs.llm.openai_compat import OpenAICompatProvider
from jobs.llm.translate import (
    MemoryTranslationCache,
    needs_translation,
    parse_translation_array,
    translate_blocks,
    translate_content,
)
from jobs.llm.transport import RetryPolicy
from jobs.pdf.content import ContentBlock, ContentMetadata, ExtractedContent, TableData
from tests.fixtures.fake_llm import FakeLLM, FakeReply


def block(type_: str, text: str, page: int = 1, table: TableData | None = None) -> ContentBlock:
    return ContentBlock(page=page, type=type_, text=text, bbox=(0, 0, 100, 20), table=table)


def document() -> ExtractedContent:
    blocks = [
        block("HEADER", "Acme Corp"),
        block("TITLE", "Quarterly results"),
        block("PARAGRAPH", "Revenue grew strongly."),
        block("PARAGRAPH", "12.5 %"),
        block("PARAGRAPH", "https://example.com/report"),
        block("FORMULA", "E = mc^2"),
        block("IMAGE", "A chart"),
        block("PARAGRAPH", "```\nprint(1)\n```"),
        block(
            "TABLE",
            "Region | Sales",
            table=TableData(["Region", "Sales"], [["North", "100"], ["South", "7"]]),
        ),
        block("HEADER", "Acme Corp", page=2),  # repeated: sent once
        block("LIST_ITEM", "Revenue grew strongly.", page=2),
    ]
    return ExtractedContent("Quarterly results", 2, blocks, ContentMetadata(source_language="en"))


@pytest.fixture
def provider(fake_llm: FakeLLM, pool: KeyPool, fast_policy: RetryPolicy) -> OpenAICompatProvider:
    fake_llm.translate_mode()
    return OpenAICompatProvider(pool, model="m/translate", base_url=fake_llm.base_url, policy=fast_policy)


async def test_translates_in_order_and_leaves_the_untranslatable_alone(
    fake_llm: FakeLLM, provider: OpenAICompatProvider
) -> None:
    content = document()
    stats = await translate_content(provider, content, "DE")
    got = {(b.page, b.type, b.text): b.translated_text for b in content.blocks}
    assert got[(1, "HEADER", "Acme Corp")] == "[de] Acme Corp"
    assert got[(2, "HEADER", "Acme Corp")] == "[de] Acme Corp"
    assert got[(1, "TITLE", "Quarterly results")] == "[de] Quarterly results"
    assert got[(2, "LIST_ITEM", "Revenue grew strongly.")] == "[de] Revenue grew strongly."
    assert got[(1, "PARAGRAPH", "12.5 %")] == "12.5 %"
    assert got[(1, "PARAGRAPH", "https://example.com/report")] == "https://example.com/report"
    assert got[(1, "PARAGRAPH", "```\nprint(1)\n```")] == "```\nprint(1)\n```"
    assert got[(1, "FORMULA", "E = mc^2")] is None
    assert got[(1, "IMAGE", "A chart")] is None
    table = content.blocks[8].table
    assert table is not None
    assert table.translated_headers == ["[de] Region", "[de] Sales"]
    assert table.translated_rows == [["[de] North", "100"], ["[de] South", "7"]]
    assert content.metadata.target_language == "de"

    # One batch; only unique, translatable strings were sent, in document order.
    (request,) = fake_llm.requests
    assert json.loads(request.prompt) == [
        "Acme Corp",
        "Quarterly results",
        "Revenue grew strongly.",
        "Region",
        "Sales",
        "North",
        "South",
    ]
    assert "German" in request.system and "from English" in request.system
    assert stats.calls == 1 and stats.segments == 7 and stats.cache_hits == 0
    assert stats.skipped == 5 and stats.chars == sum(len(s) for s in json.loads(request.prompt))


async def test_the_cache_makes_reprocessing_free(fake_llm: FakeLLM, provider: OpenAICompatProvider) -> None:
    cache = MemoryTranslationCache()
    first = document()
    await translate_content(provider, first, "ja", cache=cache, max_batch_items=3)
    assert fake_llm.request_count == 3  # 7 strings in batches of 3
    again = document()
    stats = await translate_content(provider, again, "ja", cache=cache)
    assert fake_llm.request_count == 3  # nothing more
    assert stats.calls == 0 and stats.cache_hits == 7
    assert [b.translated_text for b in again.blocks] == [b.translated_text for b in first.blocks]
    # Another model or language is another cache entry.
    await translate_content(provider, document(), "ja", cache=cache, model="m/other")
    assert fake_llm.request_count == 4


async def test_concurrent_batches_keep_their_order(fake_llm: FakeLLM, provider: OpenAICompatProvider) -> None:
    blocks = [block("PARAGRAPH", f"sentence number {i}") for i in range(50)]
    stats = await translate_blocks(provider, blocks, "fr", max_batch_items=4, concurrency=3)
    assert [b.translated_text for b in blocks] == [f"[fr] sentence number {i}" for i in range(50)]
    assert stats.calls == 13 == fake_llm.request_count


async def test_wrong_length_is_asked_again_then_split(
    fake_llm: FakeLLM, provider: OpenAICompatProvider
) -> None:
    blocks = [block("PARAGRAPH", w) for w in ("one", "two", "three", "four")]
    # Twice a short array for the whole batch, then the server's translator for the halves.
    fake_llm.enqueue(FakeReply(text='["eins"]'), FakeReply(text="Sure! Here you go: eins, zwei"))
    stats = await translate_blocks(provider, blocks, "de")
    assert [b.translated_text for b in blocks] == ["[de] one", "[de] two", "[de] three", "[de] four"]
    assert stats.calls == 4
    assert [len(json.loads(r.prompt)) for r in fake_llm.requests] == [4, 4, 2, 2]


async def test_a_string_that_never_translates_is_a_provider_error(
    fake_llm: FakeLLM, provider: OpenAICompatProvider
) -> None:
    blocks = [block("PARAGRAPH", "lonely")]
    fake_llm.enqueue(FakeReply(text="no json"), FakeReply(text="[1]"))
    with pytest.raises(ProviderError):
        await translate_blocks(provider, blocks, "de")
    assert blocks[0].translated_text is None  # the extracted content is untouched


async def test_provider_failure_keeps_finished_batches_in_the_cache(
    fake_llm: FakeLLM, provider: OpenAICompatProvider
) -> None:
    cache = MemoryTranslationCache()
    blocks = [block("PARAGRAPH", f"text {i}") for i in range(4)]
    fake_llm.enqueue(FakeReply(text='["[de] text 0", "[de] text 1"]'), *[FakeReply(status=500)] * 3)
    with pytest.raises(ProviderError):
        await translate_blocks(provider, blocks, "de", cache=cache, max_batch_items=2, concurrency=1)
    assert len(cache.entries) == 2
    stats = await translate_blocks(provider, blocks, "de", cache=cache, max_batch_items=2)
    assert (stats.cache_hits, stats.calls) == (2, 1)
    assert blocks[3].translated_text == "[de] text 3"


def test_needs_translation() -> None:
    assert needs_translation("Hello world")
    assert needs_translation("Привет")
    for text in (
        "",
        "  ",
        "42",
        "3.14 %",
        "2024-01-31",
        "$1,000.00",
        "www.example.org",
        "a@b.io",
        "```\nx\n```",
    ):
        assert not needs_translation(text), text


def test_parse_translation_array() -> None:
    assert parse_translation_array('```json\n["a", "b"]\n```', 2) == ["a", "b"]
    assert parse_translation_array('Here: ["a"] thanks', 1) == ["a"]
    assert parse_translation_array('["a"]', 2) is None
    assert parse_translation_array("[1]", 1) is None
    assert parse_translation_array("nothing", 1) is None
