"""GraphQL types of live job events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from graphql_api.documents.types import ContentBlock, JobStageEnum, JobStatusEnum
from graphql_api.relay import to_global_id
from jobs.pdf.content import ContentBlock as ContentBlockData
from models import JobStage, JobStatus


@strawberry.type(description="One progress event; the first of every subscription is the current state.")
class JobProgress:
    document_id: strawberry.ID
    status: JobStatusEnum
    stage: JobStageEnum
    progress: float
    page: int | None
    page_count: int | None
    message: str | None
    at: datetime
    attempt: int = strawberry.field(
        default=1,
        description=(
            "Which attempt at the job this event belongs to: 1, then one more each time a dead "
            "worker's job is taken over (stage RECOVERING). Progress continues from the pages "
            "already done; it only starts again from 0 when the attempt number says so."
        ),
    )

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> JobProgress:
        """Events carry the database id; clients see the global ID."""
        return cls(
            document_id=to_global_id("Document", event["documentId"]),
            status=JobStatus(event["status"]),
            stage=JobStage(event["stage"]),
            progress=float(event["progress"]),
            page=event.get("page"),
            page_count=event.get("pageCount"),
            message=event.get("message"),
            at=datetime.fromisoformat(event["at"]),
            attempt=int(event.get("attempt") or 1),
        )


@strawberry.type(description="The blocks of one page, pushed as soon as that page is done.")
class PageResult:
    document_id: strawberry.ID
    page: int
    page_count: int
    blocks: list[ContentBlock]

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> PageResult:
        return cls(
            document_id=to_global_id("Document", event["documentId"]),
            page=int(event["page"]),
            page_count=int(event["pageCount"]),
            blocks=[ContentBlock.from_data(ContentBlockData.from_dict(b)) for b in event.get("blocks") or []],
        )
