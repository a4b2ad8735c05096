"""Document queries: document, documents, and User.documents."""

from __future__ import annotations

import strawberry

from docat.errors import Forbidden
from graphql_api.context import Info
from graphql_api.documents.access import get_visible_document, visible_documents
from graphql_api.documents.types import DocumentType, JobStatusEnum
from graphql_api.relay import Connection, paginate
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
        query, first=first, after=after, time_field="created_at", convert=DocumentType.from_model
    )


@strawberry.type
class DocumentQueries:
    @strawberry.field(description="A document of the caller (any document for ADMIN).")
    async def document(self, info: Info, id: strawberry.ID) -> DocumentType | None:
        viewer = await info.context.require_user()
        return DocumentType.from_model(await get_visible_document(viewer, id))

    @strawberry.field(description="The caller's documents (every document for ADMIN), newest first.")
    async def documents(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        status: JobStatusEnum | None = None,
        search: str | None = None,
    ) -> Connection[DocumentType]:
        viewer = await info.context.require_user()
        return await documents_of(
            info, viewer, owner=None, first=first, after=after, status=status, search=search
        )
