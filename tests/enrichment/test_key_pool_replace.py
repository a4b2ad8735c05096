"""KeyPool.replace: what a reload of the admin's keys keeps and drops."""

from __future__ import annotations

from jobs.llm.key_pool import ApiKey, KeyPool


async def test_surviving_keys_keep_their_rest_and_counts_and_removed_keys_go() -> None:
    pool = KeyPool([ApiKey("openrouter", "env"), ApiKey("openrouter", "db-1", id="1")], rest_base=60)
    resting = pool.keys("openrouter")[1]
    await pool.report(resting, False)
    pool.replace(
        [ApiKey("openrouter", "env"), ApiKey("openrouter", "db-1", id="1"), ApiKey("gemini", "g", id="2")]
    )
    env, db = pool.keys("openrouter")
    assert db.secret == "db-1" and db.failures == 1 and pool.rest_seconds(db) > 50
    assert pool.acquire("openrouter") is env  # still resting after the reload
    assert pool.has_keys("gemini")

    pool.replace([ApiKey("openrouter", "env")])
    assert [k.secret for k in pool.keys("openrouter")] == ["env"] and not pool.has_keys("gemini")


async def test_an_admin_copy_of_an_environment_key_takes_its_id_but_cannot_switch_it_off() -> None:
    pool = KeyPool()
    pool.replace([ApiKey("gemini", "same"), ApiKey("gemini", "same", id="9", active=False)])
    (key,) = pool.keys("gemini")
    assert key.id == "9" and key.active


async def test_every_request_is_observed_env_keys_included() -> None:
    seen: list[tuple[str, bool]] = []
    pool = KeyPool([ApiKey("openrouter", "env")], on_request=lambda p, ok: seen.append((p, ok)))
    await pool.report(pool.keys("openrouter")[0], True)
    await pool.report(pool.keys("openrouter")[0], False)
    assert seen == [("openrouter", True), ("openrouter", False)]
