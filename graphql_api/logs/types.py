"""GraphQL types of processing logs and credit logs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.documents.types import JobStageEnum
from graphql_api.loaders import document_loader, user_loader
from graphql_api.relay import Node, to_global_id
from models import CreditLog, JobStage, LogLevel, ProcessingLog

if TYPE_CHECKING:
    from graphql_api.documents.types import DocumentType
    from graphql_api.users.types import UserType

strawberry.enum(LogLevel, name="LogLevel")
LogLevelEnum = LogLevel


@strawberry.type(name="ProcessingLog")
class ProcessingLogType(Node):
    at: datetime
    level: LogLevelEnum
    stage: JobStageEnum | None
    message: str
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

    @strawberry.field
    async def document(
        self, info: Info
    ) -> Annotated[DocumentType, strawberry.lazy("graphql_api.documents.types")]:
        from graphql_api.documents.types import DocumentType

        doc = await info.context.loader("documents", document_loader).load(self.row.document_id)  # type: ignore[attr-defined]
        return DocumentType.from_model(doc)


@strawberry.type(name="CreditLog")
class CreditLogType(Node):
    at: datetime
    amount: int
    balance_after: int
    description: str
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

    @strawberry.field
    async def user(self, info: Info) -> Annotated[UserType, strawberry.lazy("graphql_api.users.types")]:
        from graphql_api.users.types import UserType

        user = await info.context.loader("users", user_loader).load(self.row.user_id)  # type: ignore[attr-defined]
        return UserType.from_model(user)

    @strawberry.field
    async def document(
        self, info: Info
    ) -> Annotated[DocumentType, strawberry.lazy("graphql_api.documents.types")] | None:
        from graphql_api.documents.types import DocumentType

        document_id = self.row.document_id  # type: ignore[attr-defined]
        if document_id is None:
            return None
        doc = await info.context.loader("documents", document_loader).load(document_id)
        return DocumentType.from_model(doc) if doc else None
