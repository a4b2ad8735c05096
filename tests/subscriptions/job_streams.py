"""Checks shared by the real-job tests: ground truth from the bus, the gql client, stream shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from docat.events import Subscription, is_resync, is_terminal
from models import JobStage

from .conftest import JOB_PROGRESS

STAGES = [stage.value for stage in JobStage]


def key(event: dict[str, Any]) -> tuple[Any, ...]:
    """Bus events and GraphQL results alike (the DateTime scalar prints microseconds)."""
    return (event["status"], event["stage"], event["progress"], datetime.fromisoformat(event["at"]))


def without_exact_repeats(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a subscriber must receive of what the job published: all but an exact repeat."""
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


def assert_tail_of(events: list[dict[str, Any]], truth: list[dict[str, Any]]) -> None:
    """A jobProgress stream: the row when it joined, then a contiguous tail of what was published."""
    truth_keys = without_exact_repeats(truth)
    rest = [key(e) for e in events[1:]]
    if rest:
        assert rest == truth_keys[truth_keys.index(rest[0]) :]


async def truth_until_terminal(
    subscription: Subscription, document_id: str, *, resyncs_allowed: bool = False
) -> list[dict[str, Any]]:
    """What the job published on a channel, up to its terminal event."""
    events = []
    async for event in subscription:
        if is_resync(event):
            assert resyncs_allowed, "the in-process bus never loses events"
            continue
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


async def gql_job_progress(url: str, token: str, document_id: str) -> list[dict[str, Any]]:
    return [e async for e in gql_events(url, token, JOB_PROGRESS, {"documentId": document_id}, "jobProgress")]


async def until_terminal(events: AsyncIterator[dict[str, Any]], into: list[dict[str, Any]]) -> None:
    """Append a feed's events (myJobs) to `into` until a terminal one."""
    async for event in events:
        into.append(event)
        if is_terminal(event):
            return
