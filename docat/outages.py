"""Which exceptions mean "a dependency is down" rather than "this code is wrong".

    dependency = outage_of(exc)      # "redis", "database", "storage", or None

A request that fails because PostgreSQL, Redis or S3 cannot be reached is
answered SERVICE_UNAVAILABLE (retryable) instead of INTERNAL: the client did
nothing wrong and the same request will work once the dependency is back.
The libraries wrap each other's errors (Tortoise around asyncpg, limits around
redis-py), so the whole cause chain is looked at, not only the outer error.

Connection-level errors only: a constraint violation or a bad SQL statement is
a bug, and stays INTERNAL.
"""

from __future__ import annotations

import asyncpg.exceptions
import botocore.exceptions
import redis.exceptions
from tortoise.exceptions import DBConnectionError

from docat.errors import error_chain

# Ordered: the first match names the dependency.
_OUTAGES: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    ("redis", (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)),
    (
        "database",
        (
            DBConnectionError,
            asyncpg.exceptions.PostgresConnectionError,  # 08xxx: connection lost, refused
            asyncpg.exceptions.CannotConnectNowError,  # 57P03: starting up or shutting down
            asyncpg.exceptions.ConnectionDoesNotExistError,
        ),
    ),
    (
        "storage",
        (
            botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.ConnectionClosedError,
        ),
    ),
    # Raw socket errors (asyncpg's connect, a pool reconnect) when nothing above wrapped them.
    ("network", (ConnectionRefusedError, ConnectionResetError, ConnectionAbortedError, TimeoutError)),
)
_MAX_CHAIN = 8


def outage_of(exc: BaseException) -> str | None:
    """The dependency `exc` says is unreachable, or None when it is any other error."""
    for error in error_chain(exc, _MAX_CHAIN):
        # asyncpg says "connection is closed" with an InterfaceError when a pooled connection died.
        if isinstance(error, asyncpg.exceptions.InterfaceError) and "connection" in str(error).lower():
            return "database"
        for name, kinds in _OUTAGES:
            if isinstance(error, kinds):
                return name
    return None


__all__ = ["outage_of"]
