"""GraphQL types of live job events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from graphql_api.context import Info
from graphql_api.documents.types import ContentBlock, JobStageEnum, JobStatusEnum
from graphql_api.relay import to_global_id
from jobs.pdf.content import ContentBlock as ContentBlockData
from models import JobStage, JobStatus

# The GraphQL types refer to each other (Document <-> User <-> logs): names from those modules
# are imported for type checking only, and resolvers import them when they run (an import
# cycle at load time otherwise; strawberry.lazy resolves the annotations).
if TYPE_CHECKING:
    from graphql_api.documents.types import DocumentType


@strawberry.type(description="One progress event; the first of every subscription is the current state.")
class JobProgress:
    document_id: strawberry.ID = strawberry.field(description="Global ID of the document being processed.")
    status: JobStatusEnum = strawberry.field(description="The job's status at this moment.")
    stage: JobStageEnum = strawberry.field(description="The pipeline stage the job is in.")
    progress: float = strawberry.field(
        description="Share of the work done, 0..1; never decreases within one run of the job."
    )
    page: int | None = strawberry.field(
        description="The page (1-based) the job last finished, during page-by-page stages; else null."
    )
    page_count: int | None = strawberry.field(
        description="Pages the job processes, once known (after ANALYZING); else null."
    )
    message: str | None = strawberry.field(
        description="A human-readable note on the stage; on a terminal event, how the job ended."
    )
    at: datetime = strawberry.field(description="When the job reported this state (UTC).")
    event: strawberry.Private[dict[str, Any]]
    attempt: int = strawberry.field(
        default=1,
        description=(
            "Which attempt at the job this event belongs to: 1, then one more each time a dead "
            "worker's job is taken over (stage RECOVERING). Progress continues from the pages "
            "already done; it only starts again from 0 when the attempt number says so."
        ),
    )

    @strawberry.field(
        description="COMPLETED only: how many chunks Document.chunks gives with its default parameters."
    )
    async def chunk_count(self, info: Info) -> int | None:
        from graphql_api.documents.chunks import resolve_chunk_count

        if self.status != JobStatus.COMPLETED:
            return None
        return await resolve_chunk_count(info, uuid.UUID(str(self.event["documentId"])), self.status)

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
            event=event,
            attempt=int(event.get("attempt") or 1),
        )

    @strawberry.field(
        description=(
            "The document, showing this event's status, stage and progress (so a normalized client "
            "cache updates it in place); null once deleted. Owner or ADMIN, as `Query.document`."
        )
    )
    async def document(
        self, info: Info
    ) -> Annotated[DocumentType, strawberry.lazy("graphql_api.documents.types")] | None:
        from graphql_api.jobs.documents import visible_event_document, with_event_state

        doc = await visible_event_document(info, self.event["documentId"])
        return None if doc is None else with_event_state(doc, self.event)


@strawberry.type(description="The blocks of one page, pushed as soon as that page is done.")
class PageResult:
    document_id: strawberry.ID = strawberry.field(
        description="Global ID of the document the page belongs to."
    )
    page: int = strawberry.field(description="The page number, 1-based.")
    page_count: int = strawberry.field(description="Pages in the document.")
    blocks: list[ContentBlock] = strawberry.field(description="The page's content blocks, in reading order.")
    event: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> PageResult:
        return cls(
            document_id=to_global_id("Document", event["documentId"]),
            page=int(event["page"]),
            page_count=int(event["pageCount"]),
            blocks=[ContentBlock.from_data(ContentBlockData.from_dict(b)) for b in event.get("blocks") or []],
            event=event,
        )

    @strawberry.field(
        description=(
            "The document the page belongs to, as it is now; null once deleted. Owner or ADMIN, "
            "as `Query.document`."
        )
    )
    async def document(
        self, info: Info
    ) -> Annotated[DocumentType, strawberry.lazy("graphql_api.documents.types")] | None:
        from graphql_api.documents.types import DocumentType
        from graphql_api.jobs.documents import visible_event_document

        doc = await visible_event_document(info, self.event["documentId"])
        return None if doc is None else DocumentType.from_model(doc)
