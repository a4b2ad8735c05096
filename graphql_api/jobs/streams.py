"""Snapshot, then live: the event streams behind jobProgress, myJobs and allJobs.

Every stream subscribes to the bus FIRST, then reads the database, then forwards only live events
newer than what it already sent (`ordering.JobState`). Subscribing first means nothing published
after the read is missed; the ordering drops what the read already covered. So there is no gap and
no duplicate, whichever of the worker's row write and its publish comes first.

A resync marker from the bus (Redis reconnected, or this subscriber's queue overflowed) means
events may have been lost: the stream re-reads the database and sends whatever is newer.

The streams yield plain event dicts one at a time, straight from the bus's bounded queue: the
GraphQL transport pulls the next only after it sent the previous one (uvicorn's send waits while
the socket is paused), so a slow client costs at most that queue, never an unbounded buffer.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from docat.events import ALL_JOBS_CHANNEL, EventBus, is_resync, is_terminal, job_channel, user_channel
from graphql_api.jobs.ordering import JobState, LatestStates, is_progress_event
from graphql_api.jobs.snapshots import read_document_event, read_job_events

# One job's events: a few stage changes plus ≤ 10 progress events a second.
JOB_QUEUE_SIZE = 64
# Many jobs at once (a user's, or everyone's): room for bursts, still a few hundred KiB at most.
FEED_QUEUE_SIZE = 1024


async def job_progress_events(bus: EventBus, document_id: uuid.UUID) -> AsyncIterator[dict[str, Any]]:
    """The job's current state, then each newer state, ending after a terminal one."""
    async with bus.subscribe([job_channel(document_id)], maxsize=JOB_QUEUE_SIZE) as live:
        snapshot = await read_document_event(document_id)
        if snapshot is None:
            return  # deleted between the access check and now
        state = JobState(snapshot, from_database=True)
        yield snapshot
        if is_terminal(snapshot):
            return
        async for event in live:
            from_database = is_resync(event)
            if from_database:
                current = await read_document_event(document_id)
                if current is None:
                    return
                event = current
            elif not is_progress_event(event):
                continue
            if state.admit(event, from_database=from_database):
                yield event
                if is_terminal(event):
                    return


async def job_feed_events(bus: EventBus, owner_id: uuid.UUID | None) -> AsyncIterator[dict[str, Any]]:
    """Every running job of `owner_id` (None: all users), then every newer state, without end."""
    channel = ALL_JOBS_CHANNEL if owner_id is None else user_channel(owner_id)
    states = LatestStates()
    async with bus.subscribe([channel], maxsize=FEED_QUEUE_SIZE) as live:
        for event in await read_job_events(owner_id):
            states.admit(event, from_database=True)
            yield event
        async for event in live:
            if is_resync(event):
                # Jobs seen running may have ended while events were lost: read them too.
                for current in await read_job_events(owner_id, also=states.open_documents()):
                    if states.admit(current, from_database=True):
                        yield current
            elif is_progress_event(event) and states.admit(event):
                yield event
