"""Query.node: any global ID back to its object, with the same visibility rules as elsewhere."""

from __future__ import annotations

import uuid
from typing import Annotated

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

# As many as one connection page holds.
MAX_NODES = 100


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


async def resolve_nodes(info: Info, global_ids: list[strawberry.ID]) -> list[Node | None]:
    """Each ID in order; null where `node(id:)` would answer NOT_FOUND (missing or not visible)."""
    if len(global_ids) > MAX_NODES:
        raise BadUserInput(f"`ids` holds at most {MAX_NODES} IDs")
    await info.context.require_user()  # one authentication error, not one per ID
    found: list[Node | None] = []
    # One after the other: they share the request's database connection anyway.
    for global_id in global_ids:
        try:
            found.append(await resolve_node(info, global_id))
        except NotFound:
            found.append(None)
    return found


@strawberry.type
class NodeQueries:
    @strawberry.field(
        description=(
            "Any object by its global ID, if the caller may see it (else NOT_FOUND). Any signed-in user."
        )
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global ID from any `id` field.")],
    ) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(
        description=(
            "Several objects by global ID, in the order asked; null for each one missing or not "
            f"visible to the caller. At most {MAX_NODES} IDs. Any signed-in user."
        )
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="Global IDs from any `id` fields.")
        ],
    ) -> list[Node | None]:
        return await resolve_nodes(info, ids)
