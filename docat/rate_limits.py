"""Rate limits (the `limits` library): login, uploads and a per-user request budget.

Storage is Redis when REDIS_URL is set, so every API process counts against
the same windows, and process memory when embedded. The numbers are admin
settings read on every hit (through the settings snapshot), so a change
applies within seconds, without a restart.

- login: `rate_login_per_minute` attempts a minute per email and per client
  address, in a moving window. Every attempt counts, successful or not, and
  is counted before the password is checked: concurrent guesses cannot slip
  through between a check and a count.
- sign-ups (per client address) and password changes (per user) have windows
  of their own with the same number: both answer whether an email or a
  password is right.
- uploads: `rate_uploads_<tier>_per_hour` per user, in a moving window.
- requests: `rate_requests_per_minute` GraphQL operations per user (per
  client address when anonymous), in a fixed window: one counter per hit is
  cheap enough to run on every operation. The caller names the user by the
  verified token's subject (no database read). Embedded, the budget is
  counted by `LocalFixedWindow` below rather than by `limits`' memory store,
  which schedules an expiry task per hit that hops to a thread: both count
  per process, ours costs a dict lookup.

A refusal raises RATE_LIMITED with `retryAfter`, the seconds until the window
has room again.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from limits.aio.strategies import RateLimiter as Strategy

from docat.admin_settings import get_setting
from docat.errors import RateLimited
from docat.settings import Settings

if TYPE_CHECKING:
    from models import User

DEFAULT_KEY_PREFIX = "docat:limits"


class ClientContext(Protocol):
    """What the limiter needs of a request (graphql_api.context.Context has it)."""

    @property
    def client_address(self) -> str: ...


def _digest(value: str) -> str:
    # Keys carry no email addresses and stay short whatever a client sends.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class LocalFixedWindow:
    """Fixed windows of `seconds` counted in this process: a dict of key -> count.

    Windows are aligned to the clock; the counts of the previous window are
    dropped as the first hit of a new one arrives, so the dict holds only the
    keys seen in the current window.
    """

    def __init__(self, seconds: int = 60) -> None:
        self.seconds = seconds
        self.window = -1
        self.counts: dict[str, int] = {}

    def hit(self, key: str, limit: int, now: float | None = None) -> int | None:
        """Count one hit; None if allowed, else the seconds until the window ends."""
        now = time.time() if now is None else now
        window = int(now // self.seconds)
        if window != self.window:
            self.window = window
            self.counts = {}
        count = self.counts.get(key, 0)
        if count >= limit:
            return max(1, math.ceil((window + 1) * self.seconds - now))
        self.counts[key] = count + 1
        return None


class RateLimiter:
    """The three limits of the service over one storage."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage
        self.moving = MovingWindowRateLimiter(storage)
        self.fixed = FixedWindowRateLimiter(storage)
        # Process memory counts per process either way: the hot request budget skips limits' store.
        self.local_requests = LocalFixedWindow(60) if isinstance(storage, MemoryStorage) else None

    async def _setting(self, key: str) -> int:
        return int(await get_setting(self.settings, key))

    async def _hit(self, strategy: Strategy, item: RateLimitItem, *identifiers: str) -> int | None:
        """Count one hit; None if allowed, else the seconds until there is room."""
        if await strategy.hit(item, *identifiers):
            return None
        stats = await strategy.get_window_stats(item, *identifiers)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def hit_login(self, context: ClientContext, email: str) -> None:
        per_minute = await self._setting("rate_login_per_minute")
        item = RateLimitItemPerMinute(per_minute)
        # Both are counted, even when the first refuses: a refused attempt is an attempt.
        waits = [
            await self._hit(self.moving, item, "login-email", _digest(email.strip().lower())),
            await self._hit(self.moving, item, "login-address", context.client_address),
        ]
        refused = [w for w in waits if w is not None]
        if refused:
            raise RateLimited(
                f"too many login attempts; at most {per_minute} a minute per email and per address",
                retry_after=max(refused),
            )

    async def hit_register(self, context: ClientContext) -> None:
        """Sign-ups per client address (its own window: "already exists" reveals accounts)."""
        per_minute = await self._setting("rate_login_per_minute")
        wait = await self._hit(
            self.moving, RateLimitItemPerMinute(per_minute), "register", context.client_address
        )
        if wait is not None:
            raise RateLimited(
                f"too many sign-ups; at most {per_minute} a minute per address", retry_after=wait
            )

    async def hit_password_change(self, user: User) -> None:
        """Password changes per user: a stolen token must not become a password oracle."""
        per_minute = await self._setting("rate_login_per_minute")
        wait = await self._hit(self.moving, RateLimitItemPerMinute(per_minute), "password", str(user.id))
        if wait is not None:
            raise RateLimited(f"too many password changes; at most {per_minute} a minute", retry_after=wait)

    async def hit_upload(self, context: ClientContext, user: User) -> None:
        tier = user.tier.value.lower()
        per_hour = await self._setting(f"rate_uploads_{tier}_per_hour")
        wait = await self._hit(self.moving, RateLimitItemPerHour(per_hour), "upload", str(user.id))
        if wait is not None:
            raise RateLimited(
                f"upload limit reached: {per_hour} an hour on the {tier.upper()} tier", retry_after=wait
            )

    async def hit_request(self, context: ClientContext, subject: str | None) -> None:
        """One operation of `subject`'s budget (from a verified token), else of the client address."""
        per_minute = await self._setting("rate_requests_per_minute")
        who = ("user", subject) if subject is not None else ("address", context.client_address)
        if self.local_requests is not None:
            wait = self.local_requests.hit(":".join(who), per_minute)
        else:
            wait = await self._hit(self.fixed, RateLimitItemPerMinute(per_minute), "request", *who)
        if wait is not None:
            raise RateLimited(f"request limit reached: {per_minute} operations a minute", retry_after=wait)

    async def close(self) -> None:
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()
        timer = getattr(self.storage, "timer", None)
        if timer is not None and not timer.done():
            # MemoryStorage's expiry task: not left pending past the app's lifespan.
            timer.cancel()


def open_storage(settings: Settings, key_prefix: str = DEFAULT_KEY_PREFIX) -> Storage:
    if settings.redis_url:
        return RedisStorage(f"async+{settings.redis_url}", implementation="redispy", key_prefix=key_prefix)
    return MemoryStorage()


@asynccontextmanager
async def open_rate_limiter(
    settings: Settings, key_prefix: str = DEFAULT_KEY_PREFIX
) -> AsyncIterator[RateLimiter]:
    limiter = RateLimiter(settings, open_storage(settings, key_prefix))
    try:
        yield limiter
    finally:
        await limiter.close()
