"""GraphQL types of live job events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry

from graphql_api.context import Info
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
    raw_document_id: strawberry.Private[str] = ""

    @strawberry.field(
        description="COMPLETED only: how many chunks Document.chunks gives with its default parameters."
    )
    async def chunk_count(self, info: Info) -> int | None:
        from graphql_api.documents.chunks import resolve_chunk_count

        if self.status != JobStatus.COMPLETED or not self.raw_document_id:
            return None
        return await resolve_chunk_count(info, uuid.UUID(self.raw_document_id), self.status)

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> JobProgress:
        """Events carry the database id; clients see the global ID."""
        return cls(
            raw_document_id=str(event["documentId"]),
            document_id=to_global_id("Document", event["documentId"]),
            status=JobStatus(event["status"]),
            stage=JobStage(event["stage"]),
            progress=float(event["progress"]),
            page=event.get("page"),
            page_count=event.get("pageCount"),
            message=event.get("message"),
            at=datetime.fromisoformat(event["at"]),
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
