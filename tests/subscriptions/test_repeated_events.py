"""A job publishes an event only when something a client sees changed (status, stage, progress,
page, pageCount, message); an unchanged state goes out again only as a keepalive, at most every
KEEPALIVE_SECONDS. Shown on the publisher (fake clock) and by counting the events of a real job."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from docat.events import EventBus, user_channel
from graphql_api.relay import from_global_id
from jobs.progress import KEEPALIVE_SECONDS, ProgressPublisher
from models import User
from tests.fixtures.graphql_client import GraphQLClient
from tests.jobs import pdfs

from .job_streams import truth_until_terminal

JOB_WAIT = 180.0  # a bound on a real job, never an expectation
UPLOAD = "mutation Upload($file: Upload!) { uploadDocument(file: $file) { id } }"
VISIBLE = ("status", "stage", "progress", "page", "pageCount", "message")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def publish(self, channel: str, event: Mapping[str, Any]) -> None:
        self.sent.append(dict(event))

    async def publish_many(self, channels: Iterable[str], event: Mapping[str, Any]) -> None:
        self.sent.append(dict(event))


def visible(event: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(event.get(key) for key in VISIBLE)


async def test_an_unchanged_state_is_not_sent_again_until_the_keepalive() -> None:
    recorder, clock = Recorder(), Clock()
    job = ProgressPublisher(recorder, "d1", "u1", clock=clock)
    await job.progress("PROCESSING", "OCR", 0.2, page=1, page_count=4)
    tick = KEEPALIVE_SECONDS / 4  # the tracker's ticks during a long page: nothing new
    for _ in range(3):
        clock.now += tick
        await job.progress("PROCESSING", "OCR", 0.2, page=1, page_count=4)
    assert len(recorder.sent) == 1
    clock.now += tick
    await job.progress("PROCESSING", "OCR", 0.2, page=1, page_count=4)  # the keepalive
    clock.now += tick
    await job.progress("PROCESSING", "OCR", 0.2, page=1, page_count=4)
    assert len(recorder.sent) == 2 and visible(recorder.sent[0]) == visible(recorder.sent[1])


async def test_every_visible_change_is_sent() -> None:
    recorder, clock = Recorder(), Clock()
    job = ProgressPublisher(recorder, "d1", "u1", clock=clock)
    calls: list[tuple[Any, ...]] = [
        ("PROCESSING", "OCR", 0.2, 1, 4, None),
        ("PROCESSING", "OCR", 0.2, 2, 4, None),  # a page, same progress
        ("PROCESSING", "OCR", 0.2, 2, 4, "retrying page 3"),  # a message
        ("PROCESSING", "OCR", 0.4, 2, 4, "retrying page 3"),  # progress
        ("PROCESSING", "FINALIZING", 0.4, 2, 4, "retrying page 3"),  # stage
        ("COMPLETED", "DONE", 1.0, None, 4, "done"),
        ("COMPLETED", "DONE", 1.0, None, 4, "done"),  # a terminal state always goes out
    ]
    for status, stage, progress, page, page_count, message in calls:
        clock.now += 0.5
        await job.progress(status, stage, progress, page=page, page_count=page_count, message=message)
    assert [visible(e) for e in recorder.sent] == calls


async def test_a_held_event_is_not_mistaken_for_a_repeat() -> None:
    """Coalescing holds a newer state back; the same state again must not drop it."""
    recorder, clock = Recorder(), Clock()
    job = ProgressPublisher(recorder, "d1", "u1", clock=clock, min_interval=0.1)
    await job.progress("PROCESSING", "OCR", 0.2, page=1)
    clock.now += 0.01
    await job.progress("PROCESSING", "OCR", 0.3, page=2)  # held (within the interval)
    clock.now += 0.01
    await job.progress("PROCESSING", "OCR", 0.3, page=2)  # the same as the held one
    await job.flush()
    assert [e["page"] for e in recorder.sent] == [1, 2]


async def test_a_real_jobs_events_each_show_something_new(
    live_server: str, api_bus: EventBus, gql: GraphQLClient, user: User, user_token: str
) -> None:
    async with api_bus.subscribe([user_channel(user.id)], maxsize=10_000) as feed:
        uploaded = (await gql.upload(UPLOAD, {}, "file", pdfs.scanned(4), token=user_token)).ok()
        document_id = from_global_id(uploaded["uploadDocument"]["id"])[1]
        async with asyncio.timeout(JOB_WAIT):
            events = await truth_until_terminal(feed, document_id)

    assert events[0]["status"] == "QUEUED" and events[-1]["status"] == "COMPLETED"
    assert len({visible(e) for e in events}) >= 4, events  # it did move: queued, stages, pages, end
    for previous, event in itertools.pairwise(events):
        if visible(event) == visible(previous):
            # Only the keepalive repeats a state, and not before KEEPALIVE_SECONDS of silence.
            gap = datetime.fromisoformat(event["at"]) - datetime.fromisoformat(previous["at"])
            assert gap.total_seconds() >= KEEPALIVE_SECONDS - 0.05, (previous, event)
