"""ProgressPublisher: event shape, coalescing, monotonic progress (fake clock), and via the bus."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from docat.events import EventBus, EventBusUnavailable, job_channel, pages_channel, user_channel
from jobs.progress import ProgressPublisher
from models.documents import JobStage, JobStatus

from .conftest import next_event


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """Stands in for the bus; remembers (channels, event) of every publish."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[tuple[str, ...], dict[str, Any]]] = []
        self.fail = fail

    async def publish(self, channel: str, event: Mapping[str, Any]) -> None:
        await self.publish_many([channel], event)

    async def publish_many(self, channels: Iterable[str], event: Mapping[str, Any]) -> None:
        if self.fail:
            raise EventBusUnavailable("Redis is unreachable")
        self.sent.append((tuple(channels), dict(event)))

    def progress(self) -> list[float]:
        return [event["progress"] for _, event in self.sent]

    def pages(self) -> list[Any]:
        return [event.get("page") for _, event in self.sent]


def make(recorder: Recorder, clock: FakeClock) -> ProgressPublisher:
    return ProgressPublisher(recorder, "d1", "u1", min_interval=0.1, clock=clock)


async def test_event_has_the_graphql_shape_on_the_three_channels() -> None:
    recorder = Recorder()
    publisher = make(recorder, FakeClock())
    await publisher.progress(
        JobStatus.PROCESSING, JobStage.EXTRACTING, 0.25, page=3, page_count=12, message="m"
    )
    ((channels, event),) = recorder.sent
    assert channels == (job_channel("d1"), user_channel("u1"), "jobs")
    assert set(event) == {"documentId", "status", "stage", "progress", "page", "pageCount", "message", "at"}
    assert event | {"at": None} == {
        "documentId": "d1",
        "status": "PROCESSING",
        "stage": "EXTRACTING",
        "progress": 0.25,
        "page": 3,
        "pageCount": 12,
        "message": "m",
        "at": None,
    }
    at = datetime.fromisoformat(event["at"])
    assert at.utcoffset() is not None and at.utcoffset() == UTC.utcoffset(None)


async def test_page_events_are_coalesced_and_the_latest_goes_out_past_the_interval() -> None:
    recorder, clock = Recorder(), FakeClock()
    publisher = make(recorder, clock)
    await publisher.progress("PROCESSING", "EXTRACTING", 0.1, page=1)  # stage change: sent
    for page in range(2, 6):
        clock.now += 0.02
        await publisher.progress("PROCESSING", "EXTRACTING", page / 10, page=page)  # held
    assert recorder.pages() == [1]
    clock.now += 0.1
    await publisher.progress("PROCESSING", "EXTRACTING", 0.6, page=6)
    assert recorder.pages() == [1, 6]


async def test_held_event_is_flushed_before_a_stage_change() -> None:
    recorder, clock = Recorder(), FakeClock()
    publisher = make(recorder, clock)
    await publisher.progress("PROCESSING", "EXTRACTING", 0.1, page=1)
    clock.now += 0.01
    await publisher.progress("PROCESSING", "EXTRACTING", 0.2, page=2)
    clock.now += 0.01
    await publisher.progress("PROCESSING", "EXTRACTING", 0.5, page=3)
    clock.now += 0.01
    await publisher.progress("PROCESSING", "TRANSLATING", 0.5)
    assert [(e["stage"], e["page"]) for _, e in recorder.sent] == [
        ("EXTRACTING", 1),
        ("EXTRACTING", 3),
        ("TRANSLATING", None),
    ]


async def test_flush_sends_the_held_event_once() -> None:
    recorder, clock = Recorder(), FakeClock()
    publisher = make(recorder, clock)
    await publisher.progress("PROCESSING", "OCR", 0.1, page=1)
    await publisher.progress("PROCESSING", "OCR", 0.2, page=2)
    await publisher.flush()
    await publisher.flush()
    assert recorder.pages() == [1, 2]


async def test_terminal_and_stage_changes_are_never_coalesced() -> None:
    recorder, clock = Recorder(), FakeClock()
    publisher = make(recorder, clock)
    stages = ["QUEUED", "ANALYZING", "EXTRACTING", "OCR", "TRANSLATING", "RENDERING", "FINALIZING"]
    for stage in stages:
        await publisher.progress("PROCESSING", stage, 0.5)  # same clock instant, all sent
    await publisher.progress("COMPLETED", "DONE", 1.0)
    await publisher.progress("COMPLETED", "DONE", 1.0)  # a repeated terminal still goes out
    assert [e["stage"] for _, e in recorder.sent] == [*stages, "DONE", "DONE"]


