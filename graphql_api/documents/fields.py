"""Resolvers of Document fields that load more than the row (owner, results, downloads).

Results are read from storage at most once per request per document run: the
loaders below live on the request's Context and are keyed by (id, run, file),
so `content`, `markdown(translated: true)` and `content { blocks }` asked for
together cost one read of content.json. A format not in `Document.formats`
(not produced yet, or not by this run) answers null without touching storage.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from docat.storage import Storage, StorageNotFound
from graphql_api.context import Info
from graphql_api.documents.formats import FORMAT_FILES, download_filename, format_key
from graphql_api.files import DOWNLOAD_TTL_SECONDS, signed_download_url
from graphql_api.loaders import user_loader
from jobs.pdf.content import ExtractedContent as ExtractedContentData
from jobs.pdf.markdown import to_markdown
from models import Document

# The GraphQL types refer to each other (Document <-> User <-> logs): names from those modules
# are imported for type checking only, and resolvers import them when they run (an import
# cycle at load time otherwise; strawberry.lazy resolves the annotations).
if TYPE_CHECKING:
    from graphql_api.documents.types import ExtractedContent
    from graphql_api.users.types import UserType

# (document id, run, format)
FileKey = tuple[uuid.UUID, int, str]


def _bytes_loader(storage: Storage) -> DataLoader[FileKey, bytes | None]:
    async def load_one(key: FileKey) -> bytes | None:
        doc_id, _run, fmt = key
        try:
            return await storage.get_bytes(format_key(doc_id, fmt))
        except StorageNotFound:
            return None  # removed meanwhile (reprocessed or deleted)

    async def load(keys: Sequence[FileKey]) -> list[bytes | None]:
        return list(await asyncio.gather(*(load_one(k) for k in keys)))

    return DataLoader(load_fn=load)


def _parse_content(data: bytes) -> ExtractedContentData:
    return ExtractedContentData.from_dict(json.loads(data))


def _content_loader(
    files: DataLoader[FileKey, bytes | None],
) -> DataLoader[FileKey, ExtractedContentData | None]:
    async def load_one(key: FileKey) -> ExtractedContentData | None:
        data = await files.load(key)
        # A thousand-page result is megabytes of JSON: parse it off the event loop.
        return await asyncio.to_thread(_parse_content, data) if data is not None else None

    async def load(keys: Sequence[FileKey]) -> list[ExtractedContentData | None]:
        return list(await asyncio.gather(*(load_one(k) for k in keys)))

    return DataLoader(load_fn=load)


async def _file(info: Info, doc: Document, fmt: str) -> bytes | None:
    if fmt not in (doc.formats or []):
        return None
    loader = info.context.loader("result-files", lambda: _bytes_loader(info.context.resources.storage))
    return await loader.load((doc.id, doc.run, fmt))


async def _content(info: Info, doc: Document) -> ExtractedContentData | None:
    if "JSON" not in (doc.formats or []):
        return None
    files = info.context.loader("result-files", lambda: _bytes_loader(info.context.resources.storage))
    loader = info.context.loader("result-content", lambda: _content_loader(files))
    return await loader.load((doc.id, doc.run, "JSON"))


async def resolve_owner(info: Info, doc: Document) -> UserType:
    from graphql_api.users.types import UserType

    user = await info.context.loader("users", user_loader).load(doc.owner_id)
    return UserType.from_model(user)


async def resolve_content(info: Info, doc: Document) -> ExtractedContent | None:
    from graphql_api.documents.types import ExtractedContent

    content = await _content(info, doc)
    return ExtractedContent.from_data(content) if content is not None else None


def _has_translation(content: ExtractedContentData) -> bool:
    return any(b.translated_text or (b.table is not None and b.table.translated_rows) for b in content.blocks)


async def resolve_markdown(info: Info, doc: Document, translated: bool) -> str | None:
    if not translated:
        data = await _file(info, doc, "MARKDOWN")
        return data.decode("utf-8") if data is not None else None
    if not (doc.options or {}).get("translateTo"):
        return None
    content = await _content(info, doc)
    if content is None or not _has_translation(content):
        return None
    return await asyncio.to_thread(to_markdown, content, True)


async def resolve_text(info: Info, doc: Document) -> str | None:
    data = await _file(info, doc, "TEXT")
    return data.decode("utf-8") if data is not None else None


def _http_base_url(info: Info) -> str:
    # A subscription's request is the WebSocket: its links still point at HTTP.
    base = str(info.context.request.base_url)
    if base.startswith("ws"):
        base = "http" + base[2:]
    return base


async def resolve_download_url(info: Info, doc: Document, fmt: str) -> str | None:
    if fmt not in (doc.formats or []) or fmt not in FORMAT_FILES:
        return None
    resources = info.context.resources
    presigned = await resources.storage.presigned_url(
        format_key(doc.id, fmt),
        DOWNLOAD_TTL_SECONDS,
        download_filename(doc.filename, fmt),
        FORMAT_FILES[fmt].media_type,
    )
    if presigned is not None:
        return presigned
    return signed_download_url(_http_base_url(info), resources.settings, doc.id, fmt)
