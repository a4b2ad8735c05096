"""Document.chunks and JobProgress.chunkCount: the stored content cut for retrieval.

Chunks are computed from the stored content.json (jobs/pdf/chunks.py; nothing
is extracted again) off the event loop, and kept per (document, run,
maxTokens, overlap) in a small in-process LRU cache on the app's resources:
asking again for the same document and parameters costs no storage read and
no tokenizing, and a reprocessed document (a new run) is never served old
chunks.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict

import strawberry

from docat.errors import BadUserInput
from graphql_api.context import Info
from graphql_api.documents.fields import resolve_content
from graphql_api.documents.types import BlockType
from jobs.pdf.chunks import Chunk as ChunkData
from jobs.pdf.chunks import ChunkingError, check_parameters, chunk_content
from jobs.pdf.tokens import TOKENIZER
from models import Document, JobStatus

DEFAULT_MAX_TOKENS = 512
# Chunk lists of whole documents: a bounded number of them.
CACHE_ENTRIES = 64
ChunkKey = tuple[uuid.UUID, int, int, int]


@strawberry.type(
    name="Chunk",
    description=(
        f"A piece of a document for retrieval: never spans two sections; token counts are {TOKENIZER}'s."
    ),
)
class ChunkType:
    index: int = strawberry.field(
        description="Position in the document's chunk list, 0-based, in reading order."
    )
    text: str = strawberry.field(
        description=(
            "The chunk's text: its blocks separated by a blank line, tables as Markdown. With "
            "`overlap`, it may start with up to that many tokens from the end of the previous chunk "
            "of the same section."
        )
    )
    headings: list[str] = strawberry.field(
        description="Section titles above this chunk, outermost first (title, heading, subheading)."
    )
    page: int = strawberry.field(description="1-based: the first page the text comes from")
    pages: list[int] = strawberry.field(
        description="Every page the text comes from, 1-based, ascending (the overlap's pages not counted)."
    )
    token_count: int = strawberry.field(
        description=(
            f"Tokens in `text`, at most maxTokens: exact for {TOKENIZER}, an estimate for other tokenizers."
        )
    )
    block_types: list[BlockType] = strawberry.field(
        description="The kinds of block the chunk is made of, each once, in order of first appearance."
    )

    @classmethod
    def from_data(cls, chunk: ChunkData) -> ChunkType:
        return cls(
            index=chunk.index,
            text=chunk.text,
            headings=chunk.headings,
            page=chunk.page,
            pages=chunk.pages,
            token_count=chunk.token_count,
            block_types=[BlockType(t) for t in chunk.block_types],
        )


class ChunkCache:
    """Least recently used first out; one computation per key even when asked concurrently."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self._entries = entries
        self._results: OrderedDict[ChunkKey, asyncio.Future[list[ChunkData] | None]] = OrderedDict()

    async def chunks(
        self, info: Info, doc: Document, max_tokens: int, overlap: int
    ) -> list[ChunkData] | None:
        key = (doc.id, doc.run, max_tokens, overlap)
        found = self._results.get(key)
        if found is not None:
            self._results.move_to_end(key)
            return await asyncio.shield(found)
        future: asyncio.Future[list[ChunkData] | None] = asyncio.get_running_loop().create_future()
        self._results[key] = future
        while len(self._results) > self._entries:
            self._results.popitem(last=False)
        try:
            result = await _compute(info, doc, max_tokens, overlap)
        except asyncio.CancelledError:
            self._results.pop(key, None)
            future.cancel()
            raise
        except Exception as exc:
            self._results.pop(key, None)
            future.set_exception(exc)
            future.exception()  # marked retrieved: nobody else may be waiting
            raise
        if result is None:
            self._results.pop(key, None)  # no content yet: nothing to remember
        future.set_result(result)
        return result


async def _compute(info: Info, doc: Document, max_tokens: int, overlap: int) -> list[ChunkData] | None:
    content = await resolve_content(info, doc)
    if content is None:
        return None
    return await asyncio.to_thread(chunk_content, content.data, max_tokens=max_tokens, overlap=overlap)


def _cache(info: Info) -> ChunkCache:
    return info.context.resources.shared(ChunkCache, ChunkCache)


async def resolve_chunks(info: Info, doc: Document, max_tokens: int, overlap: int) -> list[ChunkType]:
    try:
        check_parameters(max_tokens, overlap)
    except ChunkingError as exc:
        raise BadUserInput(str(exc)) from exc
    chunks = await _cache(info).chunks(info, doc, max_tokens, overlap)
    return [ChunkType.from_data(c) for c in chunks or []]


async def resolve_chunk_count(info: Info, document_id: uuid.UUID, status: JobStatus) -> int | None:
    """COMPLETED only: how many chunks the default parameters give."""
    if status != JobStatus.COMPLETED:
        return None
    doc = await Document.get_or_none(id=document_id)
    if doc is None or doc.status != JobStatus.COMPLETED:
        return None
    chunks = await _cache(info).chunks(info, doc, DEFAULT_MAX_TOKENS, 0)
    return len(chunks) if chunks is not None else None
