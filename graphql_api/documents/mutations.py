"""Document mutations: upload, reprocess, cancel, delete.

The resolvers only authenticate, validate the input and hand over: streaming
and checks in `upload`, storing and queueing in `intake`, everything after in
`lifecycle`. Someone else's document answers NOT_FOUND, like a missing one.
"""

from __future__ import annotations

from typing import Annotated, cast

import strawberry

from docat import metrics
from docat.logging import bind_document_id
from graphql_api.context import Info
from graphql_api.documents.access import get_visible_document
from graphql_api.documents.intake import accept_upload
from graphql_api.documents.lifecycle import cancel_document, delete_document, reprocess_document
from graphql_api.documents.options import ensure_provider, options_from_stored, parse_options
from graphql_api.documents.types import DocumentType, ProcessingOptionsInput
from graphql_api.documents.upload import ChunkReader, admit_pdf, received_upload
from graphql_api.scalars import Upload
from graphql_api.upload_limit import upload_limit_bytes


@strawberry.type
class DocumentMutations:
    @strawberry.mutation(
        description=(
            "Upload a PDF (multipart request spec) and queue it, or reuse an identical result. "
            "Any signed-in user."
        )
    )
    async def upload_document(
        self,
        info: Info,
        file: Annotated[
            Upload,
            strawberry.argument(description="The PDF, as a multipart file part (at most MAX_UPLOAD_MB)."),
        ],
        options: Annotated[
            ProcessingOptionsInput | None,
            strawberry.argument(description="How to process it; null: defaults."),
        ] = None,
    ) -> DocumentType:
        context = info.context
        caller = await context.require_user()
        resources = context.resources
        # Uploads an hour per tier (docat.rate_limits); counted before any byte is read.
        await resources.rate_limiter.hit_upload(context, caller)
        # Everything that needs only the input fails before a byte of the file is read.
        validated = parse_options(options)
        await ensure_provider(resources, validated)
        max_bytes = await upload_limit_bytes(context.settings)
        # Strawberry's Upload scalar is starlette's UploadFile at runtime.
        upload = cast(ChunkReader, file)
        async with received_upload(upload, context.settings, max_bytes) as received:
            admission = await admit_pdf(received.path, validated, caller, context.settings)
            doc = await accept_upload(resources, caller, received, validated, admission)
        metrics.observe_upload(received.size)
        return DocumentType.from_model(doc)

    @strawberry.mutation(
        description="Run a finished document again, with new options (null: the same ones). Owner or ADMIN."
    )
    async def reprocess_document(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The document's global ID.")],
        options: Annotated[
            ProcessingOptionsInput | None,
            strawberry.argument(description="The new options; null: the ones it was processed with."),
        ] = None,
    ) -> DocumentType:
        caller = await info.context.require_user()
        doc = await get_visible_document(caller, id)
        with bind_document_id(str(doc.id)):
            validated = (
                parse_options(options) if options is not None else options_from_stored(doc.options or {})
            )
            doc = await reprocess_document(info.context.resources, caller, doc, validated)
        return DocumentType.from_model(doc)

    @strawberry.mutation(
        description=(
            "QUEUED: cancelled at once. PROCESSING: the job stops within a second or two. Owner or ADMIN."
        )
    )
    async def cancel_document(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The document's global ID.")],
    ) -> DocumentType:
        caller = await info.context.require_user()
        doc = await get_visible_document(caller, id)
        with bind_document_id(str(doc.id)):
            doc = await cancel_document(info.context.resources, doc)
        return DocumentType.from_model(doc)

    @strawberry.mutation(
        description="Stop the job if running, remove the document, its logs and its files. Owner or ADMIN."
    )
    async def delete_document(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The document's global ID.")],
    ) -> bool:
        caller = await info.context.require_user()
        doc = await get_visible_document(caller, id)
        with bind_document_id(str(doc.id)):
            await delete_document(info.context.resources, doc)
        return True
