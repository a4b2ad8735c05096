"""The bus: one channel's fan-out (`_Fanout`), `EventBus` and `open_event_bus`.

See "Fan-out" and "Classification" in the package docstring (docat/events/__init__.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from broadcaster import Broadcast, Event

from docat.events.channels import _RESYNC_WIRE, _resync_marker, _serialize, is_terminal
from docat.events.redis_backend import RedisOptions, _ResilientRedisBackend
from docat.events.subscription import Subscription

if TYPE_CHECKING:
    from docat.settings import Settings

logger = logging.getLogger(__name__)

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
        """True when no full queue may drop the event (see "Classification" in docat/events/__init__.py)."""
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
