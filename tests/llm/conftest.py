from __future__ import annotations

import httpx
import pytest

from jobs.llm.key_pool import ApiKey, KeyPool
from jobs.llm.transport import RetryPolicy
from tests.fixtures.fake_llm import fake_llm  # noqa: F401  (the fixture)


@pytest.fixture
def fast_policy() -> RetryPolicy:
    """Real retries with tiny pauses, so retry paths run in milliseconds."""
    return RetryPolicy(
        attempts=3,
        backoff_base=0.01,
        backoff_cap=0.02,
        retry_after_cap=0.05,
        timeout=httpx.Timeout(5.0),
    )


@pytest.fixture
def pool() -> KeyPool:
    return KeyPool(
        [ApiKey("openrouter", "sk-good", id="k1"), ApiKey("gemini", "g-good", id="g1")], rest_base=0.01
    )
