"""Rate limits (the `limits` library): login, uploads and a per-user request budget.

Storage is Redis when REDIS_URL is set, so every API process counts against
the same windows, and process memory when embedded. The numbers are admin
settings read on every hit (through the settings snapshot), so a change
applies within seconds, without a restart.

- login: `rate_login_per_minute` attempts a minute per (email, client address),
  and `ADDRESS_FACTOR` times that per client address whatever the email, in
  moving windows. Never per email alone: then anyone anywhere could lock the
  owner out by guessing wrong five times a minute, forever. Guessing one
  account from one address is held to the login rate; spraying many accounts
  from one address to the address rate. Every attempt counts, successful or
  not, and is counted before the password is checked: concurrent guesses
  cannot slip through between a check and a count.
- sign-ups (per client address) and password changes (per user) have windows
  of their own with the login number: both answer whether an email or a
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

When the store (Redis) cannot be reached within `REDIS_TIMEOUT_SECONDS`:
login, sign-ups, password changes and uploads fail closed (SERVICE_UNAVAILABLE,
retryable): an outage must not switch off the brute-force limits, and an
upload cannot be queued without Redis anyway. The request budget fails open:
it only shares capacity fairly, and refusing every request because of it
would turn a Redis blip into a full outage of reads that do not need Redis.
"""

from __future__ import annotations

import hashlib
import logging
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
from docat.errors import RateLimited, ServiceUnavailable
from docat.outages import outage_of
from docat.settings import Settings

if TYPE_CHECKING:
    from models import User

log = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "docat:limits"
# Attempts a minute per client address, as a multiple of the per-(email, address) number: a
# few people behind one office NAT mistyping their passwords must not lock each other out.
ADDRESS_FACTOR = 4
# Connect and command timeouts of the store's Redis client: a request waits at most this long.
REDIS_TIMEOUT_SECONDS = 2.0
# An open budget logs the outage at most this often (every request would log it otherwise).
_OPEN_LOG_INTERVAL = 30.0


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
        self._open_logged_at = float("-inf")

    @asynccontextmanager
    async def _closed_on_outage(self, what: str) -> AsyncIterator[None]:
        """A limit that must hold: its store unreachable refuses the attempt, retryably."""
        try:
            yield
        except Exception as exc:
            if outage_of(exc) is None:
                raise
            log.warning("%s refused: the rate limit store is unreachable (%s)", what, type(exc).__name__)
            raise ServiceUnavailable(
                f"{what} is unavailable for a moment (its rate limit cannot be checked); try again shortly"
            ) from exc

    def _log_open(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._open_logged_at >= _OPEN_LOG_INTERVAL:
            self._open_logged_at = now
            log.warning(
                "request budget not counted: the rate limit store is unreachable (%s)", type(exc).__name__
            )

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
        per_address = per_minute * ADDRESS_FACTOR
        address = context.client_address
        async with self._closed_on_outage("sign-in"):
            # Both are counted, even when the first refuses: a refused attempt is an attempt.
            waits = [
                await self._hit(
                    self.moving,
                    RateLimitItemPerMinute(per_minute),
                    "login-pair",
                    _digest(email.strip().lower()),
                    address,
                ),
                await self._hit(self.moving, RateLimitItemPerMinute(per_address), "login-address", address),
            ]
        refused = [w for w in waits if w is not None]
        if refused:
            raise RateLimited(
                f"too many login attempts from this address; at most {per_minute} a minute per "
                f"account and {per_address} a minute in all",
                retry_after=max(refused),
            )

    async def hit_register(self, context: ClientContext) -> None:
        """Sign-ups per client address (its own window: "already exists" reveals accounts)."""
        per_minute = await self._setting("rate_login_per_minute")
        async with self._closed_on_outage("sign-up"):
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
        async with self._closed_on_outage("password change"):
            wait = await self._hit(self.moving, RateLimitItemPerMinute(per_minute), "password", str(user.id))
        if wait is not None:
            raise RateLimited(f"too many password changes; at most {per_minute} a minute", retry_after=wait)

    async def hit_upload(self, context: ClientContext, user: User) -> None:
        tier = user.tier.value.lower()
        per_hour = await self._setting(f"rate_uploads_{tier}_per_hour")
        async with self._closed_on_outage("upload"):
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
            try:
                wait = await self._hit(self.fixed, RateLimitItemPerMinute(per_minute), "request", *who)
            except Exception as exc:
                if outage_of(exc) is None:
                    raise
                # Open: the budget shares capacity; it is no reason to refuse every request.
                self._log_open(exc)
                return
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
        return RedisStorage(
            f"async+{settings.redis_url}",
            implementation="redispy",
            key_prefix=key_prefix,
            # Fail fast when Redis is down: the caller answers SERVICE_UNAVAILABLE or lets the
            # request through (see above) instead of holding it for TCP's own timeouts.
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
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
