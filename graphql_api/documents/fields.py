"""Resolvers of Document fields that load more than the row (owner, results, downloads)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql_api.context import Info
from graphql_api.loaders import user_loader
from models import Document

if TYPE_CHECKING:
    from graphql_api.documents.types import ExtractedContent
    from graphql_api.users.types import UserType


async def resolve_owner(info: Info, doc: Document) -> UserType:
    from graphql_api.users.types import UserType

    user = await info.context.loader("users", user_loader).load(doc.owner_id)  # type: ignore[attr-defined]
    return UserType.from_model(user)


async def resolve_content(info: Info, doc: Document) -> ExtractedContent | None:
    return None


async def resolve_markdown(info: Info, doc: Document, translated: bool) -> str | None:
    return None


async def resolve_text(info: Info, doc: Document) -> str | None:
    return None


async def resolve_download_url(info: Info, doc: Document, fmt: str) -> str | None:
    return None
