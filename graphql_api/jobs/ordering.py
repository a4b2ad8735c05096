"""When one progress event supersedes another: what keeps every stream monotonic and duplicate-free.

A subscription sends the database state first and live events after it. Both describe the same
job, and either may be ahead of the other (the worker may publish before or after it writes the
row), so each stream keeps the last state it sent and forwards only what `supersedes` it.

Order, within one run of a job: status (QUEUED < PROCESSING < a terminal one), then progress
(never decreasing within a run: `jobs.progress.ProgressPublisher` clamps it), then stage in the
JobStage enum's order (a stage change at unchanged progress still goes through). Equal positions
are the same state told twice: dropped. Runs (``"run"``, when both events carry it) come before
all of that: a reprocessed job starts again from QUEUED and 0 in a higher run. Without run numbers
a QUEUED event after a terminal one is taken as a new run: a job's own QUEUED events always precede
its terminal one, so only reprocessing produces that sequence.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
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


def supersedes(event: Event, previous: Event) -> bool:
    """True when `event` is a newer state of the same job than `previous`."""
    run, previous_run = event.get("run"), previous.get("run")
    if isinstance(run, int) and isinstance(previous_run, int) and run != previous_run:
        return run > previous_run
    if is_terminal(previous) and event["status"] == JobStatus.QUEUED.value:
        return run is None or previous_run is None  # equal runs: a stale QUEUED, not a new run
    return _position(event) > _position(previous)


class LatestStates:
    """The last state sent per document, for streams that follow many jobs (myJobs, allJobs).

    Open jobs are remembered until their terminal event; finished ones in a bounded LRU, so a
    long-lived dashboard's memory does not grow with every job the system ever ran. Forgetting a
    finished job only means a stale event of it (rare: see `supersedes`) would be let through.
    """

    def __init__(self, max_finished: int = 4096) -> None:
        self._open: dict[str, Event] = {}
        self._finished: OrderedDict[str, Event] = OrderedDict()
        self._max_finished = max_finished

    def accept(self, event: Event) -> bool:
        """Record `event` and return True if it is newer than what was sent for its document."""
        document_id = event["documentId"]
        previous = self._open.get(document_id) or self._finished.get(document_id)
        if previous is not None and not supersedes(event, previous):
            return False
        if is_terminal(event):
            self._open.pop(document_id, None)
            self._finished[document_id] = event
            self._finished.move_to_end(document_id)
            while len(self._finished) > self._max_finished:
                self._finished.popitem(last=False)
        else:
            self._finished.pop(document_id, None)
            self._open[document_id] = event
        return True

    def open_documents(self) -> list[str]:
        """Documents last seen QUEUED or PROCESSING: a resync re-reads them even if they ended."""
        return list(self._open)
