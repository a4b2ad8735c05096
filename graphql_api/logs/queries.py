"""Log queries: processingLogs, creditLogs, Document.logs."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.documents.access import get_visible_document
from graphql_api.logs.types import CreditLogType, LogLevelEnum, ProcessingLogType
from graphql_api.relay import (
    AFTER_ARGUMENT,
    BEFORE_ARGUMENT,
    LAST_ARGUMENT,
    Connection,
    first_argument,
    paginate,
)
from models import CreditLog, Document, ProcessingLog, Role


async def logs_of_document(
    info: Info,
    doc: Document,
    *,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[ProcessingLogType]:
    return await paginate(
        ProcessingLog.filter(document_id=doc.id),
        first=first,
        after=after,
        last=last,
        before=before,
        default_size=50,
        time_field="at",
        convert=ProcessingLogType.from_model,
    )


@strawberry.type
class LogQueries:
    @strawberry.field(
        description=(
            "Processing logs of the caller's documents, newest first. Any signed-in user; ADMIN sees all."
        )
    )
    async def processing_logs(
        self,
        info: Info,
        document_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the logs of this document (NOT_FOUND if not visible)."),
        ] = None,
        level: Annotated[
            LogLevelEnum | None, strawberry.argument(description="Only lines of exactly this level.")
        ] = None,
        first: Annotated[int | None, first_argument(50)] = 50,
        after: Annotated[str | None, AFTER_ARGUMENT] = None,
        last: Annotated[int | None, LAST_ARGUMENT] = None,
        before: Annotated[str | None, BEFORE_ARGUMENT] = None,
    ) -> Connection[ProcessingLogType]:
        viewer = await info.context.require_user()
        query = ProcessingLog.all()
        if document_id is not None:
            doc = await get_visible_document(viewer, document_id)
            query = query.filter(document_id=doc.id)
        elif viewer.role != Role.ADMIN:
            query = query.filter(document__owner_id=viewer.id)
        if level is not None:
            query = query.filter(level=level)
        return await paginate(
            query,
            first=first,
            after=after,
            last=last,
            before=before,
            default_size=50,
            time_field="at",
            convert=ProcessingLogType.from_model,
        )

    @strawberry.field(description="The caller's credit ledger, newest first. Any signed-in user.")
    async def credit_logs(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(50)] = 50,
        after: Annotated[str | None, AFTER_ARGUMENT] = None,
        last: Annotated[int | None, LAST_ARGUMENT] = None,
        before: Annotated[str | None, BEFORE_ARGUMENT] = None,
    ) -> Connection[CreditLogType]:
        viewer = await info.context.require_user()
        return await paginate(
            CreditLog.filter(user_id=viewer.id),
            first=first,
            after=after,
            last=last,
            before=before,
            default_size=50,
            time_field="at",
            convert=CreditLogType.from_model,
        )
