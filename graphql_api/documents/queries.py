"""Document queries: document, documents, and User.documents."""

from __future__ import annotations

from typing import Annotated

import strawberry

from docat.errors import Forbidden
from graphql_api.context import Info
from graphql_api.documents.access import get_visible_document, visible_documents
from graphql_api.documents.types import DocumentType, JobStatusEnum
from graphql_api.relay import (
    AFTER_ARGUMENT,
    BEFORE_ARGUMENT,
    LAST_ARGUMENT,
    Connection,
    first_argument,
    paginate,
)
from graphql_api.search import contains_literally
from models import Role, User


async def documents_of(
    info: Info,
    viewer: User,
    *,
    owner: User | None,
    first: int | None,
    after: str | None,
    status: JobStatusEnum | None = None,
    search: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[DocumentType]:
    query = visible_documents(viewer)
    if owner is not None:
        if owner.id != viewer.id and viewer.role != Role.ADMIN:
            raise Forbidden("only an admin may list another user's documents")
        query = query.filter(owner_id=owner.id)
    if status is not None:
        query = query.filter(status=status)
    if search and search.strip():
        query = query.filter(contains_literally("filename", search.strip()))
    return await paginate(
        query,
        first=first,
        after=after,
        last=last,
        before=before,
        time_field="created_at",
        convert=DocumentType.from_model,
    )


@strawberry.type
class DocumentQueries:
    @strawberry.field(
        description="One document by global ID; NOT_FOUND if missing or not the caller's. Owner or ADMIN."
    )
    async def document(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The document's global ID.")],
    ) -> DocumentType | None:
        viewer = await info.context.require_user()
        return DocumentType.from_model(await get_visible_document(viewer, id))

    @strawberry.field(description="The caller's documents, newest first. Any signed-in user; ADMIN sees all.")
    async def documents(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(20)] = 20,
        after: Annotated[str | None, AFTER_ARGUMENT] = None,
        status: Annotated[
            JobStatusEnum | None, strawberry.argument(description="Only documents in this status.")
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(description="Only documents whose filename contains this text (any case)."),
        ] = None,
        last: Annotated[int | None, LAST_ARGUMENT] = None,
        before: Annotated[str | None, BEFORE_ARGUMENT] = None,
    ) -> Connection[DocumentType]:
        viewer = await info.context.require_user()
        return await documents_of(
            info,
            viewer,
            owner=None,
            first=first,
            after=after,
            status=status,
            search=search,
            last=last,
            before=before,
        )
