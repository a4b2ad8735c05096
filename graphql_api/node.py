"""Query.node: any global ID back to its object, with the same visibility rules as elsewhere."""

from __future__ import annotations

import uuid

import strawberry

from docat.errors import BadUserInput, NotFound
from graphql_api.admin.types import ProviderKeyType
from graphql_api.context import Info
from graphql_api.documents.access import visible_documents
from graphql_api.documents.types import DocumentType
from graphql_api.logs.types import CreditLogType, ProcessingLogType
from graphql_api.relay import Node, from_global_id, row_id
from graphql_api.users.types import UserType
from models import CreditLog, ProcessingLog, ProviderKey, Role, User


async def resolve_node(info: Info, global_id: str) -> Node | None:
    viewer = await info.context.require_user()
    kind, key = from_global_id(global_id)
    admin = viewer.role == Role.ADMIN
    if kind in ("ProcessingLog", "CreditLog"):
        try:
            row_id(key)
        except ValueError as exc:
            # A number past the id column's range would fail in the database, not just miss.
            raise BadUserInput("invalid id: not a row id") from exc
    try:
        if kind == "User":
            user = await User.get_or_none(id=uuid.UUID(key))
            if user and (admin or user.id == viewer.id):
                return UserType.from_model(user)
        elif kind == "Document":
            doc = await visible_documents(viewer).get_or_none(id=uuid.UUID(key))
            if doc:
                return DocumentType.from_model(doc)
        elif kind == "ProcessingLog":
            log = await ProcessingLog.get_or_none(id=row_id(key)).prefetch_related("document")
            if log and (admin or log.document.owner_id == viewer.id):  # type: ignore[attr-defined]
                return ProcessingLogType.from_model(log)
        elif kind == "CreditLog":
            row = await CreditLog.get_or_none(id=row_id(key))
            if row and (admin or row.user_id == viewer.id):  # type: ignore[attr-defined]
                return CreditLogType.from_model(row)
        elif kind == "ProviderKey" and admin:
            pk = await ProviderKey.get_or_none(id=uuid.UUID(key))
            if pk:
                return ProviderKeyType.from_model(pk)
    except ValueError:
        pass
    raise NotFound("not found")


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Resolve any global ID you may see.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)
