"""The stored results of a document: content.json, content.md, content.txt, translated PDFs.

Names and formats are the shared interface of the documents flow: the API
serves `Document.formats` (ExportFormat names) from these keys.
"""

from __future__ import annotations

import asyncio
import json
import uuid

from docat.storage import Storage, document_key
from jobs.pdf.content import ExtractedContent
from jobs.pdf.markdown import to_markdown, to_text

ORIGINAL = "original.pdf"
CONTENT_FILES: tuple[tuple[str, str, str], ...] = (
    # (ExportFormat, storage name, content type)
    ("JSON", "content.json", "application/json"),
    ("MARKDOWN", "content.md", "text/markdown; charset=utf-8"),
    ("TEXT", "content.txt", "text/plain; charset=utf-8"),
)
TRANSLATED_PDF = ("TRANSLATED_PDF", "translated.pdf")
DUAL_PDF = ("DUAL_PDF", "dual.pdf")
PDF_TYPE = "application/pdf"
# Up to this many blocks, the content files are rendered on the event loop (well under 2 ms).
INLINE_RENDER_BLOCKS = 200


def render_content_files(content: ExtractedContent) -> list[bytes]:
    """JSON (ExtractedContent.to_dict, as GraphQL returns it), Markdown and text, as bytes."""
    return [
        json.dumps(content.to_dict(), ensure_ascii=False, separators=(",", ":")).encode(),
        to_markdown(content).encode(),
        to_text(content).encode(),
    ]


async def write_content_files(
    storage: Storage, document_id: uuid.UUID, content: ExtractedContent
) -> list[str]:
    """Store the three content files; returns their ExportFormat names."""
    # Serializing a 1,000-page result takes a moment of pure Python: off the event loop,
    # so heartbeats and other jobs' progress keep flowing. A short one takes less time
    # than the hand-off to a thread.
    if len(content.blocks) <= INLINE_RENDER_BLOCKS:
        payloads = render_content_files(content)
    else:
        payloads = await asyncio.to_thread(render_content_files, content)
    # Three independent objects: stored side by side (S3 requests, local writes in threads).
    await asyncio.gather(
        *(
            storage.put_bytes(document_key(str(document_id), name), data, content_type)
            for (_, name, content_type), data in zip(CONTENT_FILES, payloads, strict=True)
        )
    )
    return [export_format for export_format, _, _ in CONTENT_FILES]


async def write_pdf(storage: Storage, document_id: uuid.UUID, name: str, data: bytes) -> None:
    await storage.put_bytes(document_key(str(document_id), name), data, PDF_TYPE)
