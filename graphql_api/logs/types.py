"""GraphQL types of processing logs and credit logs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.documents.types import JobStageEnum
from graphql_api.enums import described_enum
from graphql_api.loaders import document_loader, user_loader
from graphql_api.relay import Node, to_global_id
from models import CreditLog, JobStage, LogLevel, ProcessingLog

# The GraphQL types refer to each other (Document <-> User <-> logs): names from those modules
# are imported for type checking only, and resolvers import them when they run (an import
# cycle at load time otherwise; strawberry.lazy resolves the annotations).
if TYPE_CHECKING:
    from graphql_api.documents.types import DocumentType
    from graphql_api.users.types import UserType

described_enum(
    LogLevel,
    name="LogLevel",
    description="How much a processing log line matters, least to most.",
    values={
        "DEBUG": "Detail for diagnosing the pipeline.",
        "INFO": "A normal step: a stage started, a page finished, the job ended.",
        "WARNING": "Something went around a problem (a page without text, a retried provider call).",
        "ERROR": "The job failed, or a part of it did.",
    },
)
LogLevelEnum = LogLevel


@strawberry.type(name="ProcessingLog", description="One line of a document's processing log.")
class ProcessingLogType(Node):
    at: datetime = strawberry.field(description="When it was written.")
    level: LogLevelEnum = strawberry.field(description="How much it matters.")
    stage: JobStageEnum | None = strawberry.field(description="The stage the job was in, if any.")
    message: str = strawberry.field(description="What happened, in words.")
    row: strawberry.Private[ProcessingLog]

    @classmethod
    def from_model(cls, row: ProcessingLog) -> ProcessingLogType:
        return cls(
            id=to_global_id("ProcessingLog", row.id),
            at=row.at,
            level=row.level,
            stage=JobStage(row.stage) if row.stage else None,
            message=row.message,
            row=row,
        )

    @strawberry.field(description="The document the line is about.")
    async def document(
        self, info: Info
    ) -> Annotated[DocumentType, strawberry.lazy("graphql_api.documents.types")]:
        from graphql_api.documents.types import DocumentType

        doc = await info.context.loader("documents", document_loader).load(self.row.document_id)  # type: ignore[attr-defined]
        return DocumentType.from_model(doc)


@strawberry.type(name="CreditLog", description="One entry of an account's credit ledger.")
class CreditLogType(Node):
    at: datetime = strawberry.field(description="When it was booked.")
    amount: int = strawberry.field(description="Credits charged by this entry (0 for a limit change).")
    balance_after: int = strawberry.field(
        description="Credits the account had left after this entry (its limit minus credits used)."
    )
    description: str = strawberry.field(description="What the entry is for, in words.")
    row: strawberry.Private[CreditLog]

    @classmethod
    def from_model(cls, row: CreditLog) -> CreditLogType:
        return cls(
            id=to_global_id("CreditLog", row.id),
            at=row.at,
            amount=row.amount,
            balance_after=row.balance_after,
            description=row.description,
            row=row,
        )

    @strawberry.field(description="The account charged.")
    async def user(self, info: Info) -> Annotated[UserType, strawberry.lazy("graphql_api.users.types")]:
        from graphql_api.users.types import UserType

        user = await info.context.loader("users", user_loader).load(self.row.user_id)  # type: ignore[attr-defined]
        return UserType.from_model(user)

    @strawberry.field(description="The document the charge is for; null for other entries (a limit change).")
    async def document(
        self, info: Info
    ) -> Annotated[DocumentType, strawberry.lazy("graphql_api.documents.types")] | None:
        from graphql_api.documents.types import DocumentType

        document_id = self.row.document_id  # type: ignore[attr-defined]
        if document_id is None:
            return None
        doc = await info.context.loader("documents", document_loader).load(document_id)
        return DocumentType.from_model(doc) if doc else None
