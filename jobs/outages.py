"""A lost connection to PostgreSQL, Redis or S3, inside one attempt of a job: wait, then go on.

    if is_connection_error(exc): ...                    # refused, reset, gone: not a bug
    window = OutageWindow()                             # one per attempt of a job
    delay = window.next_delay()                         # None once the budget is spent
    await retry_connection(lambda: end_run(...), window, "ending the run")

An outage of a few seconds (a PostgreSQL restart, a failover, a Redis blip)
used to end a step with an exception; the job then spent one of its attempts
(arq `Retry`) or, for the claim, failed outright. Now the job waits out
connection errors within the same attempt: capped exponential backoff with
jitter, for up to `BUDGET_SECONDS` of outage per attempt (the window restarts
after any step that succeeds). Only past that does the attempt end as before.

Only connection-level trouble counts. A SQL error, a constraint, a 4xx from
S3 are bugs or bad input, and waiting would not change them.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from docat.errors import error_chain
from docat.storage import StorageUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Outage a job waits out within one attempt before it falls back to an arq retry.
BUDGET_SECONDS = 60.0
# First and largest delay between two tries (doubling, plus up to 50% jitter).
DELAYS = (0.25, 5.0)

# Exception class names, by top-level module, that mean "the connection was lost or refused".
_CONNECTION_ERRORS: dict[str, frozenset[str]] = {
    "asyncpg": frozenset(
        {
            "ConnectionDoesNotExistError",
            "ConnectionFailureError",
            "PostgresConnectionError",
            "CannotConnectNowError",
            "TooManyConnectionsError",
            "AdminShutdownError",
            "CrashShutdownError",
            "InterfaceError",
        }
    ),
    "tortoise": frozenset({"DBConnectionError"}),
    "redis": frozenset({"ConnectionError", "TimeoutError", "BusyLoadingError"}),
    "botocore": frozenset(
        {"EndpointConnectionError", "ConnectionClosedError", "ConnectTimeoutError", "ReadTimeoutError"}
    ),
    "aiohttp": frozenset({"ClientConnectorError", "ServerDisconnectedError", "ClientOSError"}),
}
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ETIMEDOUT,
    }
)


def _is_connection_error_one(exc: BaseException) -> bool:
    if isinstance(exc, StorageUnavailable | ConnectionError | TimeoutError):
        return True
    module = type(exc).__module__.split(".", 1)[0]
    if type(exc).__name__ in _CONNECTION_ERRORS.get(module, frozenset()):
        return True
    if isinstance(exc, OSError):
        # asyncio's connect to a name with several addresses raises a bare OSError
        # ("Multiple exceptions: [Errno 111] ...") with no errno of its own.
        return exc.errno in _NETWORK_ERRNOS or str(exc).startswith(
            ("Multiple exceptions", "Connect call failed")
        )
    return False


def is_connection_error(exc: BaseException) -> bool:
    """True when `exc` (or what caused it: a tortoise OperationalError wrapping a lost
    connection) says a service could not be reached."""
    return any(_is_connection_error_one(link) for link in error_chain(exc))


class OutageWindow:
    """The outage budget of one attempt: delays until `budget` seconds of failures in a row."""

    def __init__(self, budget: float = BUDGET_SECONDS, delays: tuple[float, float] = DELAYS) -> None:
        self.budget = budget
        self.first, self.cap = delays
        self.failures = 0
        self._since: float | None = None
        #: Outages waited out in this attempt (for the job's log).
        self.outages = 0

    def next_delay(self) -> float | None:
        """The wait before the next try, or None when the outage has outlasted the budget."""
        now = time.monotonic()
        if self._since is None:
            self._since = now
            self.outages += 1
        elapsed = now - self._since
        if elapsed >= self.budget:
            return None
        base = min(self.cap, self.first * 2**self.failures)
        self.failures += 1
        return min(base * (1 + random.random() / 2), max(0.05, self.budget - elapsed))

    def succeeded(self) -> None:
        """A step got through: the next failure starts a new outage."""
        self.failures = 0
        self._since = None


async def retry_connection(step: Callable[[], Awaitable[T]], window: OutageWindow, what: str) -> T:
    """`await step()`, tried again after each connection error while `window` allows."""
    while True:
        try:
            result = await step()
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            delay = window.next_delay()
            if delay is None:
                raise
            logger.warning("%s: a service is unreachable (%r); trying again in %.1f s", what, exc, delay)
            await asyncio.sleep(delay)
            continue
        window.succeeded()
        return result


__all__ = ["BUDGET_SECONDS", "OutageWindow", "is_connection_error", "retry_connection"]
