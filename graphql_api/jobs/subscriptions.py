"""Subscriptions: jobProgress, myJobs, allJobs, documentPages (filled by the subscriptions issue)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from docat.errors import DocatError
from graphql_api.context import Info
from graphql_api.jobs.types import JobProgress, PageResult


@strawberry.type
class JobSubscriptions:
    @strawberry.subscription
    async def job_progress(self, info: Info, document_id: strawberry.ID) -> AsyncGenerator[JobProgress, None]:
        raise DocatError("subscriptions are not available yet")
        yield  # pragma: no cover

    @strawberry.subscription
    async def my_jobs(self, info: Info) -> AsyncGenerator[JobProgress, None]:
        raise DocatError("subscriptions are not available yet")
        yield  # pragma: no cover

    @strawberry.subscription
    async def all_jobs(self, info: Info) -> AsyncGenerator[JobProgress, None]:
        raise DocatError("subscriptions are not available yet")
        yield  # pragma: no cover

    @strawberry.subscription
    async def document_pages(
        self, info: Info, document_id: strawberry.ID
    ) -> AsyncGenerator[PageResult, None]:
        raise DocatError("subscriptions are not available yet")
        yield  # pragma: no cover