async def test_status_change_goes_out_at_once() -> None:
    recorder = Recorder()
    publisher = make(recorder, FakeClock())
    await publisher.progress("QUEUED", "QUEUED", 0.0)
    await publisher.progress("PROCESSING", "QUEUED", 0.0)
    await publisher.progress("CANCELLED", "QUEUED", 0.0)
    assert [e["status"] for _, e in recorder.sent] == ["QUEUED", "PROCESSING", "CANCELLED"]


async def test_progress_is_monotonic_and_clamped_until_reset() -> None:
    recorder, clock = Recorder(), FakeClock()
    publisher = make(recorder, clock)
    await publisher.progress("PROCESSING", "ANALYZING", -0.5)
    await publisher.progress("PROCESSING", "EXTRACTING", 0.6)
    await publisher.progress("PROCESSING", "OCR", 0.4)
    await publisher.progress("PROCESSING", "TRANSLATING", float("nan"))
    await publisher.progress("PROCESSING", "RENDERING", 7.0)
    assert recorder.progress() == [0.0, 0.6, 0.6, 0.6, 1.0]
    publisher.reset()
    await publisher.progress("PROCESSING", "ANALYZING", 0.1)
    assert recorder.progress()[-1] == 0.1


async def test_reset_makes_the_next_event_a_fresh_start() -> None:
    recorder, clock = Recorder(), FakeClock()
    publisher = make(recorder, clock)
    await publisher.progress("PROCESSING", "EXTRACTING", 0.3, page=1)
    publisher.reset()
    await publisher.progress("PROCESSING", "EXTRACTING", 0.0, page=1)  # no interval wait
    assert recorder.progress() == [0.3, 0.0]


async def test_page_done_publishes_every_page_result() -> None:
    recorder = Recorder()
    publisher = make(recorder, FakeClock())
    block = {"page": 1, "type": "PARAGRAPH", "text": "x", "bbox": [0, 0, 1, 1]}
    await publisher.page_done(1, 2, [block])
    await publisher.page_done(2, 2, [])
    assert recorder.sent == [
        ((pages_channel("d1"),), {"documentId": "d1", "page": 1, "pageCount": 2, "blocks": [block]}),
        ((pages_channel("d1"),), {"documentId": "d1", "page": 2, "pageCount": 2, "blocks": []}),
    ]


async def test_bus_outage_is_logged_not_raised(caplog: Any) -> None:
    publisher = make(Recorder(fail=True), FakeClock())
    await publisher.progress("PROCESSING", "EXTRACTING", 0.5)
    await publisher.page_done(1, 1, [])
    assert sum("not published" in record.getMessage() for record in caplog.records) == 2


async def test_through_the_memory_bus(memory_bus: EventBus) -> None:
    clock = FakeClock()
    publisher = ProgressPublisher(memory_bus, 7, 3, clock=clock)
    async with (
        memory_bus.subscribe([job_channel(7)]) as job,
        memory_bus.subscribe([user_channel(3)]) as user,
        memory_bus.subscribe(["jobs"]) as everything,
        memory_bus.subscribe([pages_channel(7)]) as pages,
    ):
        await publisher.progress("PROCESSING", "EXTRACTING", 0.5, page=1, page_count=1)
        await publisher.page_done(1, 1, [])
        await publisher.progress("COMPLETED", "DONE", 1.0)
        for sub in (job, user, everything):
            first, last = await next_event(sub), await next_event(sub)
            assert (first["documentId"], first["stage"], first["page"]) == ("7", "EXTRACTING", 1)
            assert (last["status"], last["progress"]) == ("COMPLETED", 1.0)
        assert await next_event(pages) == {"documentId": "7", "page": 1, "pageCount": 1, "blocks": []}


async def test_raise_floor_sends_nothing_and_later_events_start_there() -> None:
    """A retried run starts from the progress its earlier try reported (RunTracker.seed)."""
    recorder = Recorder()
    publisher = make(recorder, FakeClock())
    publisher.raise_floor(0.4)
    publisher.raise_floor(0.2)  # never down
    assert recorder.sent == [] and publisher.progress_value == 0.4
    await publisher.progress(JobStatus.PROCESSING, JobStage.ANALYZING, 0.0)
    assert recorder.progress() == [0.4]
