"""myJobs and allJobs: running jobs first, then live events of the caller's (or every) job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from docat.events import EventBus, user_channel
from models import Document, JobStage, JobStatus, User

from .conftest import ALL_JOBS, MY_JOBS, gid, make_document, publisher, subscribers_of, wait_until
from .ws_client import SubscriptionError, WSClient


async def until_marker(
    stream: AsyncIterator[dict[str, Any]], field: str, ours: set[str], marker: tuple[str, str]
) -> list[tuple[str, str, float]]:
    """(document, status, progress) of our documents' events, up to and including `marker`
    (a document and a status published last): whatever came before it has arrived."""
    seen: list[tuple[str, str, float]] = []
    async for data in stream:
        event = data[field]
        if event["documentId"] in ours:
            seen.append((event["documentId"], event["status"], event["progress"]))
            if (event["documentId"], event["status"]) == marker:
                return seen
    raise AssertionError("stream ended")


async def running_jobs(owner: User) -> tuple[Document, Document, Document]:
    running = await make_document(owner, status=JobStatus.PROCESSING, stage=JobStage.EXTRACTING, progress=0.5)
    queued = await make_document(owner, status=JobStatus.QUEUED)
    done = await make_document(owner, status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=1.0)
    return running, queued, done


async def test_my_jobs_starts_with_running_jobs_then_follows_only_mine(
    live_server: str, api_bus: EventBus, user: User, user_token: str, other_user: User
) -> None:
    running, queued, done = await running_jobs(user)
    foreign = await make_document(other_user, status=JobStatus.PROCESSING, stage=JobStage.ANALYZING)
    async with WSClient(live_server, {"token": user_token}) as ws:
        stream = ws.subscribe(MY_JOBS)
        snapshot = [(await anext(stream))["myJobs"] for _ in range(2)]
        assert [(e["documentId"], e["status"]) for e in snapshot] == [
            (gid(running), "PROCESSING"),
            (gid(queued), "QUEUED"),
        ]
        await publisher(api_bus, foreign).progress("PROCESSING", "EXTRACTING", 0.9)  # not mine
        job = publisher(api_bus, running)
        await job.progress("PROCESSING", "EXTRACTING", 0.4)  # older than the snapshot: dropped
        await job.progress("PROCESSING", "EXTRACTING", 0.7)
        # A finished job reprocessed: a new run starts over from QUEUED.
        rerun = publisher(api_bus, done)
        rerun.reset(run=done.run + 1)
        await rerun.progress("QUEUED", "QUEUED", 0.0)
        await job.progress("COMPLETED", "DONE", 1.0)
        await job.progress("PROCESSING", "FINALIZING", 1.0)  # stale after the end: dropped
        await publisher(api_bus, queued).progress("PROCESSING", "ANALYZING", 0.1)
        ours = {gid(d) for d in (running, queued, done, foreign)}
        live = await until_marker(stream, "myJobs", ours, (gid(queued), "PROCESSING"))
    assert live == [
        (gid(running), "PROCESSING", 0.7),
        (gid(done), "QUEUED", 0.0),
        (gid(running), "COMPLETED", 1.0),
        (gid(queued), "PROCESSING", 0.1),
    ]
    await wait_until(lambda: subscribers_of(api_bus, user_channel(user.id)) == 0)


async def test_all_jobs_shows_everyones_jobs_to_an_admin(
    live_server: str, api_bus: EventBus, user: User, other_user: User, admin_token: str
) -> None:
    running, queued, _ = await running_jobs(user)
    foreign = await make_document(
        other_user, status=JobStatus.PROCESSING, stage=JobStage.ANALYZING, progress=0.1
    )
    ours = {gid(running), gid(queued), gid(foreign)}
    async with WSClient(live_server, {"token": admin_token}) as ws:
        stream = ws.subscribe(ALL_JOBS)
        # Other tests' unfinished jobs come too: ours arrive in creation order among them.
        snapshot = await until_marker(stream, "allJobs", ours, (gid(foreign), "PROCESSING"))
        assert snapshot == [
            (gid(running), "PROCESSING", 0.5),
            (gid(queued), "QUEUED", 0.0),
            (gid(foreign), "PROCESSING", 0.1),
        ]
        await publisher(api_bus, foreign).progress("FAILED", "ANALYZING", 0.1, message="bad")
        await publisher(api_bus, running).progress("PROCESSING", "OCR", 0.8)
        live = await until_marker(stream, "allJobs", ours, (gid(running), "PROCESSING"))
    assert live == [(gid(foreign), "FAILED", 0.1), (gid(running), "PROCESSING", 0.8)]


async def test_all_jobs_is_forbidden_to_users(live_server: str, user_token: str) -> None:
    async with WSClient(live_server, {"token": user_token}) as ws:
        with pytest.raises(SubscriptionError) as failure:
            async for _ in ws.subscribe(ALL_JOBS):
                pass
    assert failure.value.codes == ["FORBIDDEN"]
