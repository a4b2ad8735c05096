"""Who may see a document: its owner or an admin. Anyone else gets NOT_FOUND, as for a missing one."""

from __future__ import annotations

import uuid

from docat.errors import NotFound
from graphql_api.relay import expect_global_id
from models import Document, Role, User


def document_uuid(global_id: str) -> uuid.UUID:
    key = expect_global_id(global_id, "Document")
    try:
        return uuid.UUID(key)
    except ValueError as exc:
        raise NotFound("document not found") from exc


def visible_documents(viewer: User):  # type: ignore[no-untyped-def]
    return Document.all() if viewer.role == Role.ADMIN else Document.filter(owner_id=viewer.id)


async def get_visible_document(viewer: User, global_id: str, *, for_update: bool = False) -> Document:
    doc = await visible_documents(viewer).get_or_none(id=document_uuid(global_id))
    if doc is None:
        raise NotFound("document not found")
    return doc
