"""Real jobs (embedded: uploadDocument -> the in-process queue -> the PDF pipeline), followed by the
`gql` client and the npm `graphql-ws` client over a real WebSocket.

Ground truth is a plain bus subscription on the owner's channel, open before the upload: a stream
must deliver exactly those events (only an exact repeat — same state, same `at` — is dropped).
"""

from __future__ import annotations

import asyncio
from typing import Any

from docat.events import EventBus, user_channel
from graphql_api.relay import from_global_id
from models import User
from tests.fixtures.graphql_client import GraphQLClient
from tests.jobs import pdfs

from .conftest import DOCUMENT_PAGES, MY_JOBS, subscribers_of, wait_until
from .job_streams import (
    assert_ordered_to_completion,
    assert_tail_of,
    gql_events,
    gql_job_progress,
    key,
    truth_until_terminal,
    until_terminal,
    without_exact_repeats,
)
from .node_client import node_job_progress
from .ws_client import WSClient

JOB_WAIT = 180.0  # a bound on a real job, never an expectation
PAGES = 3
UPLOAD = """
mutation Upload($file: Upload!) { uploadDocument(file: $file) { id status } }"""


async def test_clients_follow_a_real_job_to_completion(
    live_server: str, api_bus: EventBus, gql: GraphQLClient, user: User, user_token: str
) -> None:
    my_jobs: list[dict[str, Any]] = []
    async with api_bus.subscribe([user_channel(user.id)], maxsize=10_000) as truth_feed:
        follower = asyncio.create_task(
            until_terminal(gql_events(live_server, user_token, MY_JOBS, {}, "myJobs"), my_jobs)
        )
        # myJobs is subscribed once the server has two subscribers on the channel (ours, its).
        await wait_until(lambda: subscribers_of(api_bus, user_channel(user.id)) == 2)
        uploaded = (await gql.upload(UPLOAD, {}, "file", pdfs.scanned(PAGES), token=user_token)).ok()
        global_id = uploaded["uploadDocument"]["id"]
        document_id = from_global_id(global_id)[1]
        async with asyncio.timeout(JOB_WAIT):
            # Both clients join while the job runs (it OCRs PAGES pages: a few seconds).
            live_clients = asyncio.gather(
                gql_job_progress(live_server, user_token, global_id),
                node_job_progress(live_server, user_token, global_id),
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
    for events in (from_gql, from_node):
        assert_ordered_to_completion(events)
        assert_tail_of(events, truth)
        assert {e["documentId"] for e in events} == {global_id}

    # Subscribers arriving after the end get exactly one event, the terminal state, and completion.
    late_gql = await asyncio.wait_for(gql_job_progress(live_server, user_token, global_id), 60)
    late_node = await asyncio.wait_for(node_job_progress(live_server, user_token, global_id), 60)
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
