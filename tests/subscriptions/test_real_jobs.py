"""Real jobs (embedded: uploadDocument -> the in-process queue -> the PDF pipeline), followed by the
`gql` client and the npm `graphql-ws` client over a real WebSocket.

Ground truth is a plain bus subscription on the owner's channel, open before the upload: a stream
must deliver exactly those events (only an exact repeat — same state, same `at` — is dropped).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from docat.events import EventBus, Subscription, is_resync, is_terminal, user_channel
from graphql_api.relay import from_global_id
from models import JobStage, User
from tests.fixtures.graphql_client import GraphQLClient
from tests.jobs import pdfs

from .conftest import DOCUMENT_PAGES, JOB_PROGRESS, MY_JOBS, subscribers_of, wait_until
from .test_reference_clients import node_events_until_exit, read_line, run_node_client
from .ws_client import WSClient

JOB_WAIT = 180.0  # a bound on a real job, never an expectation
PAGES = 3
UPLOAD = """
mutation Upload($file: Upload!) { uploadDocument(file: $file) { id status } }"""
STAGES = [stage.value for stage in JobStage]


def key(event: dict[str, Any]) -> tuple[Any, ...]:
    """Bus events and GraphQL results alike (the DateTime scalar prints microseconds)."""
    return (event["status"], event["stage"], event["progress"], datetime.fromisoformat(event["at"]))


def without_exact_repeats(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    keys = [key(e) for e in events]
    return [k for i, k in enumerate(keys) if i == 0 or k != keys[i - 1]]


def assert_ordered_to_completion(events: list[dict[str, Any]]) -> None:
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress), progress
    stages = [STAGES.index(e["stage"]) for e in events]
    assert stages == sorted(stages), [e["stage"] for e in events]
    assert events[-1]["status"] == "COMPLETED" and events[-1]["progress"] == 1.0
    assert not any(is_terminal(e) for e in events[:-1])
    assert len(set(map(key, events))) == len(events), "an event sent twice"


async def truth_until_terminal(subscription: Subscription, document_id: str) -> list[dict[str, Any]]:
    events = []
    async for event in subscription:
        assert not is_resync(event), "the in-process bus never loses events"
        if event.get("documentId") == document_id:
            events.append(event)
            if is_terminal(event):
                return events
    raise AssertionError("bus closed")


async def gql_events(
    url: str, token: str, query: str, variables: dict[str, Any], field: str
) -> AsyncIterator[Any]:
    transport = WebsocketsTransport(url=url, init_payload={"Authorization": f"Bearer {token}"})
    async with Client(transport=transport) as session:
        async for result in session.subscribe(GraphQLRequest(query, variable_values=variables)):
            yield result[field]


async def collect_gql(url: str, token: str, global_id: str) -> list[dict[str, Any]]:
    return [e async for e in gql_events(url, token, JOB_PROGRESS, {"documentId": global_id}, "jobProgress")]


async def collect_node(url: str, token: str, global_id: str) -> list[dict[str, Any]]:
    process = await run_node_client(url, token, global_id)
    try:
        assert (await read_line(process))["type"] == "connected"
        lines = await node_events_until_exit(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return [line["payload"]["data"]["jobProgress"] for line in lines]


async def test_clients_follow_a_real_job_to_completion(
    live_server: str, api_bus: EventBus, gql: GraphQLClient, user: User, user_token: str
) -> None:
    my_jobs: list[dict[str, Any]] = []

    async def follow_my_jobs() -> None:
        stream = gql_events(live_server, user_token, MY_JOBS, {}, "myJobs")
        async for event in stream:
            my_jobs.append(event)
            if is_terminal(event):
                return

    async with api_bus.subscribe([user_channel(user.id)], maxsize=10_000) as truth_feed:
        follower = asyncio.create_task(follow_my_jobs())
        # myJobs is subscribed once the server has two subscribers on the channel (ours, its).
        await wait_until(lambda: subscribers_of(api_bus, user_channel(user.id)) == 2)
        uploaded = (await gql.upload(UPLOAD, {}, "file", pdfs.scanned(PAGES), token=user_token)).ok()
        global_id = uploaded["uploadDocument"]["id"]
        document_id = from_global_id(global_id)[1]
        async with asyncio.timeout(JOB_WAIT):
            # Both clients join while the job runs (it OCRs PAGES pages: a few seconds).
            live_clients = asyncio.gather(
                collect_gql(live_server, user_token, global_id),
                collect_node(live_server, user_token, global_id),
            )
            truth = await truth_until_terminal(truth_feed, document_id)
            from_gql, from_node = await live_clients
            await follower

    # myJobs, subscribed before the upload: every event of the job, from QUEUED to COMPLETED.
    assert truth[0]["status"] == "QUEUED" and len(truth) >= 4
    assert {e["documentId"] for e in my_jobs} == {global_id}
    assert [key(e) for e in my_jobs] == without_exact_repeats(truth)
    assert_ordered_to_completion(my_jobs)
    # jobProgress from both reference clients: the state when they joined, then the rest.
    truth_keys = without_exact_repeats(truth)
    for events in (from_gql, from_node):
        assert_ordered_to_completion(events)
        # After the snapshot (read from the row), a contiguous tail of what the job published.
        rest = [key(e) for e in events[1:]]
        if rest:
            assert rest == truth_keys[truth_keys.index(rest[0]) :]
        assert {e["documentId"] for e in events} == {global_id}

    # Subscribers arriving after the end get exactly one event, the terminal state, and completion.
    late_gql = await asyncio.wait_for(collect_gql(live_server, user_token, global_id), 60)
    late_node = await asyncio.wait_for(collect_node(live_server, user_token, global_id), 60)
    for late in (late_gql, late_node):
        assert [(e["status"], e["progress"]) for e in late] == [("COMPLETED", 1.0)]


async def test_document_pages_of_a_real_job(
    live_server: str, gql: GraphQLClient, user: User, user_token: str
) -> None:
    uploaded = (await gql.upload(UPLOAD, {}, "file", pdfs.scanned(PAGES), token=user_token)).ok()
    variables = {"documentId": uploaded["uploadDocument"]["id"]}
    async with WSClient(live_server, {"token": user_token}) as ws:
        during = [d["documentPages"] async for d in ws.subscribe(DOCUMENT_PAGES, variables, within=JOB_WAIT)]
    async with WSClient(live_server, {"token": user_token}) as ws:
        after = [d["documentPages"] async for d in ws.subscribe(DOCUMENT_PAGES, variables)]
    for pages in (during, after):
        assert sorted(p["page"] for p in pages) == list(range(1, PAGES + 1))  # each page once
        assert all(p["pageCount"] == PAGES for p in pages)
        assert all(p["blocks"] and all(b["page"] == p["page"] for b in p["blocks"]) for p in pages)
    assert [p["page"] for p in after] == list(range(1, PAGES + 1))  # replayed in page order
    assert {p["page"]: p["blocks"] for p in during} == {p["page"]: p["blocks"] for p in after}
