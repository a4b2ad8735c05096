"""The broadcaster backend over Redis pub/sub that survives connection loss; its timings.

The only module of the package that imports Redis. See "Redis trouble" in the package docstring
(docat/events/__init__.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from broadcaster import BroadcastBackend, Event
from redis import asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from docat.events.channels import _RESYNC_WIRE, EventBusUnavailable

if TYPE_CHECKING:
    from redis.asyncio.client import PubSub

logger = logging.getLogger(__name__)

# ---- Redis backend that survives connection loss ---------------------------------------------


@dataclass(frozen=True, slots=True)
class RedisOptions:
    """Timings of the Redis connections; the defaults suit production, tests shorten them."""

    #: Connecting, (re)subscribing, and any single command.
    connect_timeout: float = 5.0
    #: Silence on the pub/sub connection before it is PINGed.
    ping_interval: float = 5.0
    #: No answer this long after a PING: the connection is dead.
    ping_timeout: float = 5.0
    #: First and largest delay between reconnection attempts (doubling, with jitter).
    reconnect_backoff: tuple[float, float] = (0.1, 5.0)
    #: How long publish keeps retrying a connection error before raising EventBusUnavailable.
    publish_retry_for: float = 2.0


_TRANSIENT = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)


class _ResilientRedisBackend(BroadcastBackend):
    """broadcaster's backend protocol over redis-py, reconnecting and re-subscribing on loss."""

    def __init__(self, url: str, options: RedisOptions) -> None:
        # BroadcastBackend.__init__ only raises NotImplementedError: not called.
        self._url = url
        self._options = options
        self.client_name = f"docat-events-{os.getpid()}-{secrets.token_hex(4)}"
        #: Sessions that ended (connection lost); tests and health checks read it.
        self.disconnects = 0
        self._channels: set[str] = set()
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        # Guards `_channels` and `_pubsub` and every command sent on the pub/sub connection, so
        # a channel is never added between a reconnection's SUBSCRIBE and going live.
        self._lock = asyncio.Lock()
        self._pubsub: PubSub | None = None
        self._live = asyncio.Event()
        self._confirmations: dict[str, list[asyncio.Future[None]]] = {}
        self._publisher: aioredis.Redis | None = None
        self._publish_down = False
        self._reader: asyncio.Task[None] | None = None

    @property
    def live(self) -> bool:
        return self._live.is_set()

    async def connect(self) -> None:
        o = self._options
        self._publisher = aioredis.Redis.from_url(
            self._url, socket_connect_timeout=o.connect_timeout, socket_timeout=o.connect_timeout
        )
        self._reader = asyncio.create_task(self._run(), name="docat-events-redis-reader")
        try:
            await asyncio.wait_for(self._live.wait(), o.connect_timeout)
        except TimeoutError:
            # Not fatal: the API and workers must start while Redis is down; the reader keeps
            # trying and subscribers get a resync marker once it is back.
            logger.warning("event bus: Redis pub/sub not reachable yet; retrying in the background")

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._publisher is not None:
            await self._publisher.aclose()

    async def subscribe(self, channel: str) -> None:
        confirmed = asyncio.get_running_loop().create_future()
        self._confirmations.setdefault(channel, []).append(confirmed)
        try:
            async with asyncio.timeout(self._options.connect_timeout):
                async with self._lock:
                    self._channels.add(channel)
                    pubsub = self._pubsub
                    if pubsub is not None:
                        await pubsub.subscribe(channel)
                # Wait for Redis to confirm, so an event published after subscribe() returns
                # reaches this subscriber. Offline, the reader subscribes on reconnection and
                # sends a resync marker instead.
                if pubsub is not None:
                    await confirmed
        except (*_TRANSIENT, RedisError) as exc:
            logger.warning("event bus: subscribing %s not confirmed (%r); resync will follow", channel, exc)
        finally:
            waiters = self._confirmations.get(channel, [])
            if confirmed in waiters:
                waiters.remove(confirmed)
            if not waiters:
                self._confirmations.pop(channel, None)

    async def unsubscribe(self, channel: str) -> None:
        async with self._lock:
            self._channels.discard(channel)
            if self._pubsub is not None:
                # A failure is harmless: a reconnection subscribes only `_channels`.
                with contextlib.suppress(*_TRANSIENT, RedisError):
                    async with asyncio.timeout(self._options.connect_timeout):
                        await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        await self._send(repr(channel), lambda redis: redis.publish(channel, message))

    async def publish_many(self, channels: Sequence[str], message: Any) -> None:
        """One message on several channels in one round trip (a pipeline, in order)."""

        async def send(redis: aioredis.Redis) -> None:
            async with redis.pipeline(transaction=False) as pipe:
                for channel in channels:
                    pipe.publish(channel, message)
                await pipe.execute()

        await self._send(", ".join(map(repr, channels)), send)

    async def _send(self, where: str, send: Callable[[aioredis.Redis], Awaitable[Any]]) -> None:
        assert self._publisher is not None, "connect() first"
        if self._publish_down and not self._live.is_set():
            raise EventBusUnavailable(f"Redis is unreachable: event on {where} not published")
        o = self._options
        loop = asyncio.get_running_loop()
        deadline = loop.time() + o.publish_retry_for
        delay = o.reconnect_backoff[0]
        while True:
            try:
                async with asyncio.timeout(o.connect_timeout):
                    await send(self._publisher)
                self._publish_down = False
                return
            except _TRANSIENT as exc:
                if loop.time() + delay > deadline:
                    self._publish_down = True
                    raise EventBusUnavailable(
                        f"Redis is unreachable: event on {where} not published ({exc!r})"
                    ) from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, o.reconnect_backoff[1])
            except RedisError as exc:
                raise EventBusUnavailable(f"Redis refused the event on {where}: {exc!r}") from exc

    async def next_published(self) -> Event:
        # Never raises: broadcaster's listener task dies for good on the first exception.
        return await self._events.get()

    # -- the reader task ---------------------------------------------------------------------

    async def _run(self) -> None:
        first, largest = self._options.reconnect_backoff
        failures = 0
        while True:
            try:
                await self._session()
            except Exception as exc:
                if self._live.is_set():
                    logger.warning("event bus: Redis pub/sub connection lost (%r); reconnecting", exc)
                else:
                    logger.debug("event bus: Redis pub/sub connection attempt failed: %r", exc)
            went_live = self._live.is_set()
            self._live.clear()
            if went_live:
                self.disconnects += 1
                failures = 0
            failures += 1
            delay = min(largest, first * 2 ** (failures - 1))
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    async def _session(self) -> None:
        """One pub/sub connection, from connecting until it is lost (always ends by raising)."""
        o = self._options
        client = aioredis.Redis.from_url(
            self._url, client_name=self.client_name, socket_connect_timeout=o.connect_timeout
        )
        pubsub = client.pubsub()
        try:
            async with asyncio.timeout(o.connect_timeout):
                async with self._lock:
                    channels = sorted(self._channels)
                    if channels:
                        await pubsub.subscribe(*channels)
                    else:
                        await pubsub.connect()
                    self._pubsub = pubsub
            self._live.set()
            self._publish_down = False
            logger.info("event bus: Redis pub/sub connected (%d channels)", len(channels))
            # Every channel (re)subscribed here may have missed events while we were away.
            await self._read(pubsub, resync_pending=set(channels))
        finally:
            async with self._lock:
                self._pubsub = None
            with contextlib.suppress(Exception):
                async with asyncio.timeout(o.connect_timeout):
                    await pubsub.aclose()
                    await client.aclose()

    async def _read(self, pubsub: PubSub, resync_pending: set[str]) -> None:
        o = self._options
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        ping_sent: float | None = None
        while True:
            connection = pubsub.connection
            if connection is None or not connection.is_connected:
                # Disconnected by a failed SUBSCRIBE elsewhere; reading now would let redis-py
                # silently reconnect without us re-subscribing and sending the resync.
                raise RedisConnectionError("pub/sub connection closed")
            message = await pubsub.get_message(timeout=min(o.ping_interval, o.ping_timeout))
            now = loop.time()
            if message is not None:
                last_heard, ping_sent = now, None
                self._dispatch(message, resync_pending)
            elif ping_sent is not None:
                if now - ping_sent >= o.ping_timeout:
                    raise RedisTimeoutError(f"no answer to PING for {o.ping_timeout:.1f}s")
            elif now - last_heard >= o.ping_interval:
                # A half-open connection (host gone, server frozen) never errors on read: only
                # an unanswered PING reveals it.
                async with asyncio.timeout(o.connect_timeout), self._lock:
                    await pubsub.ping()
                ping_sent = now

    def _dispatch(self, message: dict[str, Any], resync_pending: set[str]) -> None:
        kind = message["type"]
        if kind == "message":
            channel = message["channel"].decode()
            self._events.put_nowait(Event(channel=channel, message=message["data"].decode()))
        elif kind == "subscribe":
            channel = message["channel"].decode()
            for waiter in self._confirmations.get(channel, []):
                if not waiter.done():
                    waiter.set_result(None)
            if channel in resync_pending:
                resync_pending.discard(channel)
                self._events.put_nowait(Event(channel=channel, message=_RESYNC_WIRE))
