"""GraphQL types of documents, their options, content and errors."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from graphql_api.context import Info
from graphql_api.relay import Connection, Node, to_global_id
from graphql_api.scalars import JSON
from jobs.pdf.content import ContentBlock as ContentBlockData
from jobs.pdf.content import ExtractedContent as ExtractedContentData
from jobs.pdf.content import TableData as TableDataModel
from jobs.pdf.options import PageRangeError, parse_page_ranges
from models import Document
from models import JobStage as JobStageModel
from models import JobStatus as JobStatusModel

if TYPE_CHECKING:
    from graphql_api.documents.chunks import ChunkType
    from graphql_api.logs.types import ProcessingLogType
    from graphql_api.users.types import UserType

# strawberry.enum registers the model's own enums in place, so resolvers and
# models share one type (and mypy sees a plain Enum class).
strawberry.enum(JobStatusModel, name="JobStatus")
strawberry.enum(JobStageModel, name="JobStage")
JobStatusEnum = JobStatusModel
JobStageEnum = JobStageModel


@strawberry.enum(
    description=(
        "AUTO: text layer where there is one, OCR elsewhere. TEXT never OCRs. "
        "OCR: Tesseract on every page. LLM_OCR: the configured vision model."
    )
)
class Engine(Enum):
    AUTO = "AUTO"
    TEXT = "TEXT"
    OCR = "OCR"
    LLM_OCR = "LLM_OCR"


@strawberry.enum
class PdfType(Enum):
    STRUCTURED = "STRUCTURED"
    SCANNED = "SCANNED"
    MIXED = "MIXED"


@strawberry.enum
class BlockType(Enum):
    TITLE = "TITLE"
    HEADING = "HEADING"
    PARAGRAPH = "PARAGRAPH"
    LIST_ITEM = "LIST_ITEM"
    TABLE = "TABLE"
    IMAGE = "IMAGE"
    CAPTION = "CAPTION"
    FORMULA = "FORMULA"
    HEADER = "HEADER"
    FOOTER = "FOOTER"


@strawberry.enum
class ExportFormat(Enum):
    ORIGINAL = "ORIGINAL"
    JSON = "JSON"
    MARKDOWN = "MARKDOWN"
    TEXT = "TEXT"
    TRANSLATED_PDF = "TRANSLATED_PDF"
    DUAL_PDF = "DUAL_PDF"


@strawberry.input
class ProcessingOptionsInput:
    engine: Engine | None = Engine.AUTO
    translate_to: str | None = strawberry.field(
        default=None, description='BCP 47 code ("zh-Hans", "de", "ja"...); null = no translation'
    )
    dual_language: bool | None = False
    pages: str | None = strawberry.field(
        default=None, description='Page ranges, 1-based: "1-3,7"; null = all'
    )
    ocr_language: str | None = strawberry.field(
        default="eng", description='Tesseract language(s), e.g. "eng+deu"'
    )
    password: str | None = strawberry.field(
        default=None, description="For encrypted PDFs; used for the job, never stored"
    )


@strawberry.type
class ProcessingOptions:
    engine: Engine
    translate_to: str | None
    dual_language: bool
    pages: str | None
    ocr_language: str

    @classmethod
    def from_stored(cls, data: dict[str, object]) -> ProcessingOptions:
        return cls(
            engine=Engine(str(data.get("engine") or "AUTO")),
            translate_to=data.get("translateTo"),  # type: ignore[arg-type]
            dual_language=bool(data.get("dualLanguage", False)),
            pages=data.get("pages"),  # type: ignore[arg-type]
            ocr_language=str(data.get("ocrLanguage") or "eng"),
        )


@strawberry.type
class JobError:
    code: str
    message: str


@strawberry.type
class TableData:
    headers: list[str]
    rows: list[list[str]]
    translated_headers: list[str] | None
    translated_rows: list[list[str]] | None

    @classmethod
    def from_data(cls, table: TableDataModel) -> TableData:
        return cls(
            headers=table.headers,
            rows=table.rows,
            translated_headers=table.translated_headers,
            translated_rows=table.translated_rows,
        )


@strawberry.type
class ContentBlock:
    page: int = strawberry.field(description="1-based")
    type: BlockType
    level: int | None = strawberry.field(description="Heading level 1..6")
    text: str
    translated_text: str | None
    bbox: list[float] = strawberry.field(description="x0, y0, x1, y1 in PDF points")
    table: TableData | None

    @classmethod
    def from_data(cls, block: ContentBlockData) -> ContentBlock:
        return cls(
            page=block.page,
            type=BlockType(block.type),
            level=block.level,
            text=block.text,
            translated_text=block.translated_text,
            bbox=[round(v, 2) for v in block.bbox],
            table=TableData.from_data(block.table) if block.table else None,
        )


@strawberry.type
class ContentMetadata:
    word_count: int
    extraction_ms: int
    confidence: float = strawberry.field(description="0..1")
    source_language: str | None
    target_language: str | None
    ocr_pages: list[int]


@strawberry.type
class ExtractedContent:
    title: str | None
    page_count: int
    metadata: ContentMetadata
    data: strawberry.Private[ExtractedContentData]

    @classmethod
    def from_data(cls, content: ExtractedContentData) -> ExtractedContent:
        meta = content.metadata
        return cls(
            title=content.title,
            page_count=content.page_count,
            metadata=ContentMetadata(
                word_count=meta.word_count,
                extraction_ms=meta.extraction_ms,
                confidence=meta.confidence,
                source_language=meta.source_language,
                target_language=meta.target_language,
                ocr_pages=meta.ocr_pages,
            ),
            data=content,
        )

    @strawberry.field(
        description="The whole result as one JSON object, exactly as `docat process --format json` prints it."
    )
    def json(self) -> JSON:
        return cast(JSON, self.data.to_dict())

    @strawberry.field(description='Filters: block types, page ranges "3-5".')
    def blocks(self, types: list[BlockType] | None = None, pages: str | None = None) -> list[ContentBlock]:
        from docat.errors import BadUserInput

        try:
            wanted_pages = set(parse_page_ranges(pages) or ()) if pages else None
        except PageRangeError as exc:
            raise BadUserInput(str(exc)) from exc
        wanted_types = {t.value for t in types} if types else None
        return [
            ContentBlock.from_data(b)
            for b in self.data.blocks
            if (wanted_types is None or b.type in wanted_types)
            and (wanted_pages is None or b.page in wanted_pages)
        ]


@strawberry.type(name="Document")
class DocumentType(Node):
    filename: str
    size_bytes: int
    sha256: str
    page_count: int | None
    pdf_type: PdfType | None
    status: JobStatusEnum
    stage: JobStageEnum
    progress: float = strawberry.field(description="0..1, never decreases within one run")
    options: ProcessingOptions
    engine: Engine | None = strawberry.field(description="Engine actually used (AUTO resolved per document)")
    cached: bool = strawberry.field(description="Result reused from an identical earlier upload")
    credits_used: int
    processing_ms: int | None
    error: JobError | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    model: strawberry.Private[Document]

    @classmethod
    def from_model(cls, doc: Document) -> DocumentType:
        return cls(
            id=to_global_id("Document", doc.id),
            filename=doc.filename,
            size_bytes=doc.size_bytes,
            sha256=doc.sha256,
            page_count=doc.page_count,
            pdf_type=PdfType(doc.pdf_type) if doc.pdf_type else None,
            status=doc.status,
            stage=doc.stage,
            progress=doc.progress,
            options=ProcessingOptions.from_stored(doc.options or {}),
            engine=Engine(doc.engine) if doc.engine else None,
            cached=doc.cached,
            credits_used=doc.credits_used,
            processing_ms=doc.processing_ms,
            error=JobError(code=doc.error_code, message=doc.error_message or "") if doc.error_code else None,
            created_at=doc.created_at,
            started_at=doc.started_at,
            finished_at=doc.finished_at,
            model=doc,
        )

    @strawberry.field
    async def owner(self, info: Info) -> Annotated[UserType, strawberry.lazy("graphql_api.users.types")]:
        from graphql_api.documents.fields import resolve_owner

        return await resolve_owner(info, self.model)

    @strawberry.field
    async def content(self, info: Info) -> ExtractedContent | None:
        from graphql_api.documents.fields import resolve_content

        return await resolve_content(info, self.model)

    @strawberry.field
    async def markdown(self, info: Info, translated: bool | None = False) -> str | None:
        from graphql_api.documents.fields import resolve_markdown

        return await resolve_markdown(info, self.model, bool(translated))

    @strawberry.field
    async def text(self, info: Info) -> str | None:
        from graphql_api.documents.fields import resolve_text

        return await resolve_text(info, self.model)

    @strawberry.field(
        description=(
            "The content cut for retrieval along its structure (sections, lists, tables), each chunk "
            "within maxTokens (cl100k_base); `overlap` repeats up to that many tokens of the previous "
            "chunk of the same section. Empty until the content exists."
        )
    )
    async def chunks(
        self, info: Info, max_tokens: int | None = 512, overlap: int | None = 0
    ) -> list[Annotated[ChunkType, strawberry.lazy("graphql_api.documents.chunks")]]:
        from graphql_api.documents.chunks import DEFAULT_MAX_TOKENS, resolve_chunks

        tokens = DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens
        return await resolve_chunks(info, self.model, tokens, overlap or 0)

    @strawberry.field(description="Null until that format exists.")
    async def download_url(self, info: Info, format: ExportFormat) -> str | None:
        from graphql_api.documents.fields import resolve_download_url

        return await resolve_download_url(info, self.model, format.value)

    @strawberry.field
    async def logs(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> Connection[Annotated[ProcessingLogType, strawberry.lazy("graphql_api.logs.types")]]:
        from graphql_api.logs.queries import logs_of_document

        return await logs_of_document(info, self.model, first=first, after=after)
