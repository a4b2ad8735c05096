"""Admin-set model names cannot move the provider request; provider bodies never reach users."""

from __future__ import annotations

import logging

import pytest

from docat.admin_settings import set_setting
from docat.errors import ProviderError, ProviderNotConfigured
from docat.model_names import is_valid_model_name
from jobs.llm.gemini import GeminiProvider
from jobs.llm.key_pool import ApiKey, KeyPool
from jobs.llm.openai_compat import OpenAICompatProvider
from jobs.llm.transport import RetryPolicy
from tests.fixtures.fake_llm import FakeLLM, FakeReply
from tests.fixtures.fake_llm import fake_llm as fake_llm  # the fixture
from tests.fixtures.graphql_client import GraphQLClient

UPDATE_SETTING = "mutation($k: String!, $v: String) { updateSetting(key: $k, value: $v) { value } }"
TRAVERSAL = "x/../../../internal/admin?steal=1#"
SECRET_BODY = '{"error": {"message": "quota of org-internal-7781 on host billing.internal exceeded"}}'
MODEL_SETTINGS = (
    "translation_model_openrouter",
    "ocr_model_openrouter",
    "translation_model_gemini",
    "ocr_model_gemini",
)


@pytest.fixture
def pool() -> KeyPool:
    return KeyPool(
        [ApiKey("openrouter", "sk-good", id="k1"), ApiKey("gemini", "g-good", id="g1")], rest_base=0.01
    )


@pytest.fixture
def policy() -> RetryPolicy:
    return RetryPolicy(attempts=2, backoff_base=0.01, backoff_cap=0.02, retry_after_cap=0.05)


@pytest.mark.parametrize(
    "name",
    [TRAVERSAL, "../admin", "/etc/passwd", "a..b", "x?y", "x#y", "x y", "a%2Fb", "m" * 129, "", "-x", "a//b"],
)
def test_names_that_are_not_model_names_are_refused(name: str) -> None:
    assert not is_valid_model_name(name)


@pytest.mark.parametrize(
    "name",
    ["openai/gpt-4o-mini", "gemini-2.0-flash", "models/gemini-1.5-pro", "meta-llama/llama-3.1-8b:free"],
)
def test_real_model_names_are_accepted(name: str) -> None:
    assert is_valid_model_name(name)


async def test_an_admin_cannot_set_a_model_name_that_rewrites_the_url(
    client: GraphQLClient, admin_token: str
) -> None:
    for key in MODEL_SETTINGS:
        refused = await client.execute(UPDATE_SETTING, {"k": key, "v": TRAVERSAL}, token=admin_token)
        assert refused.codes == ["BAD_USER_INPUT"], (key, refused.errors)
        assert "model name" in refused.errors[0]["message"]
    try:
        accepted = await client.execute(
            UPDATE_SETTING, {"k": "ocr_model_gemini", "v": "gemini-1.5-pro"}, token=admin_token
        )
        assert accepted.ok()["updateSetting"]["value"] == "gemini-1.5-pro"
    finally:
        await set_setting("ocr_model_gemini", None)


async def test_the_gemini_url_keeps_the_model_in_one_path_segment(
    fake_llm: FakeLLM, pool: KeyPool, policy: RetryPolicy
) -> None:
    # A stored name from before the check (or any name a caller passes) never reaches the network.
    with pytest.raises(ProviderNotConfigured):
        GeminiProvider(pool, model=TRAVERSAL, base_url=fake_llm.base_url, policy=policy)
    async with GeminiProvider(pool, model="gemini-x", base_url=fake_llm.base_url, policy=policy) as provider:
        with pytest.raises(ProviderNotConfigured) as refused:
            await provider.complete("sys", "hi", model=TRAVERSAL)
        assert TRAVERSAL not in refused.value.message
        assert fake_llm.requests == []
        # A valid name with a colon is quoted into its segment too; the path is the model's.
        fake_llm.enqueue(FakeReply(text="ok"))
        assert await provider.complete("sys", "hi", model="tuned:v1") == "ok"
    (request,) = fake_llm.requests
    assert request.path == "/models/tuned%3Av1:generateContent"


async def test_openai_compatible_requests_refuse_a_bad_model_before_sending_the_key(
    fake_llm: FakeLLM, pool: KeyPool, policy: RetryPolicy
) -> None:
    async with OpenAICompatProvider(
        pool, model="m/one", base_url=fake_llm.base_url, policy=policy
    ) as provider:
        with pytest.raises(ProviderNotConfigured):
            await provider.complete("sys", "hi", model=TRAVERSAL)
    assert fake_llm.requests == []


@pytest.mark.parametrize("kind", ["openrouter", "gemini"])
@pytest.mark.parametrize("failure", ["refused", "malformed"])
async def test_users_see_a_short_provider_error_and_the_body_goes_to_the_log_only(
    kind: str,
    failure: str,
    fake_llm: FakeLLM,
    pool: KeyPool,
    policy: RetryPolicy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if failure == "refused":
        fake_llm.enqueue(FakeReply(status=400, body=SECRET_BODY))
    else:
        fake_llm.enqueue(*[FakeReply(status=200, body=SECRET_BODY)] * policy.attempts)
    provider = (
        OpenAICompatProvider(pool, model="m/one", base_url=fake_llm.base_url, policy=policy)
        if kind == "openrouter"
        else GeminiProvider(pool, model="gemini-x", base_url=fake_llm.base_url, policy=policy)
    )
    with caplog.at_level(logging.WARNING, logger="jobs.llm.transport"):
        async with provider:
            with pytest.raises(ProviderError) as failed:
                await provider.complete("sys", "hi")
    message = failed.value.message
    assert "org-internal-7781" not in message and "billing.internal" not in message
    assert len(message) < 120, message
    assert ("HTTP 400" if failure == "refused" else "unexpected response") in message
    # The operator still learns what the provider said, truncated.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "org-internal-7781" in logged
    assert all(len(r.getMessage()) < 1000 for r in caplog.records)
