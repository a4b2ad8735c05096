"""Scale out with real processes: two `docat serve` and one `docat worker` sharing a fresh PostgreSQL
database and the shared Redis (a queue of their own). A job uploaded through the first API and run
by the worker is followed, on the second API, by myJobs (subscribed before the upload: every event)
and by the npm graphql-ws client's jobProgress.

Ground truth is this test's own bus subscription on Redis, like a third API instance would have.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from redis import asyncio as aioredis

from docat.events import open_event_bus, user_channel
from docat.settings import load_settings
from graphql_api.relay import from_global_id
from tests.fixtures.databases import create_postgres_database, drop_postgres_database
from tests.fixtures.graphql_client import GraphQLClient
from tests.jobs import pdfs
from tests.jobs.services import ProductionStack, production_env

from .conftest import FAST_REDIS, MY_JOBS, SHARED_REDIS_URL, wait_until
from .job_streams import (
    assert_ordered_to_completion,
    assert_tail_of,
    gql_events,
    key,
    truth_until_terminal,
    until_terminal,
    without_exact_repeats,
)
from .node_client import node_job_progress

JOB_WAIT = 180.0  # bounds, never expectations
EMAIL = "scale-out-admin@example.com"
PASSWORD = "correct horse battery staple"
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken user { id } }
}"""
UPLOAD = "mutation Upload($file: Upload!) { uploadDocument(file: $file) { id status } }"


@dataclass
class Deployment:
    stack: ProductionStack
    first: str  # http:// of the API that takes the upload
    second: str  # http:// of the API the subscribers use


@pytest.fixture(scope="module")
async def deployment(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    folder = tmp_path_factory.mktemp("scale-out")
    database_url = await create_postgres_database()
    env = production_env(database_url, SHARED_REDIS_URL)  # the shared Redis: a queue of our own
    stack = ProductionStack(folder, env)
    try:
        await asyncio.to_thread(stack.migrate)
        await asyncio.to_thread(stack.create_admin, EMAIL, PASSWORD)
        first = await asyncio.to_thread(stack.serve)
        second = await asyncio.to_thread(stack.serve)
        stack.worker()
        yield Deployment(stack, first, second)
    finally:
        await asyncio.to_thread(stack.close)
        await drop_postgres_database(database_url)


async def login(api: str) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=api, timeout=30) as http:
        payload = (await GraphQLClient(http).execute(LOGIN, {"email": EMAIL, "password": PASSWORD})).ok()[
            "login"
        ]
    return payload["accessToken"], from_global_id(payload["user"]["id"])[1]


async def test_second_api_sees_every_event_of_a_job_uploaded_through_the_first(
    deployment: Deployment,
) -> None:
    token, user_id = await login(deployment.first)
    second_ws = deployment.second.replace("http://", "ws://") + "/graphql"
    channel = user_channel(user_id)
    bus = await open_event_bus(load_settings(redis_url=SHARED_REDIS_URL), redis_options=FAST_REDIS)
    redis = aioredis.Redis.from_url(SHARED_REDIS_URL)
    my_jobs: list[dict[str, Any]] = []
    try:
        async with bus.subscribe([channel], maxsize=10_000) as truth_feed:
            follower = asyncio.create_task(
                until_terminal(gql_events(second_ws, token, MY_JOBS, {}, "myJobs"), my_jobs)
            )

            async def both_listening() -> bool:
                # Ours and the second API's: myJobs there is live before anything is published.
                counts = dict(await redis.pubsub_numsub(channel))
                return int(counts.get(channel.encode(), 0)) >= 2

            await wait_until(both_listening)
            async with httpx.AsyncClient(base_url=deployment.first, timeout=60) as http:
                result = await GraphQLClient(http).upload(UPLOAD, {}, "file", pdfs.scanned(3), token=token)
            global_id = result.ok()["uploadDocument"]["id"]
            async with asyncio.timeout(JOB_WAIT):
                from_node = asyncio.ensure_future(node_job_progress(second_ws, token, global_id, JOB_WAIT))
                truth = await truth_until_terminal(
                    truth_feed, from_global_id(global_id)[1], resyncs_allowed=True
                )
                await follower
                node_events = await from_node
    except BaseException:
        print(deployment.stack.logs())
        raise
    finally:
        await redis.aclose()
        await bus.close()

    assert truth[0]["status"] == "QUEUED" and truth[-1]["status"] == "COMPLETED"
    assert {e["documentId"] for e in my_jobs} == {global_id}
    assert [key(e) for e in my_jobs] == without_exact_repeats(truth)
    assert_ordered_to_completion(my_jobs)
    assert_ordered_to_completion(node_events)
    assert_tail_of(node_events, truth)
