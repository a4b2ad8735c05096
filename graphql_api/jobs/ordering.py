"""When a progress event is worth sending: what keeps every stream monotonic and duplicate-free.

A subscription sends the database state first and live events after it. Both describe the same
job, and either may be ahead of the other (the worker publishes some states before writing the
row and others after), so each stream remembers what it sent last (`JobState`) and compares.

Order, within one run of a job: status (QUEUED < PROCESSING < a terminal one), then progress
(never decreasing within a run: `jobs.progress.ProgressPublisher` clamps it), then stage in the
JobStage enum's order (a stage change at unchanged progress still goes through). Runs (``"run"``,
when both events carry it) come before all of that: a reprocessed job starts again from QUEUED and
0 in a higher run. Without run numbers a QUEUED event after a terminal one is taken as a new run:
a job's own QUEUED events always precede its terminal one, so only reprocessing produces that.

Older: dropped. Newer: sent. The same state again (a tie) is where duplicates hide:
  * after a state read from the database, it is dropped: the row cannot say whether the event is
    the very write it shows. It replaces the row as the stream's reference, though, so later
    repeats are compared with a live event's `at`;
  * after a live event, it is sent only if its ``at`` is later: the job re-publishing its state
    during a long stage (its heartbeat, maybe with a new page or message), not the same event;
  * a terminal state, or a state re-read from the database, is never sent twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from docat.events import TERMINAL_STATUSES, is_terminal
from models import JobStage, JobStatus

_STATUS_RANK = {JobStatus.QUEUED.value: 0, JobStatus.PROCESSING.value: 1}
_TERMINAL_RANK = 2
_STAGE_RANK = {stage.value: rank for rank, stage in enumerate(JobStage)}

Event = Mapping[str, Any]


def is_progress_event(event: Event) -> bool:
    """A JobProgress dict we can order (anything else on a progress channel is ignored)."""
    return (
        isinstance(event.get("documentId"), str)
        and (event.get("status") in _STATUS_RANK or event.get("status") in TERMINAL_STATUSES)
        and event.get("stage") in _STAGE_RANK
        and isinstance(event.get("progress"), int | float)
    )


def _position(event: Event) -> tuple[int, float, int]:
    status = event["status"]
    rank = _TERMINAL_RANK if status in TERMINAL_STATUSES else _STATUS_RANK[status]
    return rank, float(event["progress"]), _STAGE_RANK[event["stage"]]


def _order(event: Event, previous: Event) -> int:
    """1 when `event` is a newer state of the job than `previous`, -1 when older, 0 when the same."""
    run, previous_run = event.get("run"), previous.get("run")
    if isinstance(run, int) and isinstance(previous_run, int) and run != previous_run:
        return 1 if run > previous_run else -1
    if is_terminal(previous) and event["status"] == JobStatus.QUEUED.value:
        # Equal runs: a stale QUEUED, not a new run.
        return 1 if run is None or previous_run is None else -1
    position, previous_position = _position(event), _position(previous)
    return (position > previous_position) - (position < previous_position)


def _at(event: Event) -> datetime | None:
    try:
        return datetime.fromisoformat(event["at"])
    except (KeyError, TypeError, ValueError):
        return None


def supersedes(event: Event, previous: Event) -> bool:
    """True when `event` is a strictly newer state of the same job than `previous`."""
    return _order(event, previous) > 0


class JobState:
    """What one stream last sent (or took as its reference) for one job."""

    __slots__ = ("from_database", "last")

    def __init__(self, first: Event, *, from_database: bool) -> None:
        self.last = first
        self.from_database = from_database

    def admit(self, event: Event, *, from_database: bool = False) -> bool:
        """True if `event` is to be sent after what this stream sent so far (then recorded)."""
        order = _order(event, self.last)
        if order < 0:
            return False
        if order == 0:
            if is_terminal(event) or from_database:
                return False
            if self.from_database:
                # Maybe the very write the row showed: not sent, but the reference from now on.
                self.last, self.from_database = event, False
                return False
            at, last_at = _at(event), _at(self.last)
            if at is None or last_at is None or at <= last_at:
                return False
        self.last, self.from_database = event, from_database
        return True


class LatestStates:
    """A `JobState` per document, for streams that follow many jobs (myJobs, allJobs).

    Open jobs are remembered until their terminal event; finished ones in a bounded LRU, so a
    long-lived dashboard's memory does not grow with every job the system ever ran. Forgetting a
    finished job only means a stale event of it (rare: see `_order`) would be let through.
    """

    def __init__(self, max_finished: int = 4096) -> None:
        self._open: dict[str, JobState] = {}
        self._finished: OrderedDict[str, JobState] = OrderedDict()
        self._max_finished = max_finished

    def admit(self, event: Event, *, from_database: bool = False) -> bool:
        """Record `event` and return True if it is to be sent (see `JobState.admit`)."""
        document_id = event["documentId"]
        state = self._open.get(document_id) or self._finished.get(document_id)
        if state is None:
            state = JobState(event, from_database=from_database)
        elif not state.admit(event, from_database=from_database):
            return False
        if is_terminal(event):
            self._open.pop(document_id, None)
            self._finished[document_id] = state
            self._finished.move_to_end(document_id)
            while len(self._finished) > self._max_finished:
                self._finished.popitem(last=False)
        else:
            self._finished.pop(document_id, None)
            self._open[document_id] = state
        return True

    def open_documents(self) -> list[str]:
        """Documents last seen QUEUED or PROCESSING: a resync re-reads them even if they ended."""
        return list(self._open)
