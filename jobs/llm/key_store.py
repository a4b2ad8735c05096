"""The admin's provider keys (database rows) as one KeyPool per process.

    ProviderKey rows ──decrypt──> ApiKey(id=row id) ─┐
    OPENROUTER_API_KEY / GEMINI_API_KEY ─────────────┴─> KeyPool ──on_usage──> requests/failures/last_used_at

The pool is reloaded from the database at most every `refresh_seconds`, when
someone asks for it, so keys an admin adds, deactivates or removes take effect
on every worker within that time without a restart; keys that survive a
reload keep their rest (see KeyPool.replace). Usage is written with one
atomic UPDATE per request (F expressions), so workers never lose each other's
counts.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from tortoise.expressions import F

from docat import metrics
from docat.security import decrypt_secret
from docat.settings import Settings
from jobs.llm.key_pool import PROVIDERS, ApiKey, KeyPool, normalize_provider
from jobs.llm.provider_choice import build_key_pool, environment_keys
from models import ProviderKey

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 30.0


async def load_stored_keys(settings: Settings) -> list[ApiKey]:
    """The active admin keys of known providers, decrypted; undecryptable rows are skipped, loudly."""
    keys: list[ApiKey] = []
    for row in await ProviderKey.filter(is_active=True).order_by("created_at"):
        provider = normalize_provider(row.provider)
        if provider not in PROVIDERS:
            continue
        try:
            secret = decrypt_secret(settings.signing_key, row.key_encrypted)
        except ValueError:
            # SECRET_KEY changed since the key was added: the admin must add it again.
            logger.error("provider key %s (…%s) cannot be decrypted with this SECRET_KEY", row.id, row.last4)
            continue
        keys.append(ApiKey(provider, secret, id=str(row.id)))
    return keys


async def stored_key_exists() -> bool:
    """Is there an active admin key for a known provider? One cheap query, no decryption."""
    return await ProviderKey.filter(is_active=True, provider__in=list(PROVIDERS)).exists()


async def record_key_usage(key_id: str, ok: bool) -> None:
    """Count one request with the admin key `key_id` in the database, atomically."""
    updates: dict[str, object] = {"requests": F("requests") + 1, "last_used_at": datetime.now(UTC)}
    if not ok:
        updates["failures"] = F("failures") + 1
    await ProviderKey.filter(id=uuid.UUID(key_id)).update(**updates)


class ProviderKeyStore:
    """One KeyPool for this process: environment keys plus the admin's, reloaded now and then."""

    def __init__(
        self,
        settings: Settings,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self.pool: KeyPool = build_key_pool(
            settings, on_usage=record_key_usage, on_request=metrics.record_provider_request
        )
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    async def current_pool(self) -> KeyPool:
        """The pool, reloaded first when the last load is older than `refresh_seconds`."""
        if self._stale():
            async with self._lock:
                if self._stale():  # another task may have reloaded while we waited
                    await self.refresh()
        return self.pool

    async def refresh(self) -> None:
        """Reload the admin's keys now (tests, and right after an admin changed them)."""
        try:
            stored = await load_stored_keys(self.settings)
        except Exception:
            # A database hiccup keeps the keys we had rather than failing the job outright.
            if self._loaded_at is None:
                raise
            logger.exception("reloading provider keys failed; keeping the previous set")
            stored = [k for p in PROVIDERS for k in self.pool.keys(p) if k.id is not None]
        self.pool.replace([*environment_keys(self.settings), *stored])
        self._loaded_at = self._clock()

    def _stale(self) -> bool:
        return self._loaded_at is None or self._clock() - self._loaded_at >= self.refresh_seconds


__all__ = [
    "REFRESH_SECONDS",
    "ProviderKeyStore",
    "load_stored_keys",
    "record_key_usage",
    "stored_key_exists",
]
