"""The progress events of one job run, as the contract's JobProgress and PageResult dicts.

    publisher = ProgressPublisher(bus, document_id, owner_id)
    await publisher.progress("PROCESSING", "EXTRACTING", 0.4, page=4, page_count=10)
    await publisher.page_done(4, 10, blocks)       # the page's ContentBlock dicts
    await publisher.progress("COMPLETED", "DONE", 1.0)

JobProgress goes to ``job:<documentId>``, ``user:<ownerId>`` and ``jobs``; PageResult to
``pages:<documentId>``. Keys are exactly the GraphQL fields (camelCase); ``at`` is ISO 8601 in UTC.
Given ``run`` (the Document's run number), every event also carries ``"run"``: subscribers use it
to tell a reprocessed job's events from a stale run's (progress restarts at 0 in a new run).

Coalescing. A stage or status change and a terminal status go out at once. Other events (same
status and stage as the last one sent) go out at most once per ``min_interval`` (0.1 s: ~10 a
second per job); one that arrives sooner is held back, replacing any held before it. The held
state is not lost: a later call past the interval sends its own, newer state; a stage change or
terminal status sends the held one first; `flush()` sends it. PageResults are never coalesced.

Repeats. The job reports its state on every heartbeat tick (jobs/tracker.py, twice a second),
mostly unchanged during a long stage. An event whose client-visible fields (status, stage,
progress, page, pageCount, message: everything but ``at``) equal the last one's is not sent;
subscribers would only get the same state again with a new ``at``. One exception keeps a
liveness signal the contract asks for ("at least once a second during long stages"): an
unchanged state is re-sent once ``keepalive`` seconds (KEEPALIVE_SECONDS, 1 s) have passed
without an event, so a dashboard can tell a long stage from a lost connection, and a page that
takes minutes costs one event a second instead of the job's two heartbeats a second. A terminal
status is always sent, repeated or not.

Progress never decreases within one run (clamped to the highest value sent, and to 0..1);
`reset()` starts a new run (reprocessing).

Redis outages. The bus raises `EventBusUnavailable` after brief retries; here it is logged and
the job carries on: subscribers get a resync marker when Redis is back and re-read the database,
which the job keeps up to date.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from docat.events import (
    ALL_JOBS_CHANNEL,
    TERMINAL_STATUSES,
    EventBusUnavailable,
    job_channel,
    pages_channel,
    user_channel,
)

logger = logging.getLogger(__name__)

# An unchanged state is published again only after this long (see "Repeats" above): the
# contract's "at least once a second during long stages".
KEEPALIVE_SECONDS = 1.0
# What a client sees of an event: all of it but `at` (and the bookkeeping `run`).
_VISIBLE_KEYS = ("status", "stage", "progress", "page", "pageCount", "message")


class EventPublisher(Protocol):
    """What ProgressPublisher needs of `docat.events.EventBus` (tests pass a recorder)."""

    async def publish(self, channel: str, event: Mapping[str, Any]) -> None: ...

    async def publish_many(self, channels: Iterable[str], event: Mapping[str, Any]) -> None: ...


def _enum_name(value: object) -> str:
    # The models' StrEnums and strawberry's enums both name their members as the GraphQL enum.
    return value.name if isinstance(value, enum.Enum) else str(value)


def _visible(event: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(event.get(key) for key in _VISIBLE_KEYS)


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ProgressPublisher:
    """Builds, coalesces and publishes the progress events of one document's job."""

    def __init__(
        self,
        bus: EventPublisher,
        document_id: object,
        owner_id: object,
        *,
        min_interval: float = 0.1,
        keepalive: float = KEEPALIVE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        run: int | None = None,
        attempt: int | None = None,
    ) -> None:
        self._bus = bus
        self.document_id = str(document_id)
        self.run = run
        # The attempt number (Document.attempts + 1) every JobProgress carries, when known.
        self.attempt = attempt
        self._progress_channels: Sequence[str] = (
            job_channel(document_id),
            user_channel(owner_id),
            ALL_JOBS_CHANNEL,
        )
        self._pages_channel = pages_channel(document_id)
        self._min_interval = min_interval
        self._keepalive = keepalive
        self._clock = clock
        self.reset()

    def reset(self, run: int | None = None) -> None:
        """Forget the previous run: progress may start again from 0 (in run `run`, when given)."""
        if run is not None:
            self.run = run
        self._floor = 0.0
        self._last_state: tuple[str, str] | None = None
        self._last_sent_at: float | None = None
        self._last_sent: dict[str, Any] | None = None
        self._pending: dict[str, Any] | None = None

    def raise_floor(self, progress: float) -> None:
        """Progress at least `progress` from now on, without sending anything."""
        # max() first so a NaN keeps the floor; then never above 1.
        self._floor = min(1.0, max(self._floor, float(progress)))

    @property
    def progress_value(self) -> float:
        """The (clamped) progress of the latest event, sent or held."""
        return self._floor

    async def progress(
        self,
        status: object,
        stage: object,
        progress: float,
        page: int | None = None,
        page_count: int | None = None,
        message: str | None = None,
    ) -> None:
        status_name, stage_name = _enum_name(status), _enum_name(stage)
        self.raise_floor(progress)
        event: dict[str, Any] = {
            "documentId": self.document_id,
            "status": status_name,
            "stage": stage_name,
            "progress": self._floor,
            "page": page,
            "pageCount": page_count,
            "message": message,
            "at": _utc_now(),
        }
        if self.run is not None:
            event["run"] = self.run
        if self.attempt is not None:
            event["attempt"] = self.attempt
        state = (status_name, stage_name)
        latest = self._pending or self._last_sent
        if state != self._last_state or status_name in TERMINAL_STATUSES:
            await self.flush()  # the held, older state of the previous stage first
            self._last_state = state
            await self._send(event)
        elif latest is not None and _visible(latest) == _visible(event):
            # Nothing a client sees has changed: at most the keepalive (a held event goes first).
            if self._pending is None and self._keepalive_due():
                await self._send(event)
        elif self._last_sent_at is None or self._clock() - self._last_sent_at >= self._min_interval:
            self._pending = None  # superseded by this newer state
            await self._send(event)
        else:
            self._pending = event

    def _keepalive_due(self) -> bool:
        return self._last_sent_at is None or self._clock() - self._last_sent_at >= self._keepalive

    async def flush(self) -> None:
        """Send the held-back event, if any."""
        if self._pending is not None:
            event, self._pending = self._pending, None
            await self._send(event)

    async def page_done(self, page: int, page_count: int, blocks: list[dict[str, Any]]) -> None:
        """One page's blocks, as a PageResult on the document's pages channel (never coalesced)."""
        event: dict[str, Any] = {
            "documentId": self.document_id,
            "page": page,
            "pageCount": page_count,
            "blocks": blocks,
        }
        if self.run is not None:
            event["run"] = self.run
        try:
            await self._bus.publish(self._pages_channel, event)
        except EventBusUnavailable as exc:
            logger.warning("page %d of document %s not published: %s", page, self.document_id, exc)

    async def _send(self, event: dict[str, Any]) -> None:
        self._last_sent_at = self._clock()
        self._last_sent = event
        try:
            await self._bus.publish_many(self._progress_channels, event)
        except EventBusUnavailable as exc:
            logger.warning("progress of document %s not published: %s", self.document_id, exc)
