"""Export formats: where each one is stored, how it downloads, what it is called.

One table for the mutations (which files a run produced), the result fields,
the cache (which files to copy) and GET /files (media type, download name).
Storage names are fixed internal names; the user's file name only ever shapes
the download name (`download_filename`), never a key.
"""

from __future__ import annotations

from dataclasses import dataclass

from docat.storage import document_key

ORIGINAL = "ORIGINAL"


@dataclass(frozen=True, slots=True)
class FormatFile:
    name: str  # under documents/<id>/
    media_type: str
    suffix: str  # of the download name


FORMAT_FILES: dict[str, FormatFile] = {
    ORIGINAL: FormatFile("original.pdf", "application/pdf", ".pdf"),
    "JSON": FormatFile("content.json", "application/json", ".json"),
    "MARKDOWN": FormatFile("content.md", "text/markdown; charset=utf-8", ".md"),
    "TEXT": FormatFile("content.txt", "text/plain; charset=utf-8", ".txt"),
    "TRANSLATED_PDF": FormatFile("translated.pdf", "application/pdf", ".translated.pdf"),
    "DUAL_PDF": FormatFile("dual.pdf", "application/pdf", ".dual.pdf"),
}
# What a run produces; reprocessing removes these and keeps the original.
RESULT_FORMATS: tuple[str, ...] = tuple(f for f in FORMAT_FILES if f != ORIGINAL)


def format_key(document_id: object, fmt: str) -> str:
    return document_key(str(document_id), FORMAT_FILES[fmt].name)


def download_filename(filename: str, fmt: str) -> str:
    """'Report 2024.pdf' + MARKDOWN -> 'Report 2024.md'; ORIGINAL keeps the name (with .pdf)."""
    stem = filename[:-4] if filename.lower().endswith(".pdf") else filename
    return (stem or "document") + FORMAT_FILES[fmt].suffix
