"""Both clients against the fake server: every path ends as the retry rules say."""

from __future__ import annotations

import base64

import httpx
import pytest

from docat.errors import ProviderError, ProviderNotConfigured
from docat.settings import load_settings
from jobs.llm import gemini
from jobs.llm.gemini import GeminiProvider
from jobs.llm.key_pool import ApiKey, KeyPool
from jobs.llm.openai_compat import OpenAICompatProvider
from jobs.llm.protocol import LLMProvider
from jobs.llm.provider_choice import build_provider, is_configured
from jobs.llm.transport import RetryPolicy, parse_retry_after
from tests.fixtures.fake_llm import FakeLLM, FakeReply

PNG = b"\x89PNG\r\n\x1a\nfake"


def make(kind: str, fake: FakeLLM, pool: KeyPool, policy: RetryPolicy) -> LLMProvider:
    if kind == "openrouter":
        return OpenAICompatProvider(pool, model="m/one", base_url=fake.base_url, policy=policy)
    return GeminiProvider(pool, model="gemini-x", base_url=fake.base_url, policy=policy)


KINDS = pytest.mark.parametrize("kind", ["openrouter", "gemini"])


@KINDS
async def test_success_sends_the_provider_shape(
    kind: str, fake_llm: FakeLLM, pool: KeyPool, fast_policy: RetryPolicy
) -> None:
    fake_llm.enqueue(FakeReply(text="hello"))
    async with make(kind, fake_llm, pool, fast_policy) as provider:  # type: ignore[attr-defined]
        assert await provider.complete("be brief", "say hi", images=[PNG]) == "hello"
    (request,) = fake_llm.requests
    assert (request.system, request.prompt, request.image_count) == ("be brief", "say hi", 1)
    if kind == "openrouter":
        assert request.path == "/chat/completions"
        assert request.key == "sk-good" and request.headers["authorization"] == "Bearer sk-good"
        assert request.body["model"] == "m/one"
        url = request.body["messages"][1]["content"][1]["image_url"]["url"]
        assert base64.b64decode(url.removeprefix("data:image/png;base64,")) == PNG
    else:
        assert request.path == "/models/gemini-x:generateContent"
        assert request.headers["x-goog-api-key"] == "g-good" and "key=" not in request.path
        inline = request.body["contents"][0]["parts"][1]["inline_data"]
        assert inline["mime_type"] == "image/png" and base64.b64decode(inline["data"]) == PNG
    assert pool.keys(kind)[0].requests == 1


@KINDS
async def test_429_with_retry_after_then_success(
    kind: str, fake_llm: FakeLLM, pool: KeyPool, fast_policy: RetryPolicy
) -> None:
    fake_llm.enqueue(FakeReply(status=429, headers={"Retry-After": "3600"}), FakeReply(status=503))
    fake_llm.enqueue(FakeReply(text="finally"))
    async with make(kind, fake_llm, pool, fast_policy) as provider:  # type: ignore[attr-defined]
        # Retry-After 3600 is capped by retry_after_cap (0.05 s): the test stays fast.
        assert await provider.complete("s", "p") == "finally"
    assert fake_llm.request_count == 3
    key = pool.keys(kind)[0]
    assert (key.requests, key.failures, key.consecutive_failures) == (3, 2, 0)


@KINDS
async def test_persistent_5xx_is_a_provider_error_after_the_attempts(
    kind: str, fake_llm: FakeLLM, pool: KeyPool, fast_policy: RetryPolicy
) -> None:
    fake_llm.enqueue(*[FakeReply(status=500)] * 5)
    async with make(kind, fake_llm, pool, fast_policy) as provider:  # type: ignore[attr-defined]
        with pytest.raises(ProviderError) as info:
            await provider.complete("s", "p")
    assert info.value.code == "PROVIDER_ERROR" and "HTTP 500" in info.value.message
    assert fake_llm.request_count == fast_policy.attempts


@KINDS
async def test_timeouts_end_in_provider_error(kind: str, fake_llm: FakeLLM, pool: KeyPool) -> None:
    policy = RetryPolicy(attempts=2, backoff_base=0.01, backoff_cap=0.01, timeout=httpx.Timeout(0.2))
    fake_llm.enqueue(*[FakeReply(text="late", delay=1.0)] * 2)
    async with make(kind, fake_llm, pool, policy) as provider:  # type: ignore[attr-defined]
        with pytest.raises(ProviderError, match="timed out"):
            await provider.complete("s", "p")
    assert fake_llm.request_count == 2


@KINDS
async def test_malformed_json_and_wrong_shape_end_in_provider_error(
    kind: str, fake_llm: FakeLLM, pool: KeyPool, fast_policy: RetryPolicy
) -> None:
    fake_llm.enqueue(
        FakeReply(body="{not json"), FakeReply(body={"unexpected": True}), FakeReply(body="[1, 2]")
    )
    async with make(kind, fake_llm, pool, fast_policy) as provider:  # type: ignore[attr-defined]
        with pytest.raises(ProviderError, match="unexpected response"):
            await provider.complete("s", "p")
    assert fake_llm.request_count == 3
    # The key is not blamed for the provider's garbage.
    assert pool.rest_seconds(pool.keys(kind)[0]) == 0


@KINDS
async def test_malformed_then_good_recovers(
    kind: str, fake_llm: FakeLLM, pool: KeyPool, fast_policy: RetryPolicy
) -> None:
    fake_llm.enqueue(FakeReply(body="<html>bad gateway</html>"), FakeReply(text="ok"))
    async with make(kind, fake_llm, pool, fast_policy) as provider:  # type: ignore[attr-defined]
        assert await provider.complete("s", "p") == "ok"


