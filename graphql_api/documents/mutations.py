"""Document mutations: upload, reprocess, cancel, delete (filled by the documents issue)."""

from __future__ import annotations

import strawberry

from docat.errors import DocatError
from graphql_api.context import Info
from graphql_api.documents.types import DocumentType, ProcessingOptionsInput
from graphql_api.scalars import Upload


@strawberry.type
class DocumentMutations:
    @strawberry.mutation
    async def upload_document(
        self, info: Info, file: Upload, options: ProcessingOptionsInput | None = None
    ) -> DocumentType:
        raise DocatError("uploads are not available yet")

    @strawberry.mutation
    async def reprocess_document(
        self, info: Info, id: strawberry.ID, options: ProcessingOptionsInput | None = None
    ) -> DocumentType:
        raise DocatError("reprocessing is not available yet")

    @strawberry.mutation
    async def cancel_document(self, info: Info, id: strawberry.ID) -> DocumentType:
        raise DocatError("cancelling is not available yet")

    @strawberry.mutation
    async def delete_document(self, info: Info, id: strawberry.ID) -> bool:
        raise DocatError("deleting is not available yet")
