"""The event bus: channel names, publish, subscribe. The only module that imports broadcaster.

    bus = await open_event_bus(settings)          # redis:// when REDIS_URL is set, memory:// otherwise
    await bus.publish(job_channel(doc_id), event)  # event: a JSON-able dict, serialized once
    await bus.publish_many([job_channel(d), user_channel(u), ALL_JOBS_CHANNEL], event)
    async with bus.subscribe([job_channel(doc_id)]) as events:
        async for event in events: ...            # dicts; see "Classification" and "Resync"
    await bus.close()

Channels (built only here): ``job:<documentId>``, ``user:<ownerId>``, ``jobs`` (JobProgress
events), ``pages:<documentId>`` (PageResult events) and ``account-rights`` (accounts whose
rights changed). A bus built with a ``namespace``
prefixes every channel on the wire, so tests sharing one Redis never see each other.

Fan-out. broadcaster gives every subscriber an unbounded asyncio.Queue, so the bus keeps ONE
broadcaster subscription per channel per process (refcounted, dropped with the last local
subscriber), parses each message once, and copies it into every local `Subscription`'s own
bounded queue. Event dicts are shared between subscribers: treat them as read-only.

Classification (what a full queue may drop). Per channel, in arrival order:
  * sticky: a terminal event (``status`` COMPLETED/FAILED/CANCELLED); a stage change (the first
    event of a ``documentId`` on this channel, or a ``stage`` or ``status`` different from its
    previous event's);
    anything that is not a JobProgress (no ``documentId``/``stage``, e.g. a PageResult); the
    resync marker;
  * intermediate: every other JobProgress (same document, status and stage as the one before).
When a subscription's queue is full, the oldest intermediate event goes; a new intermediate event
is dropped if only sticky events are queued; if the queue is full of sticky events (a consumer
stuck for a very long time) it collapses to ``[resync marker, newest event]``: the consumer
re-reads the database and loses nothing. So memory per subscriber never exceeds ``maxsize``.

Resync. ``{"type": "resync", "reason": "reconnect" | "overflow"}`` (test with `is_resync`) means
"events may have been missed: re-read the current state from the database". It is sent after
the Redis pub/sub connection was lost and every channel has been re-subscribed (and confirmed by
Redis, so nothing published after the marker is missed), and on overflow as above.

Redis trouble. broadcaster 0.3.1's own Redis backend stops listening for good when its pub/sub
connection drops; `_ResilientRedisBackend` replaces it: one reader task owns the pub/sub
connection (named with CLIENT SETNAME, see `EventBus.pubsub_client_name`), PINGs it after
``ping_interval`` of silence, treats a read error or an unanswered PING as a lost connection,
reconnects with exponential backoff, re-subscribes every channel and sends the resync marker.
`publish` retries connection errors for ``publish_retry_for`` seconds, then raises
`EventBusUnavailable`; while Redis is known to be down it raises at once, so a job publishing
many events during an outage is not slowed down. Callers log it and carry on. `open_event_bus`
does not fail when Redis is down (it waits ``connect_timeout`` and keeps trying in the
background); `EventBus.connected` says whether the pub/sub connection is up (for /health).
The memory:// bus never raises on publish and never sends a "reconnect" resync.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import os
import random
import secrets
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from broadcaster import Broadcast, BroadcastBackend, Event
from redis import asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

if TYPE_CHECKING:
    from redis.asyncio.client import PubSub

    from docat.settings import Settings

logger = logging.getLogger(__name__)

# ---- channel names --------------------------------------------------------------------------

ALL_JOBS_CHANNEL = "jobs"


def job_channel(document_id: object) -> str:
    return f"job:{document_id}"


def user_channel(owner_id: object) -> str:
    return f"user:{owner_id}"


def pages_channel(document_id: object) -> str:
    return f"pages:{document_id}"


def account_rights_channel() -> str:
    """One channel for every account whose role, active state or token version changed: each
    API process re-reads those accounts and closes the WebSockets that lost their rights."""
    return "account-rights"


# ---- event shapes ---------------------------------------------------------------------------

TERMINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
RESYNC_TYPE = "resync"
# What the Redis backend hands broadcaster for "re-subscribed, send a resync": published events
# are always JSON objects ("{..."), so this cannot collide with one.
_RESYNC_WIRE = "\x00resync"


def is_resync(event: Mapping[str, Any]) -> bool:
    """True for the marker telling a subscriber to re-read its state from the database."""
    return event.get("type") == RESYNC_TYPE


def _resync_marker(reason: str) -> dict[str, Any]:
    return {"type": RESYNC_TYPE, "reason": reason}


def is_terminal(event: Mapping[str, Any]) -> bool:
    return event.get("status") in TERMINAL_STATUSES


def _json_default(value: object) -> object:
    # Enums (strawberry's and the models') and datetimes are the only non-JSON values callers
    # hand us; anything else is a bug and should fail loudly.
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _serialize(event: Mapping[str, Any]) -> str:
    return json.dumps(event, default=_json_default, separators=(",", ":"), ensure_ascii=False)


class EventBusUnavailable(RuntimeError):
    """Redis could not take the event after brief retries; the event is lost (callers log it).

    Subscribers will get a resync marker once the connection is back, so they recover the state
    from the database.
    """


# ---- one subscriber's bounded queue ----------------------------------------------------------


class Subscription:
    """Events of one or more channels for one consumer, in arrival order, never more than maxsize.

    Iterate with ``async for``; the iteration ends when the bus closes.
    """

    def __init__(self, maxsize: int) -> None:
        if maxsize < 2:
            # Overflow collapses to [resync, newest]: two slots are the minimum.
            raise ValueError("maxsize must be at least 2")
        self.maxsize = maxsize
        #: Events this consumer lost to a full queue (intermediate ones, or collapsed on overflow).
        self.dropped = 0
        # Two queues ordered by a shared sequence number, so dropping the oldest intermediate
        # event is O(1) however many sticky events sit in front of it.
        self._sticky: deque[tuple[int, dict[str, Any]]] = deque()
        self._intermediate: deque[tuple[int, dict[str, Any]]] = deque()
        self._seq = 0
        self._wakeup = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        return len(self._sticky) + len(self._intermediate)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while not len(self):
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        return self._pop()

    def _pop(self) -> dict[str, Any]:
        if not self._intermediate or (self._sticky and self._sticky[0][0] < self._intermediate[0][0]):
            return self._sticky.popleft()[1]
        return self._intermediate.popleft()[1]

    def _offer(self, event: dict[str, Any], sticky: bool) -> None:
        if self._closed:
            return
        if len(self) >= self.maxsize:
            if self._intermediate:
                self._intermediate.popleft()
                self.dropped += 1
            elif not sticky:
                self.dropped += 1
                return
            else:
                # Full of events we promised not to drop: the consumer has been stuck for long.
                # Rather than grow, ask it to re-read everything; keep the newest event (maybe
                # the terminal one) so a plain reader still sees it.
                self.dropped += len(self._sticky)
                self._sticky.clear()
                self._push(_resync_marker("overflow"), sticky=True)
        self._push(event, sticky)

    def _push(self, event: dict[str, Any], sticky: bool) -> None:
        self._seq += 1
        (self._sticky if sticky else self._intermediate).append((self._seq, event))
        self._wakeup.set()

    def _close(self) -> None:
        self._closed = True
        self._wakeup.set()


# ---- one channel's fan-out --------------------------------------------------------------------

# Documents whose stage a channel remembers; beyond this (jobs that died without a terminal
# event) the memory is cleared, which only makes the next event of each document sticky.
_MAX_TRACKED_DOCUMENTS = 10_000


class _Fanout:
    """The single broadcaster subscription of one channel and its local subscribers."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.subscribers: set[Subscription] = set()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[None] | None = None
        # documentId -> (status, stage) of its last event on this channel.
        self._states: dict[Any, tuple[Any, Any]] = {}

    def classify(self, event: Mapping[str, Any]) -> bool:
        """True when no full queue may drop the event (see the module docstring)."""
        document_id, stage = event.get("documentId"), event.get("stage")
        if is_terminal(event):
            self._states.pop(document_id, None)
            return True
        if document_id is None or stage is None:
            return True
        if len(self._states) >= _MAX_TRACKED_DOCUMENTS and document_id not in self._states:
            self._states.clear()
        state = (event.get("status"), stage)
        previous = self._states.get(document_id)
        self._states[document_id] = state
        return previous != state

    def deliver(self, event: dict[str, Any], sticky: bool) -> None:
        for subscription in self.subscribers:
            subscription._offer(event, sticky)


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


