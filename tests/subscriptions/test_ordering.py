"""Which events a stream sends after what it sent so far (graphql_api/jobs/ordering.py); no I/O."""

from __future__ import annotations

from typing import Any

import pytest

from graphql_api.jobs.ordering import JobState, LatestStates, is_progress_event, supersedes


def ev(
    status: str = "PROCESSING",
    stage: str = "EXTRACTING",
    progress: float = 0.5,
    *,
    at: str = "2026-01-01T00:00:00.000+00:00",
    run: int | None = 1,
    doc: str = "d1",
    **extra: Any,
) -> dict[str, Any]:
    event = {"documentId": doc, "status": status, "stage": stage, "progress": progress, "at": at, **extra}
    if run is not None:
        event["run"] = run
    return event


LATER = "2026-01-01T00:00:01.000+00:00"


@pytest.mark.parametrize(
    ("newer", "older"),
    [
        (ev("PROCESSING", "ANALYZING", 0.0), ev("QUEUED", "QUEUED", 0.0)),
        (ev(progress=0.6), ev(progress=0.5)),
        (ev(stage="FINALIZING", progress=0.5), ev(stage="EXTRACTING", progress=0.5)),
        (ev(stage="EXTRACTING", progress=0.6), ev(stage="OCR", progress=0.5)),  # progress first
        (ev("COMPLETED", "DONE", 1.0), ev("PROCESSING", "FINALIZING", 1.0)),
        (ev("FAILED", "EXTRACTING", 0.2), ev("PROCESSING", "EXTRACTING", 0.9)),
        (ev("QUEUED", "QUEUED", 0.0, run=2), ev("COMPLETED", "DONE", 1.0, run=1)),
    ],
)
def test_order(newer: dict[str, Any], older: dict[str, Any]) -> None:
    assert supersedes(newer, older)
    assert not supersedes(older, newer)


def test_without_run_numbers_queued_after_the_end_is_a_new_run() -> None:
    assert supersedes(ev("QUEUED", "QUEUED", 0.0, run=None), ev("COMPLETED", "DONE", 1.0, run=None))


def test_a_stale_queued_event_of_the_same_run_is_not_a_new_run() -> None:
    assert not supersedes(ev("QUEUED", "QUEUED", 0.0, run=1), ev("COMPLETED", "DONE", 1.0, run=1))


def test_a_tie_right_after_the_database_state_is_dropped_but_later_repeats_go_through() -> None:
    state = JobState(ev(progress=0.5), from_database=True)
    assert not state.admit(ev(progress=0.5, page=5))  # maybe the very write the row showed
    assert not state.admit(ev(progress=0.5, page=5))  # the same event again
    assert state.admit(ev(progress=0.5, page=6, at=LATER))  # the job's heartbeat
    assert not state.admit(ev(progress=0.4, at="2026-01-01T00:00:02.000+00:00"))
    assert state.admit(ev(progress=0.7))


def test_a_tie_after_a_live_event_goes_through_only_when_later() -> None:
    state = JobState(ev(progress=0.5), from_database=True)
    assert state.admit(ev(progress=0.6))
    assert not state.admit(ev(progress=0.6))
    assert state.admit(ev(progress=0.6, at=LATER))
    assert not state.admit(ev(progress=0.6, at=LATER), from_database=True)  # a re-read row


def test_terminal_state_is_never_sent_twice() -> None:
    state = JobState(ev(progress=0.5), from_database=True)
    assert state.admit(ev("COMPLETED", "DONE", 1.0), from_database=True)  # found on resync
    assert not state.admit(ev("COMPLETED", "DONE", 1.0, at=LATER))  # then its event arrives
    assert not state.admit(ev("PROCESSING", "FINALIZING", 1.0, at=LATER))


def test_latest_states_follow_each_document_and_forget_finished_ones_beyond_the_bound() -> None:
    states = LatestStates(max_finished=2)
    assert states.admit(ev(doc="a"), from_database=True)
    assert states.admit(ev(doc="b", progress=0.1))
    assert not states.admit(ev(doc="a", progress=0.4))
    assert states.admit(ev(doc="a", progress=0.6))
    assert states.open_documents() == ["a", "b"]
    for doc in ("a", "b", "c"):
        assert states.admit(ev("COMPLETED", "DONE", 1.0, doc=doc))
    assert states.open_documents() == []
    assert not states.admit(ev("PROCESSING", "DONE", 1.0, doc="c"))  # remembered: stale
    assert states.admit(ev("PROCESSING", "DONE", 1.0, doc="a"))  # forgotten (bound 2): let through


@pytest.mark.parametrize(
    "event",
    [
        {"type": "resync"},
        {"documentId": "d", "page": 1, "pageCount": 2, "blocks": []},
        ev(status="RUNNING"),
        ev(stage="SLEEPING"),
        ev(progress="half"),  # type: ignore[arg-type]
    ],
)
def test_what_is_not_a_progress_event(event: dict[str, Any]) -> None:
    assert not is_progress_event(event)
