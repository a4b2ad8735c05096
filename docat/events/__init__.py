"""The event bus: channel names, publish, subscribe. The only package that imports broadcaster.

    bus = await open_event_bus(settings)          # redis:// when REDIS_URL is set, memory:// otherwise
    await bus.publish(job_channel(doc_id), event)  # event: a JSON-able dict, serialized once
    await bus.publish_many([job_channel(d), user_channel(u), ALL_JOBS_CHANNEL], event)
    async with bus.subscribe([job_channel(doc_id)]) as events:
        async for event in events: ...            # dicts; see "Classification" and "Resync"
    await bus.close()

Modules (import everything from ``docat.events``; the names below are re-exported here):
  * `docat.events.channels`: channel names, event shapes and their serialization, the resync
    marker, ``TERMINAL_STATUSES``, `EventBusUnavailable` (no broadcaster, no Redis);
  * `docat.events.subscription`: `Subscription`, one subscriber's bounded queue;
  * `docat.events.redis_backend`: `_ResilientRedisBackend` and `RedisOptions`, the only module
    that imports Redis;
  * `docat.events.bus`: `_Fanout` (one channel's fan-out), `EventBus` and `open_event_bus`.

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

from docat.events.bus import EventBus, _Fanout, open_event_bus
from docat.events.channels import (
    ALL_JOBS_CHANNEL,
    RESYNC_TYPE,
    TERMINAL_STATUSES,
    EventBusUnavailable,
    account_rights_channel,
    is_resync,
    is_terminal,
    job_channel,
    pages_channel,
    user_channel,
)
from docat.events.redis_backend import RedisOptions
from docat.events.subscription import Subscription

__all__ = [
    "ALL_JOBS_CHANNEL",
    "RESYNC_TYPE",
    "TERMINAL_STATUSES",
    "EventBus",
    "EventBusUnavailable",
    "RedisOptions",
    "Subscription",
    "_Fanout",  # tests/events/test_subscription.py drives a channel's fan-out directly
    "account_rights_channel",
    "is_resync",
    "is_terminal",
    "job_channel",
    "open_event_bus",
    "pages_channel",
    "user_channel",
]
