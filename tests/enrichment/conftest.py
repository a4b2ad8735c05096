"""Enrichment against the real app's database and the fake LLM server.

Every test gets its own Resources (the app's database, storage and bus, but
fresh `parts`) with an LLMRuntime whose settings point both providers at
the fake server and whose retries take milliseconds. Admin keys other tests
left active are switched off for the test and back on after it, so each
test knows exactly which keys are in the pool.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from docat.admin_settings import clear_cache, set_setting
from docat.resources import Resources
from docat.settings import Settings
from jobs.llm.key_store import ProviderKeyStore
from jobs.llm.runtime import LLMRuntime, install_llm_runtime
from jobs.llm.transport import RetryPolicy
from models import ProviderKey
from models import Setting as SettingRow
from tests.fixtures.fake_llm import FakeLLM
from tests.fixtures.graphql_client import GraphQLClient

ADD_KEY = """
mutation Add($provider: String!, $key: String!) {
  addProviderKey(provider: $provider, key: $key) { id last4 }
}
"""
REMOVE_KEY = "mutation Remove($id: ID!) { removeProviderKey(id: $id) }"
PROVIDER_KEYS = "{ providerKeys { id last4 requests failures lastUsedAt isActive } }"

FAST_POLICY = RetryPolicy(
    attempts=3, backoff_base=0.01, backoff_cap=0.02, retry_after_cap=0.05, timeout=httpx.Timeout(5.0)
)
# Settings the runtime reads per call; pinned so another test's choices do not leak in.
PINNED_SETTINGS = ("preferred_provider", "translation_model_openrouter", "ocr_model_openrouter")


def fake_settings(settings: Settings, fake: FakeLLM, **update: Any) -> Settings:
    return settings.model_copy(
        update={
            "openrouter_base_url": fake.base_url,
            "gemini_base_url": fake.base_url,
            "openrouter_api_key": None,
            "gemini_api_key": None,
            **update,
        }
    )


@pytest.fixture
async def isolated_keys(app: Starlette) -> AsyncIterator[None]:
    """No admin key but the test's own is active during the test; the others come back after."""
    others = await ProviderKey.filter(is_active=True).values_list("id", flat=True)
    await ProviderKey.filter(id__in=list(others)).update(is_active=False)
    saved = {row.key: row.value for row in await SettingRow.filter(key__in=PINNED_SETTINGS)}
    await set_setting("preferred_provider", "openrouter")
    for key in PINNED_SETTINGS[1:]:
        await set_setting(key, None)
    try:
        yield
    finally:
        await ProviderKey.filter(id__in=list(others)).update(is_active=True)
        for key in PINNED_SETTINGS:
            await SettingRow.filter(key=key).delete()
            if key in saved:
                await SettingRow.create(key=key, value=saved[key])
        clear_cache()


RuntimeFactory = Callable[..., Awaitable[Resources]]


@pytest.fixture
async def llm_resources(
    app: Starlette, settings: Settings, fake_llm: FakeLLM, isolated_keys: None
) -> AsyncIterator[RuntimeFactory]:
    """make(**settings_update) -> Resources with a runtime pointed at the fake server."""
    made: list[LLMRuntime] = []
    base: Resources = app.state.resources

    async def make(**update: Any) -> Resources:
        test_settings = fake_settings(settings, fake_llm, **update)
        # The app's database, storage, bus and pool; its own settings and parts (LLM runtime).
        resources = dataclasses.replace(base, settings=test_settings, parts={})
        runtime = LLMRuntime(test_settings, keys=ProviderKeyStore(test_settings), policy=FAST_POLICY)
        install_llm_runtime(resources, runtime)
        made.append(runtime)
        return resources

    yield make
    for runtime in made:
        await runtime.aclose()


@pytest.fixture
async def admin_keys(gql: GraphQLClient, admin_token: str) -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """add(provider, secret) -> the key's global id, through addProviderKey; removed after the test."""
    added: list[str] = []

    async def add(provider: str = "openrouter", secret: str | None = None) -> str:
        secret = secret or f"sk-test-{uuid.uuid4().hex}"
        data = (await gql.execute(ADD_KEY, {"provider": provider, "key": secret}, token=admin_token)).ok()
        added.append(data["addProviderKey"]["id"])
        return str(data["addProviderKey"]["id"])

    yield add
    for key_id in added:
        await gql.execute(REMOVE_KEY, {"id": key_id}, token=admin_token)


async def provider_keys(gql: GraphQLClient, admin_token: str) -> dict[str, dict[str, Any]]:
    data = (await gql.execute(PROVIDER_KEYS, token=admin_token)).ok()
    return {k["id"]: k for k in data["providerKeys"]}
