from __future__ import annotations

from jobs.llm.key_pool import ApiKey, KeyPool


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_pool(clock: Clock, **kwargs: object) -> KeyPool:
    keys = [ApiKey("openrouter", f"sk-{i}", id=f"k{i}") for i in range(3)]
    return KeyPool(keys, clock=clock, rest_base=1.0, rest_cap=8.0, **kwargs)  # type: ignore[arg-type]


def test_round_robin_over_active_keys() -> None:
    pool = make_pool(Clock())
    pool.keys("openrouter")[1].active = False
    picked = [pool.acquire("openrouter").secret for _ in range(4)]  # type: ignore[union-attr]
    assert picked == ["sk-0", "sk-2", "sk-0", "sk-2"]


async def test_failing_key_rests_with_capped_exponential_backoff() -> None:
    clock = Clock()
    pool = make_pool(clock)
    key = pool.keys("openrouter")[0]
    rests = []
    for _ in range(6):
        await pool.report(key, False)
        rests.append(pool.rest_seconds(key))
    assert rests == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert (key.requests, key.failures) == (6, 6)
    # A resting key is skipped while others are ready.
    assert {pool.acquire("openrouter").secret for _ in range(4)} == {"sk-1", "sk-2"}  # type: ignore[union-attr]
    clock.now += 8.0
    await pool.report(key, True)
    assert pool.rest_seconds(key) == 0 and key.consecutive_failures == 0


async def test_retry_after_lengthens_the_rest_and_bad_requests_do_not_rest() -> None:
    pool = make_pool(Clock())
    key = pool.keys("openrouter")[0]
    await pool.report(key, False, retry_after=5.0)
    assert pool.rest_seconds(key) == 5.0
    other = pool.keys("openrouter")[1]
    await pool.report(other, False, rest=False)
    assert pool.rest_seconds(other) == 0 and other.failures == 1


async def test_all_resting_gives_the_first_to_wake_and_exclusions_end_in_none() -> None:
    clock = Clock()
    pool = make_pool(clock)
    keys = pool.keys("openrouter")
    for n, key in enumerate(keys):
        for _ in range(3 - n):  # key 2 rests least
            await pool.report(key, False)
    assert pool.acquire("openrouter") is keys[2]
    assert pool.acquire("openrouter", exclude=keys) is None
    assert pool.acquire("gemini") is None


async def test_usage_callback_gets_db_keys_only_and_its_errors_are_swallowed() -> None:
    calls: list[tuple[str, bool]] = []

    async def on_usage(key_id: str, ok: bool) -> None:
        calls.append((key_id, ok))
        if not ok:
            raise RuntimeError("database down")

    pool = KeyPool([ApiKey("gemini", "env-key"), ApiKey("gemini", "db-key", id="7")], on_usage=on_usage)
    env, db = pool.keys("gemini")
    await pool.report(env, True)
    await pool.report(db, True)
    await pool.report(db, False)
    assert calls == [("7", True), ("7", False)]
    assert db.last_used_at is not None


def test_same_secret_from_env_and_db_is_one_key_with_the_db_id() -> None:
    pool = KeyPool([ApiKey("openai", "sk-same")])
    pool.add(ApiKey("openrouter", "sk-same", id="42"))
    assert [(k.provider, k.id) for k in pool.keys("openrouter")] == [("openrouter", "42")]
    assert pool.providers() == ["openrouter"]