# ---- the bus ----------------------------------------------------------------------------------


class EventBus:
    """Publish JSON-able dicts to channels; subscribe with bounded per-consumer queues."""

    def __init__(
        self, url: str | None, *, namespace: str = "", redis_options: RedisOptions | None = None
    ) -> None:
        """url: a redis:// or rediss:// URL, or None for in-process (memory://) delivery."""
        self._namespace = namespace
        self._redis: _ResilientRedisBackend | None = None
        if url is None or url.startswith("memory://"):
            self._broadcast = Broadcast("memory://")
        else:
            self._redis = _ResilientRedisBackend(url, redis_options or RedisOptions())
            self._broadcast = Broadcast(backend=self._redis)
        self._fanouts: dict[str, _Fanout] = {}
        # Pumps of channels whose last subscriber left, until they have unsubscribed.
        self._retiring: dict[str, asyncio.Task[None]] = {}
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def namespace(self) -> str:
        """Prefix of every channel name on the wire ("" in production)."""
        return self._namespace

    @property
    def connected(self) -> bool:
        """False while the Redis pub/sub connection is down (for /health); memory: always True."""
        return self._redis is None or self._redis.live

    @property
    def pubsub_client_name(self) -> str | None:
        """CLIENT SETNAME of the Redis pub/sub connection (None in memory mode)."""
        return None if self._redis is None else self._redis.client_name

    @property
    def disconnects(self) -> int:
        """Times the Redis pub/sub connection was lost since the bus opened."""
        return 0 if self._redis is None else self._redis.disconnects

    async def connect(self) -> None:
        await self._broadcast.connect()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        tasks = []
        for fanout in self._fanouts.values():
            for subscription in fanout.subscribers:
                subscription._close()
            if fanout.task is not None:
                self._stop_pump(fanout)
                tasks.append(fanout.task)
        self._fanouts.clear()
        tasks.extend(self._retiring.values())
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._broadcast.disconnect()

    async def publish(self, channel: str, event: Mapping[str, Any]) -> None:
        """Serialize once and publish; raises EventBusUnavailable when Redis stays unreachable."""
        await self._broadcast.publish(self._namespace + channel, _serialize(event))

    async def publish_many(self, channels: Iterable[str], event: Mapping[str, Any]) -> None:
        """The same event on several channels, serialized once; with Redis in one round trip."""
        message = _serialize(event)
        names = [self._namespace + channel for channel in channels]
        if self._redis is not None:
            await self._redis.publish_many(names, message)
            return
        for name in names:
            await self._broadcast.publish(name, message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channels: Sequence[str], *, maxsize: int = 256) -> AsyncIterator[Subscription]:
        """Events of `channels` from now on; returns once Redis confirmed the subscription."""
        if self._closed:
            raise RuntimeError("the event bus is closed")
        subscription = Subscription(maxsize)
        joined: list[_Fanout] = []
        try:
            for channel in dict.fromkeys(channels):
                joined.append(await self._join(self._namespace + channel, subscription))
            yield subscription
        finally:
            subscription._close()
            for fanout in joined:
                self._leave(fanout, subscription)

    async def _join(self, channel: str, subscription: Subscription) -> _Fanout:
        async with self._lock:
            fanout = self._fanouts.get(channel)
            if fanout is None:
                fanout = self._fanouts[channel] = _Fanout(channel)
                previous = self._retiring.get(channel)
                fanout.task = asyncio.create_task(
                    self._pump(fanout, previous), name=f"docat-events:{channel}"
                )
            fanout.subscribers.add(subscription)
        try:
            # Outside the lock: one slow subscription does not hold up the others.
            await asyncio.shield(fanout.ready)
        except BaseException:
            self._leave(fanout, subscription)
            raise
        return fanout

    def _leave(self, fanout: _Fanout, subscription: Subscription) -> None:
        # Synchronous, so it completes even when the subscriber's task is being cancelled.
        fanout.subscribers.discard(subscription)
        if not fanout.subscribers and self._fanouts.get(fanout.channel) is fanout:
            del self._fanouts[fanout.channel]
            # The pump's exit unsubscribes the channel from broadcaster (and Redis). A new
            # _Fanout for the channel starts subscribing only after that (see _pump).
            self._stop_pump(fanout)
            task = fanout.task
            if task is not None:
                self._retiring[fanout.channel] = task
                task.add_done_callback(lambda _: self._retired(fanout.channel, task))

    def _retired(self, channel: str, task: asyncio.Task[None]) -> None:
        if self._retiring.get(channel) is task:
            del self._retiring[channel]

    @staticmethod
    def _stop_pump(fanout: _Fanout) -> None:
        task = fanout.task
        if task is None:
            return
        if fanout.ready.done():
            task.cancel()
        else:
            # broadcaster 0.3.1's subscribe() cannot be cancelled while it is subscribing (its
            # cleanup then fails with KeyError and leaves the channel subscribed): stop the
            # pump once the subscription is in place (bounded by the confirmation timeout).
            fanout.ready.add_done_callback(lambda _: task.cancel())

    async def _pump(self, fanout: _Fanout, previous: asyncio.Task[None] | None) -> None:
        try:
            if previous is not None:
                # broadcaster 0.3.1 keeps one queue set per channel and overwrites it when two
                # subscribe() calls on a new channel overlap: never let two pumps subscribe at once.
                await asyncio.wait({previous})
            async with self._broadcast.subscribe(fanout.channel) as subscriber:
                fanout.ready.set_result(None)
                async for event in subscriber:  # type: ignore[union-attr]  # 0.3.1 types __aiter__ Optional
                    if isinstance(event, Event):
                        self._deliver(fanout, event)
        except asyncio.CancelledError:
            if not fanout.ready.done():
                fanout.ready.set_exception(RuntimeError("the event bus is closed"))
            raise
        except Exception as exc:
            logger.exception("event bus: channel %s stopped", fanout.channel)
            if not fanout.ready.done():
                fanout.ready.set_exception(exc)

    @staticmethod
    def _deliver(fanout: _Fanout, event: Event) -> None:
        if event.message == _RESYNC_WIRE:
            fanout.deliver(_resync_marker("reconnect"), sticky=True)
            return
        try:
            payload = json.loads(event.message)
        except ValueError:
            logger.warning("event bus: dropped a non-JSON message on %s", fanout.channel)
            return
        if isinstance(payload, dict):
            fanout.deliver(payload, fanout.classify(payload))


async def open_event_bus(
    settings: Settings, *, namespace: str = "", redis_options: RedisOptions | None = None
) -> EventBus:
    """The one factory (API, worker, CLI, tests): Redis pub/sub when REDIS_URL is set; close() it."""
    bus = EventBus(settings.redis_url, namespace=namespace, redis_options=redis_options)
    await bus.connect()
    return bus