@KINDS
async def test_401_rotates_to_the_next_key_without_retrying_the_bad_one(
    kind: str, fake_llm: FakeLLM, fast_policy: RetryPolicy
) -> None:
    used: list[tuple[str, bool]] = []

    async def on_usage(key_id: str, ok: bool) -> None:
        used.append((key_id, ok))

    pool = KeyPool([ApiKey(kind, "revoked", id="a"), ApiKey(kind, "valid", id="b")], on_usage=on_usage)
    fake_llm.rejected_keys.add("revoked")
    async with make(kind, fake_llm, pool, fast_policy) as provider:  # type: ignore[attr-defined]
        assert await provider.complete("s", "p") == "p"  # echo mode
        assert await provider.complete("s", "again") == "again"
    # The revoked key was tried once; it rests, so the second call went straight to the valid one.
    assert [r.key for r in fake_llm.requests] == ["revoked", "valid", "valid"]
    assert used == [("a", False), ("b", True), ("b", True)]


@KINDS
async def test_every_key_rejected_is_a_provider_error_without_a_storm(
    kind: str, fake_llm: FakeLLM, fast_policy: RetryPolicy
) -> None:
    pool = KeyPool([ApiKey(kind, "bad1"), ApiKey(kind, "bad2")])
    fake_llm.rejected_keys.update({"bad1", "bad2"})
    async with make(kind, fake_llm, pool, fast_policy) as provider:  # type: ignore[attr-defined]
        with pytest.raises(ProviderError, match="rejected"):
            await provider.complete("s", "p")
    assert fake_llm.request_count == 2


async def test_other_4xx_fails_at_once(fake_llm: FakeLLM, pool: KeyPool, fast_policy: RetryPolicy) -> None:
    fake_llm.enqueue(FakeReply(status=400, body={"error": "unknown model"}))
    async with make("openrouter", fake_llm, pool, fast_policy) as provider:  # type: ignore[attr-defined]
        with pytest.raises(ProviderError, match="HTTP 400"):
            await provider.complete("s", "p")
    assert fake_llm.request_count == 1


def test_parse_retry_after() -> None:
    assert parse_retry_after("2", cap=30) == 2
    assert parse_retry_after("999", cap=30) == 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", cap=30) == 0  # in the past
    assert parse_retry_after("soon", cap=30) is None
    assert parse_retry_after(None, cap=30) is None


async def test_factory_prefers_openrouter_then_falls_back(fake_llm: FakeLLM) -> None:
    settings = load_settings(
        openrouter_api_key=None,
        gemini_api_key="env-gemini",
        openrouter_base_url=fake_llm.base_url,
        gemini_base_url=fake_llm.base_url,
    )
    assert is_configured(settings)
    provider = build_provider(settings, preferred="openrouter", models={"gemini": "gemini-2.5-pro"})
    assert (provider.name, provider.model) == ("gemini", "gemini-2.5-pro")
    assert await provider.complete("s", "via gemini") == "via gemini"
    await provider.aclose()

    db_key = ApiKey("openrouter", "db-key", id="9")
    provider = build_provider(settings, [db_key])
    assert (provider.name, provider.model) == ("openrouter", "openai/gpt-4o-mini")
    assert await provider.complete("s", "via openrouter") == "via openrouter"
    await provider.aclose()
    assert fake_llm.requests[-1].key == "db-key"
    assert build_provider(settings, [db_key], preferred="gemini").name == "gemini"


def test_factory_without_any_key_is_not_configured() -> None:
    settings = load_settings(openrouter_api_key=None, gemini_api_key=None)
    assert not is_configured(settings)
    assert not is_configured(settings, [ApiKey("gemini", "off", active=False)])
    assert is_configured(settings, [ApiKey("gemini", "on")])
    with pytest.raises(ProviderNotConfigured) as info:
        build_provider(settings, [ApiKey("gemini", "off", active=False)])
    assert info.value.code == "PROVIDER_NOT_CONFIGURED"


async def test_with_keys_for_both_a_failing_provider_hands_the_call_to_the_other(fake_llm: FakeLLM) -> None:
    settings = load_settings(
        openrouter_api_key="env-openrouter",
        gemini_api_key="env-gemini",
        openrouter_base_url=fake_llm.base_url,
        gemini_base_url=fake_llm.base_url,
    )
    policy = RetryPolicy(attempts=2, backoff_base=0.001, backoff_cap=0.002, timeout=httpx.Timeout(5.0))
    provider = build_provider(settings, preferred="openrouter", policy=policy)
    assert (provider.name, provider.model) == ("openrouter", "openai/gpt-4o-mini")

    # OpenRouter answers 500 twice (its retries spent); Gemini answers.
    fake_llm.enqueue(FakeReply(status=500), FakeReply(status=500), FakeReply(text="from gemini"))
    assert await provider.complete("s", "p", model="openai/gpt-4o") == "from gemini"
    paths = [r.path for r in fake_llm.requests]
    assert paths[:2] == ["/chat/completions"] * 2
    # The model the caller named is OpenRouter's; Gemini is asked with its own.
    assert paths[2] == f"/models/{gemini.DEFAULT_MODEL}:generateContent"
    assert fake_llm.requests[0].body["model"] == "openai/gpt-4o"

    # Both down: one PROVIDER_ERROR naming both failures.
    fake_llm.reset()
    fake_llm.enqueue(*[FakeReply(status=503)] * 4)
    with pytest.raises(ProviderError) as info:
        await provider.complete("s", "p")
    assert info.value.code == "PROVIDER_ERROR"
    assert "openrouter" in info.value.message and "gemini" in info.value.message
    assert fake_llm.request_count == 4
    await provider.aclose()
