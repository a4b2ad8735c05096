"""Subscriptions: jobProgress, myJobs, allJobs, documentPages.

Each resolver is a coroutine that checks access and then returns the stream: an error raised
before the stream starts reaches the client as the protocol's `error` message with its contract
code (NOT_FOUND, FORBIDDEN, UNAUTHENTICATED), not as a first `next` carrying errors. The streams
themselves (streams.py, pages.py) know nothing of GraphQL; here their event dicts become types.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from typing import Annotated, Any, TypeVar

import strawberry

from docat import metrics
from graphql_api.context import Info
from graphql_api.documents.access import get_visible_document
from graphql_api.jobs.page_stream import document_page_events
from graphql_api.jobs.streams import job_feed_events, job_progress_events
from graphql_api.jobs.types import JobProgress, PageResult

T = TypeVar("T")


async def _convert(
    events: AsyncGenerator[dict[str, Any], None] | AsyncIterator[dict[str, Any]],
    convert: Callable[[dict[str, Any]], T],
) -> AsyncGenerator[T, None]:
    # aclosing: when the client stops (or disconnects), the inner stream leaves the bus at once.
    with metrics.track_subscription():
        async with aclosing(events):  # type: ignore[type-var]
            async for event in events:
                yield convert(event)


@strawberry.type
class JobSubscriptions:
    @strawberry.subscription(
        description=(
            "The job's current state, then every change; completes after COMPLETED, FAILED or "
            "CANCELLED. Owner or ADMIN."
        )
    )
    async def job_progress(
        self,
        info: Info,
        document_id: Annotated[strawberry.ID, strawberry.argument(description="The document's global ID.")],
    ) -> AsyncGenerator[JobProgress, None]:
        viewer = await info.context.require_user()
        doc = await get_visible_document(viewer, document_id)
        events = job_progress_events(info.context.resources.bus, doc.id)
        return _convert(events, JobProgress.from_event)

    @strawberry.subscription(
        description=(
            "Every QUEUED or PROCESSING job of the caller, then their live events, without end. "
            "Any signed-in user."
        )
    )
    async def my_jobs(self, info: Info) -> AsyncGenerator[JobProgress, None]:
        viewer = await info.context.require_user()
        return _convert(job_feed_events(info.context.resources.bus, viewer.id), JobProgress.from_event)

    @strawberry.subscription(
        description="Every QUEUED or PROCESSING job, then every job's live events, without end. ADMIN only."
    )
    async def all_jobs(self, info: Info) -> AsyncGenerator[JobProgress, None]:
        await info.context.require_admin()
        return _convert(job_feed_events(info.context.resources.bus, None), JobProgress.from_event)

    @strawberry.subscription(
        description=(
            "Each page's blocks as it completes; pages done before subscribing come first; "
            "completes with the job. Owner or ADMIN."
        )
    )
    async def document_pages(
        self,
        info: Info,
        document_id: Annotated[strawberry.ID, strawberry.argument(description="The document's global ID.")],
    ) -> AsyncGenerator[PageResult, None]:
        viewer = await info.context.require_user()
        doc = await get_visible_document(viewer, document_id)
        resources = info.context.resources
        events = document_page_events(resources.bus, resources.storage, doc.id)
        return _convert(events, PageResult.from_event)
