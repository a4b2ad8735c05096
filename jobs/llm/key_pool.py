"""API keys per provider: round-robin, usage counting and resting failing keys.

Keys come from the environment (OPENROUTER_API_KEY, GEMINI_API_KEY) and from
the admin's provider keys in the database (those carry an id). The pool is
pure in-memory state; persistence is the caller's business through the
optional `on_usage(key_id, ok)` callback, called after every request with a
key that has an id.

A key that fails (401, 429, 5xx...) rests for an exponentially growing time,
capped, so one bad key neither stops the work nor gets hammered. If every key
is resting, the one that wakes first is used anyway: a slow request beats no
request, and the HTTP layer bounds the attempts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

OPENROUTER = "openrouter"
GEMINI = "gemini"
PROVIDERS: tuple[str, ...] = (OPENROUTER, GEMINI)
# Names an admin may type for the OpenAI-compatible endpoint.
_PROVIDER_ALIASES = {"openai": OPENROUTER, "openai_compat": OPENROUTER, "google": GEMINI}

UsageCallback = Callable[[str, bool], Awaitable[None]]
# Told about every request with any key (env keys too): (provider, ok). For metrics.
RequestObserver = Callable[[str, bool], None]


def normalize_provider(name: str) -> str:
    key = name.strip().lower()
    return _PROVIDER_ALIASES.get(key, key)


@dataclass(slots=True)
class ApiKey:
    provider: str
    secret: str = field(repr=False)
    id: str | None = None  # the database id of an admin key; None for the environment's
    active: bool = True
    requests: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    rest_until: float = 0.0  # monotonic clock
    last_used_at: float | None = None  # wall clock

    @property
    def last4(self) -> str:
        return self.secret[-4:]


class KeyPool:
    def __init__(
        self,
        keys: Iterable[ApiKey] = (),
        *,
        on_usage: UsageCallback | None = None,
        on_request: RequestObserver | None = None,
        rest_base: float = 2.0,
        rest_cap: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys: dict[str, list[ApiKey]] = {}
        self._next: dict[str, int] = {}
        self.on_usage = on_usage
        self.on_request = on_request
        self.rest_base = rest_base
        self.rest_cap = rest_cap
        self._clock = clock
        for key in keys:
            self.add(key)

    def add(self, key: ApiKey) -> None:
        """Add a key; the same secret twice (env and DB) is kept once, the DB's id winning."""
        key.provider = normalize_provider(key.provider)
        keys = self._keys.setdefault(key.provider, [])
        for existing in keys:
            if existing.secret == key.secret:
                existing.id = existing.id or key.id
                # An inactive admin copy of an environment key does not switch the environment's off.
                existing.active = existing.active or key.active
                return
        keys.append(key)

    def replace(self, keys: Iterable[ApiKey]) -> None:
        """Swap in a fresh key set (a reload of the admin's keys), keeping what the pool learned.

        A key that survives (same provider and secret) keeps its counters and
        its rest, so a reload every few seconds never un-rests a failing key;
        keys gone from `keys` are dropped. Requests in flight still hold their
        old ApiKey and report on it harmlessly.
        """
        previous = {(p, k.secret): k for p, ks in self._keys.items() for k in ks}
        self._keys = {}
        for key in keys:
            self.add(key)
        for provider, fresh in self._keys.items():
            for key in fresh:
                old = previous.get((provider, key.secret))
                if old is not None:
                    key.requests, key.failures = old.requests, old.failures
                    key.consecutive_failures, key.rest_until = old.consecutive_failures, old.rest_until
                    key.last_used_at = old.last_used_at

    def keys(self, provider: str) -> list[ApiKey]:
        return list(self._keys.get(normalize_provider(provider), []))

    def has_keys(self, provider: str) -> bool:
        return any(k.active for k in self._keys.get(normalize_provider(provider), []))

    def providers(self) -> list[str]:
        """Providers with at least one active key, in PROVIDERS order."""
        return [p for p in PROVIDERS if self.has_keys(p)] + [
            p for p in self._keys if p not in PROVIDERS and self.has_keys(p)
        ]

    def acquire(self, provider: str, exclude: Iterable[ApiKey] = ()) -> ApiKey | None:
        """The next active, rested key round-robin; None when every active key is excluded."""
        provider = normalize_provider(provider)
        excluded = {id(k) for k in exclude}
        keys = self._keys.get(provider, [])
        candidates = [k for k in keys if k.active and id(k) not in excluded]
        if not candidates:
            return None
        now = self._clock()
        start = self._next.get(provider, 0)
        for offset in range(len(keys)):
            index = (start + offset) % len(keys)
            key = keys[index]
            if key.active and id(key) not in excluded and key.rest_until <= now:
                self._next[provider] = index + 1
                return key
        # Everyone is resting: the one that wakes first.
        return min(candidates, key=lambda k: k.rest_until)

    def rest_seconds(self, key: ApiKey) -> float:
        """How long `key` is resting from now (0 when ready)."""
        return max(0.0, key.rest_until - self._clock())

    async def report(
        self, key: ApiKey, ok: bool, *, retry_after: float | None = None, rest: bool = True
    ) -> None:
        """Count one request with `key`; a failure rests it (at least `retry_after` seconds).

        `rest=False` counts a failure that is not the key's fault (a bad request).
        """
        key.requests += 1
        key.last_used_at = time.time()
        if ok:
            key.consecutive_failures = 0
            key.rest_until = 0.0
        elif not rest:
            key.failures += 1
        else:
            key.failures += 1
            key.consecutive_failures += 1
            pause = min(self.rest_cap, self.rest_base * 2 ** (key.consecutive_failures - 1))
            if retry_after is not None:
                pause = max(pause, min(retry_after, self.rest_cap))
            key.rest_until = self._clock() + pause
        if self.on_request is not None:
            self.on_request(key.provider, ok)
        if self.on_usage is not None and key.id is not None:
            try:
                await self.on_usage(key.id, ok)
            except Exception:
                # Bookkeeping must never fail the translation it counts.
                logger.exception("recording usage of provider key %s failed", key.id)


__all__ = [
    "GEMINI",
    "OPENROUTER",
    "PROVIDERS",
    "ApiKey",
    "KeyPool",
    "RequestObserver",
    "UsageCallback",
    "normalize_provider",
]
