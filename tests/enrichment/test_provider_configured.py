"""provider_configured: what the upload asks before queueing LLM work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from jobs.llm_ocr_translate import provider_configured
from tests.enrichment.conftest import RuntimeFactory


async def test_an_environment_key_is_enough(llm_resources: RuntimeFactory) -> None:
    assert await provider_configured(await llm_resources(openrouter_api_key="env-or-key-1234"))
    assert await provider_configured(await llm_resources(gemini_api_key="env-gemini-key-1234"))


async def test_an_active_admin_key_is_enough(
    llm_resources: RuntimeFactory, admin_keys: Callable[..., Awaitable[str]]
) -> None:
    resources = await llm_resources()
    assert not await provider_configured(resources)
    await admin_keys("gemini")
    assert await provider_configured(resources)  # at once: the upload check reads the table


async def test_nothing_configured(llm_resources: RuntimeFactory) -> None:
    assert not await provider_configured(await llm_resources())
