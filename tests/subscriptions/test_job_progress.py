"""jobProgress over a real WebSocket: snapshot first, live after, monotonic, completes at the end."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from docat.events import EventBus, job_channel
from graphql_api.jobs import streams
from graphql_api.relay import to_global_id
from models import JobStage, JobStatus, User

from .conftest import JOB_PROGRESS, WAIT, gid, make_document, publisher, subscribers_of, wait_until
from .ws_client import SubscriptionError, WSClient


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def states(events: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    return [(e["status"], e["stage"], e["progress"]) for e in events]


async def test_snapshot_then_live_events_until_the_terminal_one(
    live_server: str, api_bus: EventBus, user: User, user_token: str
) -> None:
    doc = await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.EXTRACTING, progress=0.3)
    job = publisher(api_bus, doc)
    received: list[dict[str, Any]] = []
    async with WSClient(live_server, auth(user_token)) as ws:
        stream = ws.subscribe(JOB_PROGRESS, {"documentId": gid(doc)})
        received.append((await anext(stream))["jobProgress"])
        # Subscribed before the snapshot was read: everything published from now on arrives.
        assert subscribers_of(api_bus, job_channel(doc.id)) == 1
        await job.progress("PROCESSING", "EXTRACTING", 0.2, page=2, page_count=10)  # older: dropped
        await job.progress("PROCESSING", "EXTRACTING", 0.3, page=3, page_count=10)  # same state: dropped
        await job.progress("PROCESSING", "EXTRACTING", 0.5, page=5, page_count=10)
        await job.progress("PROCESSING", "FINALIZING", 0.9)
        await job.progress("COMPLETED", "DONE", 1.0)
        await job.progress("PROCESSING", "EXTRACTING", 1.0)  # after the end: never delivered
        async for data in stream:
            received.append(data["jobProgress"])
    assert states(received) == [
        ("PROCESSING", "EXTRACTING", 0.3),
        ("PROCESSING", "EXTRACTING", 0.5),
        ("PROCESSING", "FINALIZING", 0.9),
        ("COMPLETED", "DONE", 1.0),
    ]
    assert {e["documentId"] for e in received} == {gid(doc)}
    assert received[1]["page"] == 5 and received[1]["pageCount"] == 10
    await wait_until(lambda: subscribers_of(api_bus, job_channel(doc.id)) == 0)


async def test_subscriber_of_a_finished_job_gets_exactly_the_terminal_state(
    live_server: str, user: User, user_token: str
) -> None:
    doc = await make_document(
        user, status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=1.0, page_count=3
    )
    async with WSClient(live_server, auth(user_token)) as ws:
        received = [data async for data in ws.subscribe(JOB_PROGRESS, {"documentId": gid(doc)})]
    assert [(e["jobProgress"]["status"], e["jobProgress"]["progress"]) for e in received] == [
        ("COMPLETED", 1.0)
    ]
    assert received[0]["jobProgress"]["pageCount"] == 3


async def test_failed_job_tells_why(live_server: str, user: User, user_token: str) -> None:
    doc = await make_document(
        user, status=JobStatus.FAILED, stage=JobStage.EXTRACTING, progress=0.4,
        error_code="INVALID_PDF", error_message="not a PDF",
    )  # fmt: skip
    async with WSClient(live_server, auth(user_token)) as ws:
        received = [data async for data in ws.subscribe(JOB_PROGRESS, {"documentId": gid(doc)})]
    assert [(e["jobProgress"]["status"], e["jobProgress"]["message"]) for e in received] == [
        ("FAILED", "not a PDF")
    ]


@pytest.mark.parametrize("whose", ["other user's", "missing", "malformed"])
async def test_someone_elses_or_a_missing_document_is_not_found(
    live_server: str, user: User, other_user: User, other_token: str, whose: str
) -> None:
    doc = await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.ANALYZING)
    document_id = {
        "other user's": gid(doc),
        "missing": to_global_id("Document", "00000000-0000-0000-0000-000000000000"),
        "malformed": "not-an-id",
    }[whose]
    async with WSClient(live_server, auth(other_token)) as ws:
        with pytest.raises(SubscriptionError) as failure:
            async for _ in ws.subscribe(JOB_PROGRESS, {"documentId": document_id}):
                pass
    assert failure.value.codes == ["NOT_FOUND"]


async def test_admin_follows_anyones_job(live_server: str, user: User, admin_token: str) -> None:
    doc = await make_document(user, status=JobStatus.CANCELLED, stage=JobStage.EXTRACTING, progress=0.2)
    async with WSClient(live_server, auth(admin_token)) as ws:
        received = [data async for data in ws.subscribe(JOB_PROGRESS, {"documentId": gid(doc)})]
    assert [e["jobProgress"]["status"] for e in received] == ["CANCELLED"]


async def test_events_of_an_older_run_are_ignored(
    live_server: str, api_bus: EventBus, user: User, user_token: str
) -> None:
    doc = await make_document(user, status=JobStatus.QUEUED, stage=JobStage.QUEUED, run=2)
    stale = publisher(api_bus, doc)
    stale.reset(run=1)
    current = publisher(api_bus, doc)
    async with WSClient(live_server, auth(user_token)) as ws:
        stream = ws.subscribe(JOB_PROGRESS, {"documentId": gid(doc)})
        first = (await anext(stream))["jobProgress"]
        await stale.progress("PROCESSING", "FINALIZING", 0.95)
        await stale.progress("COMPLETED", "DONE", 1.0)
        await current.progress("PROCESSING", "ANALYZING", 0.05)
        await current.progress("FAILED", "ANALYZING", 0.05, message="boom")
        rest = [data["jobProgress"] async for data in stream]
    assert states([first, *rest]) == [
        ("QUEUED", "QUEUED", 0.0),
        ("PROCESSING", "ANALYZING", 0.05),
        ("FAILED", "ANALYZING", 0.05),
    ]


async def test_live_events_racing_the_snapshot_read_leave_no_gap_and_no_duplicate(
    app: object, api_bus: EventBus, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events published between subscribing and reading the row: older ones and the one the row
    already shows are dropped, newer ones follow the snapshot."""
    doc = await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.EXTRACTING, progress=0.4)
    job = publisher(api_bus, doc)
    read = streams.read_document_event

    async def read_while_the_job_moves(document_id: object) -> dict[str, Any] | None:
        await job.progress("PROCESSING", "EXTRACTING", 0.3)  # before the row's state
        await job.progress("PROCESSING", "EXTRACTING", 0.4)  # the row's state
        snapshot = await read(document_id)  # type: ignore[arg-type]
        await job.progress("PROCESSING", "EXTRACTING", 0.6)  # after it
        return snapshot

    monkeypatch.setattr(streams, "read_document_event", read_while_the_job_moves)
    events = streams.job_progress_events(api_bus, doc.id)
    received = [await asyncio.wait_for(anext(events), WAIT) for _ in range(2)]
    await job.progress("COMPLETED", "DONE", 1.0)
    received += [e async for e in events]
    assert states(received) == [
        ("PROCESSING", "EXTRACTING", 0.4),
        ("PROCESSING", "EXTRACTING", 0.6),
        ("COMPLETED", "DONE", 1.0),
    ]
