"""Clients nobody here wrote follow a job to the end: the Python `gql` client (websockets
transport, both subprotocols) and the npm reference client `graphql-ws` run by Node.

Here the job's events come from a ProgressPublisher driven by the test, with the row written as a
worker does; test_real_jobs.py runs the same clients against real uploads and workers.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from docat.events import EventBus, job_channel
from models import Document, JobStage, JobStatus, User

from .conftest import JOB_PROGRESS, WAIT, gid, make_document, publisher, subscribers_of, wait_until
from .node_client import node_events_until_exit, read_line, run_node_client, stop

PAGES = 4


async def play_job(bus: EventBus, doc: Document) -> None:
    """A short job as the worker runs it: the row is written, then the event published."""
    job = publisher(bus, doc)
    steps: list[tuple[JobStatus, JobStage, float, int | None]] = [
        (JobStatus.PROCESSING, JobStage.ANALYZING, 0.05, None),
        *[(JobStatus.PROCESSING, JobStage.EXTRACTING, 0.1 + 0.8 * p / PAGES, p) for p in range(1, PAGES + 1)],
        (JobStatus.PROCESSING, JobStage.FINALIZING, 0.95, None),
        (JobStatus.COMPLETED, JobStage.DONE, 1.0, None),
    ]
    for status, stage, progress, page in steps:
        await Document.filter(id=doc.id).update(status=status, stage=stage, progress=progress)
        await job.progress(status, stage, progress, page=page, page_count=PAGES)


def assert_whole_job(events: list[dict[str, Any]], doc: Document) -> None:
    """Ordered and monotonic, from the state at subscription time to COMPLETED, nothing after."""
    assert {e["documentId"] for e in events} == {gid(doc)}
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress), progress
    assert len(set(progress)) == len(progress), "a state sent twice"
    assert [e["status"] for e in events][-1] == "COMPLETED"
    assert all(e["status"] in ("QUEUED", "PROCESSING") for e in events[:-1])
    stages = [e["stage"] for e in events]
    assert stages[0] == "QUEUED" and stages[-2:] == ["FINALIZING", "DONE"]


@pytest.mark.parametrize(
    "subprotocol", [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL]
)
async def test_gql_client_follows_a_job_to_completion(
    live_server: str, api_bus: EventBus, user: User, user_token: str, subprotocol: str
) -> None:
    doc = await make_document(user, page_count=PAGES)
    transport = WebsocketsTransport(
        url=live_server, init_payload={"Authorization": f"Bearer {user_token}"}, subprotocols=[subprotocol]
    )
    request = GraphQLRequest(JOB_PROGRESS, variable_values={"documentId": gid(doc)})
    events: list[dict[str, Any]] = []
    async with Client(transport=transport) as session:

        async def follow() -> None:
            async for result in session.subscribe(request):
                events.append(result["jobProgress"])

        follower = asyncio.create_task(follow())
        await wait_until(lambda: len(events) == 1)  # the snapshot: subscribed
        await play_job(api_bus, doc)
        await asyncio.wait_for(follower, WAIT)  # ends by itself: the stream completed
    assert_whole_job(events, doc)
    assert len(events) == 1 + PAGES + 3


async def test_gql_client_sees_not_found_as_a_graphql_error(
    live_server: str, user: User, other_token: str
) -> None:
    doc = await make_document(user)
    transport = WebsocketsTransport(url=live_server, init_payload={"token": other_token})
    async with Client(transport=transport) as session:
        with pytest.raises(TransportQueryError) as failure:
            async for _ in session.subscribe(
                GraphQLRequest(JOB_PROGRESS, variable_values={"documentId": gid(doc)})
            ):
                pass
    assert failure.value.errors is not None
    assert [e["extensions"]["code"] for e in failure.value.errors] == ["NOT_FOUND"]


async def test_graphql_ws_node_client_follows_a_job_to_completion(
    live_server: str, api_bus: EventBus, user: User, user_token: str
) -> None:
    doc = await make_document(user, page_count=PAGES)
    process = await run_node_client(live_server, user_token, gid(doc))
    try:
        assert (await read_line(process))["type"] == "connected"
        first = await read_line(process)
        assert first["type"] == "next"
        await wait_until(lambda: subscribers_of(api_bus, job_channel(doc.id)) == 1)
        await play_job(api_bus, doc)
        lines = [first, *await node_events_until_exit(process)]
    finally:
        await stop(process)
    assert all("errors" not in line["payload"] for line in lines)
    events = [line["payload"]["data"]["jobProgress"] for line in lines]
    assert_whole_job(events, doc)


async def test_graphql_ws_node_client_late_subscriber_gets_only_the_end(
    live_server: str, user: User, user_token: str
) -> None:
    doc = await make_document(user, status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=1.0)
    process = await run_node_client(live_server, user_token, gid(doc))
    try:
        assert (await read_line(process))["type"] == "connected"
        lines = await node_events_until_exit(process)
    finally:
        await stop(process)
    assert [line["payload"]["data"]["jobProgress"]["status"] for line in lines] == ["COMPLETED"]


async def test_graphql_ws_node_client_is_refused_a_bad_token(live_server: str, user: User) -> None:
    doc = await make_document(user)
    process = await run_node_client(live_server, "not-a-token", gid(doc))
    try:
        lines = [await read_line(process), await read_line(process)]
        assert await asyncio.wait_for(process.wait(), WAIT) == 1
    finally:
        await stop(process)
    assert lines[0] == {"type": "closed", "code": 4403, "reason": "invalid access token"}
    assert lines[1]["type"] == "error" and lines[1]["code"] == 4403
