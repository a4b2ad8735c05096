"""Automatic persisted queries (Apollo's APQ protocol), as PersistedQueryLink, urql and gql speak it.

A client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": H}`:

- with the query: H must be the SHA-256 of the query's text (a mismatch is
  BAD_USER_INPUT); the query is stored under H and runs;
- without it: the stored query runs; an unknown H answers
  PERSISTED_QUERY_NOT_FOUND (message "PersistedQueryNotFound", the string the
  clients look for), and the client sends the query again with its hash.

Hash-only requests may be GETs (queries only), whose short URLs HTTP caches
can keep. The store is bounded either way: embedded, an in-process LRU of
MAX_ENTRIES; with REDIS_URL, keys shared by every API replica, each with a
TTL, plus a sorted index that evicts the oldest past MAX_ENTRIES. A store
that fails (Redis down) answers "not found" and stores nothing: the client
falls back to sending its query, and nothing is refused for it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from graphql import GraphQLError
from redis.asyncio import Redis

from docat.settings import Settings
from graphql_api.hardening import MAX_QUERY_LENGTH

log = logging.getLogger("docat.graphql")

MAX_ENTRIES = 5_000
TTL_SECONDS = 7 * 24 * 3600
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class PersistedQueryStore(Protocol):
    async def get(self, sha256_hash: str) -> str | None: ...

    async def put(self, sha256_hash: str, query: str) -> None: ...


@dataclass(frozen=True)
class PersistedQueries:
    """This process's APQ store, as provided to Resources by the app lifespan."""

    store: PersistedQueryStore


class LocalPersistedQueries:
    """Embedded: a bounded LRU in this process."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._queries: OrderedDict[str, str] = OrderedDict()

    async def get(self, sha256_hash: str) -> str | None:
        query = self._queries.get(sha256_hash)
        if query is not None:
            self._queries.move_to_end(sha256_hash)
        return query

    async def put(self, sha256_hash: str, query: str) -> None:
        self._queries[sha256_hash] = query
        self._queries.move_to_end(sha256_hash)
        while len(self._queries) > self.max_entries:
            self._queries.popitem(last=False)


class RedisPersistedQueries:
    """Production: shared by every replica; each entry expires, and the oldest go past MAX_ENTRIES."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "docat:apq",
        max_entries: int = MAX_ENTRIES,
        ttl: int = TTL_SECONDS,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.max_entries = max_entries
        self.ttl = ttl

    def _key(self, sha256_hash: str) -> str:
        return f"{self.prefix}:q:{sha256_hash}"

    async def get(self, sha256_hash: str) -> str | None:
        value: Any = await self.redis.get(self._key(sha256_hash))
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def put(self, sha256_hash: str, query: str) -> None:
        index = f"{self.prefix}:index"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(sha256_hash), query, ex=self.ttl)
            pipe.zadd(index, {sha256_hash: time.time()})
            # Entries older than the TTL have expired by themselves; drop them from the index.
            pipe.zremrangebyscore(index, 0, time.time() - self.ttl)
            pipe.zcard(index)
            *_, size = await pipe.execute()
        if size > self.max_entries:
            evicted = await self.redis.zpopmin(index, size - self.max_entries)
            names = [name.decode() if isinstance(name, bytes) else str(name) for name, _ in evicted]
            if names:
                await self.redis.delete(*(self._key(name) for name in names))


@asynccontextmanager
async def open_persisted_queries(settings: Settings) -> AsyncIterator[PersistedQueryStore]:
    if not settings.redis_url:
        yield LocalPersistedQueries()
        return
    redis = Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        yield RedisPersistedQueries(redis)
    finally:
        await redis.aclose()


def _refusal(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def persisted_query_hash(extensions: dict[str, Any] | None) -> str | GraphQLError | None:
    """The request's APQ hash, None without one, or why the extension is unusable."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        return _refusal("persistedQuery: only version 1 is supported", "BAD_USER_INPUT")
    sha256_hash = persisted.get("sha256Hash")
    if not isinstance(sha256_hash, str) or not _SHA256_HEX.fullmatch(sha256_hash):
        return _refusal("persistedQuery.sha256Hash must be 64 lowercase hex digits", "BAD_USER_INPUT")
    return sha256_hash


async def resolve_persisted_query(
    store: PersistedQueryStore | None, query: str | None, extensions: dict[str, Any] | None
) -> str | GraphQLError | None:
    """The query to run (unchanged without APQ), or the error to answer with."""
    sha256_hash = persisted_query_hash(extensions)
    if sha256_hash is None or isinstance(sha256_hash, GraphQLError):
        return sha256_hash if sha256_hash is not None else query
    if query is not None:
        if hashlib.sha256(query.encode()).hexdigest() != sha256_hash:
            return _refusal("provided sha does not match query", "BAD_USER_INPUT")
        if store is not None and len(query) <= MAX_QUERY_LENGTH:
            try:
                await store.put(sha256_hash, query)
            except Exception:
                log.warning("persisted query store unavailable; query not stored", exc_info=True)
        return query
    stored = None
    if store is not None:
        try:
            stored = await store.get(sha256_hash)
        except Exception:
            log.warning("persisted query store unavailable; answered not found", exc_info=True)
    if stored is None:
        return _refusal(NOT_FOUND_MESSAGE, "PERSISTED_QUERY_NOT_FOUND")
    return stored
