"""Admin keys in the pool: usage persisted per key, a rejected key rotated, reloads."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from jobs.llm.runtime import llm_runtime
from jobs.llm_ocr_translate import translate_content
from tests.enrichment.conftest import RuntimeFactory, provider_keys
from tests.enrichment.test_translation import document
from tests.fixtures.fake_llm import FakeLLM, FakeReply
from tests.fixtures.graphql_client import GraphQLClient

AddKey = Callable[..., Awaitable[str]]


async def test_usage_is_persisted_per_key(
    llm_resources: RuntimeFactory,
    admin_keys: AddKey,
    fake_llm: FakeLLM,
    gql: GraphQLClient,
    admin_token: str,
) -> None:
    key_id = await admin_keys("openrouter", "sk-usage-" + uuid.uuid4().hex)
    resources = await llm_resources()
    fake_llm.translate_mode()
    await translate_content(resources, document(uuid.uuid4().hex[:8]), "de")
    row = (await provider_keys(gql, admin_token))[key_id]
    assert (row["requests"], row["failures"]) == (1, 0) and row["lastUsedAt"] is not None

    # One 503, then success: two requests, one failure.
    fake_llm.enqueue(FakeReply(status=503))
    await translate_content(resources, document(uuid.uuid4().hex[:8]), "de")
    row = (await provider_keys(gql, admin_token))[key_id]
    assert (row["requests"], row["failures"]) == (3, 1)
    assert fake_llm.requests[-1].key is not None and fake_llm.requests[-1].key.startswith("sk-usage-")


async def test_a_rejected_key_is_rotated_to_the_next(
    llm_resources: RuntimeFactory,
    admin_keys: AddKey,
    fake_llm: FakeLLM,
    gql: GraphQLClient,
    admin_token: str,
) -> None:
    bad_secret, good_secret = "sk-bad-" + uuid.uuid4().hex, "sk-good-" + uuid.uuid4().hex
    bad = await admin_keys("openrouter", bad_secret)
    good = await admin_keys("openrouter", good_secret)
    fake_llm.rejected_keys.add(bad_secret)
    fake_llm.translate_mode()
    resources = await llm_resources()
    for _ in range(2):  # round robin starts on each key once
        content = document(uuid.uuid4().hex[:8])
        await translate_content(resources, content, "de")
        assert content.blocks[0].translated_text is not None
    rows = await provider_keys(gql, admin_token)
    assert rows[bad]["failures"] >= 1 and rows[bad]["requests"] == rows[bad]["failures"]
    assert (rows[good]["requests"], rows[good]["failures"]) == (2, 0)
    assert {r.key for r in fake_llm.requests} == {bad_secret, good_secret}


async def test_keys_added_and_removed_take_effect_on_reload(
    llm_resources: RuntimeFactory,
    admin_keys: AddKey,
    fake_llm: FakeLLM,
    gql: GraphQLClient,
    admin_token: str,
) -> None:
    resources = await llm_resources()
    store = llm_runtime(resources).keys
    assert not (await store.current_pool()).has_keys("gemini")
    secret = "g-reload-" + uuid.uuid4().hex
    key_id = await admin_keys("gemini", secret)
    # Within the refresh interval the pool is unchanged; a reload picks the key up.
    assert not (await store.current_pool()).has_keys("gemini")
    store.refresh_seconds = 0
    pool = await store.current_pool()
    assert [k.secret for k in pool.keys("gemini")] == [secret]

    await gql.execute(
        "mutation R($id: ID!) { removeProviderKey(id: $id) }", {"id": key_id}, token=admin_token
    )
    assert not (await store.current_pool()).has_keys("gemini")
