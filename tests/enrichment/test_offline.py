"""translate_content_offline: `docat process --translate-to` without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from docat.errors import ProviderNotConfigured
from docat.settings import load_settings
from jobs.llm_ocr_translate import translate_content_offline
from jobs.pdf.content import ContentBlock, ContentMetadata, ExtractedContent
from tests.fixtures.fake_llm import FakeLLM


def content() -> ExtractedContent:
    blocks = [
        ContentBlock(1, "HEADING", "Hello", (0, 0, 100, 20)),
        ContentBlock(2, "HEADING", "Hello", (0, 0, 100, 20)),
    ]
    return ExtractedContent(None, 2, blocks, ContentMetadata())


async def test_environment_keys_and_a_memory_cache(fake_llm: FakeLLM, tmp_path: Path) -> None:
    fake_llm.translate_mode()
    settings = load_settings(
        data_dir=tmp_path,
        secret_key="s" * 40,
        gemini_api_key="env-gemini-1234",
        gemini_base_url=fake_llm.base_url,
    )
    result = content()
    stats = await translate_content_offline(settings, result, "ja")
    assert [b.translated_text for b in result.blocks] == ["[ja] Hello", "[ja] Hello"]
    assert stats.calls == 1 and result.metadata.target_language == "ja"
    assert fake_llm.requests[0].path.endswith(":generateContent")


async def test_without_keys_it_is_not_configured(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path, secret_key="s" * 40, openrouter_api_key=None, gemini_api_key=None
    )
    with pytest.raises(ProviderNotConfigured):
        await translate_content_offline(settings, content(), "de")
