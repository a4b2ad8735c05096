"""The bounded per-subscriber queue and how events are classified (no I/O)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from docat.events import Subscription, _Fanout, is_resync


def job(doc: str, stage: str, progress: float = 0.0, status: str = "PROCESSING") -> dict[str, Any]:
    return {"documentId": doc, "status": status, "stage": stage, "progress": progress}


def drain(subscription: Subscription) -> list[dict[str, Any]]:
    return [subscription._pop() for _ in range(len(subscription))]


async def test_events_come_out_in_arrival_order_across_priorities() -> None:
    sub = Subscription(maxsize=10)
    events = [{"n": i} for i in range(6)]
    for i, event in enumerate(events):
        sub._offer(event, sticky=i % 2 == 0)
    assert [await anext(sub) for _ in events] == events


async def test_full_queue_drops_the_oldest_intermediate_event() -> None:
    sub = Subscription(maxsize=3)
    sub._offer({"n": 0}, sticky=True)
    sub._offer({"n": 1}, sticky=False)
    sub._offer({"n": 2}, sticky=False)
    sub._offer({"n": 3}, sticky=False)
    assert drain(sub) == [{"n": 0}, {"n": 2}, {"n": 3}]
    assert sub.dropped == 1


async def test_sticky_event_evicts_an_intermediate_one() -> None:
    sub = Subscription(maxsize=2)
    sub._offer({"n": 0}, sticky=False)
    sub._offer({"n": 1}, sticky=True)
    sub._offer({"n": 2}, sticky=True)
    assert drain(sub) == [{"n": 1}, {"n": 2}]


async def test_intermediate_event_is_dropped_when_only_sticky_ones_are_queued() -> None:
    sub = Subscription(maxsize=2)
    sub._offer({"n": 0}, sticky=True)
    sub._offer({"n": 1}, sticky=True)
    sub._offer({"n": 2}, sticky=False)
    assert drain(sub) == [{"n": 0}, {"n": 1}]
    assert sub.dropped == 1


async def test_queue_full_of_sticky_events_collapses_to_resync_and_newest() -> None:
    sub = Subscription(maxsize=3)
    for n in range(3):
        sub._offer({"n": n}, sticky=True)
    sub._offer({"n": 3, "status": "COMPLETED"}, sticky=True)
    first, last = drain(sub)
    assert is_resync(first) and first["reason"] == "overflow"
    assert last == {"n": 3, "status": "COMPLETED"}
    assert sub.dropped == 3


async def test_close_ends_iteration_after_queued_events() -> None:
    sub = Subscription(maxsize=4)
    sub._offer({"n": 0}, sticky=False)
    sub._close()
    sub._offer({"n": 1}, sticky=True)  # ignored once closed
    assert [event async for event in sub] == [{"n": 0}]


async def test_waiting_reader_wakes_on_offer() -> None:
    sub = Subscription(maxsize=4)
    reader = asyncio.create_task(anext(sub))
    await asyncio.sleep(0)
    sub._offer({"n": 0}, sticky=False)
    assert await asyncio.wait_for(reader, 10) == {"n": 0}


def test_maxsize_must_leave_room_for_the_overflow_marker() -> None:
    with pytest.raises(ValueError):
        Subscription(maxsize=1)


async def test_classification_stage_changes_terminal_and_other_events_are_sticky() -> None:
    fanout = _Fanout("jobs")
    assert fanout.classify(job("a", "ANALYZING"))  # first event of a document
    assert not fanout.classify(job("a", "ANALYZING", 0.1))
    assert fanout.classify(job("b", "EXTRACTING"))  # documents are tracked separately
    assert fanout.classify(job("a", "EXTRACTING", 0.2))  # stage change
    assert not fanout.classify(job("a", "EXTRACTING", 0.3))
    assert fanout.classify(job("a", "EXTRACTING", 0.3, status="CANCELLED"))  # terminal
    assert fanout.classify({"documentId": "a", "page": 1, "pageCount": 2, "blocks": []})  # PageResult
    assert fanout.classify({"anything": "else"})


async def test_classification_status_change_is_sticky() -> None:
    fanout = _Fanout("jobs")
    assert fanout.classify(job("a", "QUEUED", status="QUEUED"))
    assert fanout.classify(job("a", "QUEUED", status="PROCESSING"))
