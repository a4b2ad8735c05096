"""The result of extraction: plain dataclasses that cross process boundaries.

They pickle (the process pool sends them back), serialize to the contract's
camelCase JSON (`to_dict`, the exact shape `ExtractedContent` has in GraphQL
and in `docat process --format json`) and load back (`from_dict`) from the
stored JSON result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

BlockType = Literal[
    "TITLE",
    "HEADING",
    "PARAGRAPH",
    "LIST_ITEM",
    "TABLE",
    "IMAGE",
    "CAPTION",
    "FORMULA",
    "HEADER",
    "FOOTER",
]
BLOCK_TYPES: tuple[str, ...] = (
    "TITLE",
    "HEADING",
    "PARAGRAPH",
    "LIST_ITEM",
    "TABLE",
    "IMAGE",
    "CAPTION",
    "FORMULA",
    "HEADER",
    "FOOTER",
)
PdfType = Literal["STRUCTURED", "SCANNED", "MIXED"]
Bbox = tuple[float, float, float, float]


@dataclass(slots=True)
class TableData:
    headers: list[str]
    rows: list[list[str]]
    translated_headers: list[str] | None = None
    translated_rows: list[list[str]] | None = None
    # Internal, not in the JSON: the headers are the first row for want of any
    # sign (a rule, bold type) that it is one.
    header_guessed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "headers": self.headers,
            "rows": self.rows,
            "translatedHeaders": self.translated_headers,
            "translatedRows": self.translated_rows,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableData:
        return cls(
            headers=list(data.get("headers") or []),
            rows=[list(r) for r in data.get("rows") or []],
            translated_headers=data.get("translatedHeaders"),
            translated_rows=data.get("translatedRows"),
        )


@dataclass(slots=True)
class ContentBlock:
    page: int  # 1-based
    type: str  # one of BLOCK_TYPES
    text: str
    bbox: Bbox  # x0, y0, x1, y1 in PDF points, top-left origin (PyMuPDF's)
    level: int | None = None  # heading level 1..6
    translated_text: str | None = None
    table: TableData | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "type": self.type,
            "level": self.level,
            "text": self.text,
            "translatedText": self.translated_text,
            "bbox": [round(v, 2) for v in self.bbox],
            "table": self.table.to_dict() if self.table else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContentBlock:
        bbox = data.get("bbox") or [0.0, 0.0, 0.0, 0.0]
        return cls(
            page=int(data["page"]),
            type=str(data["type"]),
            text=str(data.get("text") or ""),
            bbox=(float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3])),
            level=data.get("level"),
            translated_text=data.get("translatedText"),
            table=TableData.from_dict(data["table"]) if data.get("table") else None,
        )


@dataclass(slots=True)
class PageContent:
    """One page's blocks, as soon as that page is extracted."""

    page: int  # 1-based
    blocks: list[ContentBlock]
    ocr: bool = False  # the text came from OCR (local or LLM)
    confidence: float = 1.0  # 0..1; 1.0 for a text layer, OCR's mean word confidence otherwise
    word_count: int = 0
    # Engine LLM_OCR: the blocks (if any) are only the text layer; the vision
    # model's result for this page is still to come (added by the caller).
    needs_llm_ocr: bool = False
    # What MuPDF reported while reading the page (a broken font, a bad ICC profile),
    # or why the page was skipped; internal, not in the contract's JSON.
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ContentMetadata:
    word_count: int = 0
    extraction_ms: int = 0
    confidence: float = 1.0
    source_language: str | None = None
    target_language: str | None = None
    ocr_pages: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "wordCount": self.word_count,
            "extractionMs": self.extraction_ms,
            "confidence": round(self.confidence, 4),
            "sourceLanguage": self.source_language,
            "targetLanguage": self.target_language,
            "ocrPages": self.ocr_pages,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContentMetadata:
        return cls(
            word_count=int(data.get("wordCount") or 0),
            extraction_ms=int(data.get("extractionMs") or 0),
            confidence=float(data["confidence"]) if data.get("confidence") is not None else 1.0,
            source_language=data.get("sourceLanguage"),
            target_language=data.get("targetLanguage"),
            ocr_pages=list(data.get("ocrPages") or []),
        )


@dataclass(slots=True)
class ExtractedContent:
    title: str | None
    page_count: int
    blocks: list[ContentBlock]
    metadata: ContentMetadata
    # Pages still waiting for LLM OCR; internal, not part of the contract's JSON.
    llm_ocr_pages: list[int] = field(default_factory=list)
    # "page N: message" for what MuPDF reported or skipped; internal as well.
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "pageCount": self.page_count,
            "blocks": [b.to_dict() for b in self.blocks],
            "metadata": self.metadata.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExtractedContent:
        return cls(
            title=data.get("title"),
            page_count=int(data.get("pageCount") or 0),
            blocks=[ContentBlock.from_dict(b) for b in data.get("blocks") or []],
            metadata=ContentMetadata.from_dict(data.get("metadata") or {}),
        )
