"""GraphQL types of documents, their options, content and errors."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from docat.errors import BadUserInput
from graphql_api.context import Info
from graphql_api.enums import described_enum
from graphql_api.relay import (
    AFTER_ARGUMENT,
    BEFORE_ARGUMENT,
    LAST_ARGUMENT,
    Connection,
    Node,
    first_argument,
    to_global_id,
)
from graphql_api.scalars import JSON
from jobs.pdf.chunks import MAX_MAX_TOKENS, MIN_MAX_TOKENS
from jobs.pdf.content import ContentBlock as ContentBlockData
from jobs.pdf.content import ExtractedContent as ExtractedContentData
from jobs.pdf.content import TableData as TableDataModel
from jobs.pdf.options import PageRangeError, parse_page_ranges
from models import Document
from models import JobStage as JobStageModel
from models import JobStatus as JobStatusModel

# The GraphQL types refer to each other (Document <-> User <-> logs): names from those modules
# are imported for type checking only, and resolvers import them when they run (an import
# cycle at load time otherwise; strawberry.lazy resolves the annotations).
if TYPE_CHECKING:
    from graphql_api.documents.chunks import ChunkType
    from graphql_api.logs.types import ProcessingLogType
    from graphql_api.users.types import UserType

# strawberry.enum registers the model's own enums in place, so resolvers and
# models share one type (and mypy sees a plain Enum class).
described_enum(
    JobStatusModel,
    name="JobStatus",
    description="Where a document's job is: waiting, running, or ended (the last three are terminal).",
    values={
        "QUEUED": "Waiting for a worker.",
        "PROCESSING": "A worker is running the job.",
        "COMPLETED": "Done; the content and exports are ready. Terminal.",
        "FAILED": "Stopped by an error; `Document.error` says which. Terminal.",
        "CANCELLED": "Stopped by `cancelDocument`. Terminal.",
    },
)
described_enum(
    JobStageModel,
    name="JobStage",
    description="The pipeline stage a job is in, in the order a job passes through them.",
    values={
        "QUEUED": "Not started yet.",
        "ANALYZING": "Opening the PDF: page count, text layer, whether pages need OCR.",
        "EXTRACTING": "Reading the text layer page by page into blocks and tables.",
        "OCR": "Recognizing the text of pages without a text layer (Tesseract or a vision LLM).",
        "TRANSLATING": "Translating the blocks with the LLM provider (only with `translateTo`).",
        "RENDERING": "Writing the translated and bilingual PDFs (only with `translateTo`).",
        "FINALIZING": "Saving the results and settling credits.",
        "DONE": "Finished, whatever the outcome (see the status).",
        "RECOVERING": (
            "Queued again after its worker died; the next attempt (`JobProgress.attempt`) "
            "resumes after the pages already saved."
        ),
    },
)
JobStatusEnum = JobStatusModel
JobStageEnum = JobStageModel


class Engine(Enum):
    AUTO = "AUTO"
    TEXT = "TEXT"
    OCR = "OCR"
    LLM_OCR = "LLM_OCR"


described_enum(
    Engine,
    name="Engine",
    description=(
        "AUTO: text layer where there is one, OCR elsewhere. TEXT never OCRs. "
        "OCR: Tesseract on every page. LLM_OCR: the configured vision model."
    ),
    values={
        "AUTO": "The text layer where there is one, Tesseract OCR elsewhere.",
        "TEXT": "The text layer only; pages without one stay empty.",
        "OCR": "Tesseract OCR on every page, ignoring any text layer.",
        "LLM_OCR": "The configured vision LLM reads every page (needs a provider key; costs more).",
    },
)


class PdfType(Enum):
    STRUCTURED = "STRUCTURED"
    SCANNED = "SCANNED"
    MIXED = "MIXED"


described_enum(
    PdfType,
    name="PdfType",
    description="What kind of PDF a document is, found while ANALYZING.",
    values={
        "STRUCTURED": "Every page has a text layer.",
        "SCANNED": "No page has a text layer (images of pages).",
        "MIXED": "Some pages have a text layer, some do not.",
    },
)


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


described_enum(
    BlockType,
    name="BlockType",
    description="The kind of a content block.",
    values={
        "TITLE": "The document's title.",
        "HEADING": "A section heading; `level` says how deep.",
        "PARAGRAPH": "Running text.",
        "LIST_ITEM": "One item of a bulleted or numbered list.",
        "TABLE": "A table; its cells are in `table`.",
        "IMAGE": "A picture: its place (`bbox`) only; `text` is empty.",
        "CAPTION": "The caption of a figure or table.",
        "FORMULA": "A mathematical formula, as text.",
        "HEADER": "A running page header.",
        "FOOTER": "A running page footer or page number.",
    },
)


class ExportFormat(Enum):
    ORIGINAL = "ORIGINAL"
    JSON = "JSON"
    MARKDOWN = "MARKDOWN"
    TEXT = "TEXT"
    TRANSLATED_PDF = "TRANSLATED_PDF"
    DUAL_PDF = "DUAL_PDF"


described_enum(
    ExportFormat,
    name="ExportFormat",
    description="A file `Document.downloadUrl` can hand out.",
    values={
        "ORIGINAL": "The uploaded PDF as it was.",
        "JSON": "The extracted content as JSON (`ExtractedContent.json`).",
        "MARKDOWN": "The extracted content as Markdown.",
        "TEXT": "The extracted content as plain text.",
        "TRANSLATED_PDF": "The PDF with its text replaced by the translation (with `translateTo`).",
        "DUAL_PDF": "Original and translated pages side by side (with `dualLanguage`).",
    },
)


@strawberry.input(description="How to process a document; every field may be left out.")
class ProcessingOptionsInput:
    engine: Engine | None = strawberry.field(
        default=Engine.AUTO, description="How to read the pages' text; AUTO when left out."
    )
    translate_to: str | None = strawberry.field(
        default=None, description='BCP 47 code ("zh-Hans", "de", "ja"...); null = no translation'
    )
    dual_language: bool | None = strawberry.field(
        default=False, description="With `translateTo`: also render a bilingual PDF (DUAL_PDF)."
    )
    pages: str | None = strawberry.field(
        default=None, description='Page ranges, 1-based: "1-3,7"; null = all'
    )
    ocr_language: str | None = strawberry.field(
        default="eng", description='Tesseract language(s), e.g. "eng+deu"'
    )
    password: str | None = strawberry.field(
        default=None, description="For encrypted PDFs; used for the job, never stored"
    )


@strawberry.type(description="The options a document was processed with (the password is never kept).")
class ProcessingOptions:
    engine: Engine = strawberry.field(
        description="The engine asked for (see `Document.engine` for the one used)."
    )
    translate_to: str | None = strawberry.field(description="BCP 47 code of the translation; null: none.")
    dual_language: bool = strawberry.field(description="Whether a bilingual PDF is rendered too.")
    pages: str | None = strawberry.field(description='The page ranges processed, e.g. "1-3,7"; null: all.')
    ocr_language: str = strawberry.field(description='Tesseract language(s) for OCR, e.g. "eng+deu".')

    @classmethod
    def from_stored(cls, data: dict[str, object]) -> ProcessingOptions:
        return cls(
            engine=Engine(str(data.get("engine") or "AUTO")),
            translate_to=data.get("translateTo"),  # type: ignore[arg-type]
            dual_language=bool(data.get("dualLanguage", False)),
            pages=data.get("pages"),  # type: ignore[arg-type]
            ocr_language=str(data.get("ocrLanguage") or "eng"),
        )


@strawberry.type(description="Why a job failed.")
class JobError:
    code: str = strawberry.field(
        description="One of the contract's error codes, e.g. INVALID_PDF, ENCRYPTED_PDF, PROVIDER_ERROR."
    )
    message: str = strawberry.field(description="A human-readable explanation.")


@strawberry.type(description="The cells of a TABLE block.")
class TableData:
    headers: list[str] = strawberry.field(description="The header row's cells (empty when none was found).")
    rows: list[list[str]] = strawberry.field(
        description="The body rows, each a list of cells, top to bottom."
    )
    translated_headers: list[str] | None = strawberry.field(
        description="`headers` translated; null without a translation."
    )
    translated_rows: list[list[str]] | None = strawberry.field(
        description="`rows` translated; null without a translation."
    )

    @classmethod
    def from_data(cls, table: TableDataModel) -> TableData:
        return cls(
            headers=table.headers,
            rows=table.rows,
            translated_headers=table.translated_headers,
            translated_rows=table.translated_rows,
        )


@strawberry.type(description="One block of extracted content: a heading, a paragraph, a table...")
class ContentBlock:
    page: int = strawberry.field(description="The page it is on, 1-based.")
    type: BlockType = strawberry.field(description="What kind of block this is.")
    level: int | None = strawberry.field(
        description="Heading level 1..6 (1 the highest) for HEADING blocks; else null."
    )
    text: str = strawberry.field(description="The block's text (a table's cells joined; see `table`).")
    translated_text: str | None = strawberry.field(
        description="`text` translated; null without a translation."
    )
    bbox: list[float] = strawberry.field(
        description="Where it is on the page: x0, y0, x1, y1 in PDF points (1/72 inch), origin top left."
    )
    table: TableData | None = strawberry.field(description="The cells, for TABLE blocks; else null.")

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


@strawberry.type(description="Facts about an extraction.")
class ContentMetadata:
    word_count: int = strawberry.field(description="Words in the extracted text.")
    extraction_ms: int = strawberry.field(description="Time spent extracting, in milliseconds.")
    confidence: float = strawberry.field(
        description="0..1: 1 for a text layer, the mean OCR word confidence for OCR'd pages."
    )
    source_language: str | None = strawberry.field(
        description="The document's language as detected (BCP 47), when known."
    )
    target_language: str | None = strawberry.field(
        description="The translation's language (BCP 47); null without a translation."
    )
    ocr_pages: list[int] = strawberry.field(description="The pages (1-based) whose text came from OCR.")


@strawberry.type(
    description="What was extracted from a document (also what `docat process --format json` prints)."
)
class ExtractedContent:
    title: str | None = strawberry.field(description="The document's title, when one was found.")
    page_count: int = strawberry.field(description="Pages in the PDF.")
    metadata: ContentMetadata = strawberry.field(description="Facts about the extraction.")
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
    def blocks(
        self,
        types: Annotated[
            list[BlockType] | None, strawberry.argument(description="Only blocks of these types; null: all.")
        ] = None,
        pages: Annotated[
            str | None,
            strawberry.argument(description='Only these page ranges, 1-based: "3-5,8"; null: all.'),
        ] = None,
    ) -> list[ContentBlock]:
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


@strawberry.type(
    name="Document",
    description="An uploaded PDF, its processing job and its results. Visible to its owner and to ADMIN.",
)
class DocumentType(Node):
    filename: str = strawberry.field(description="The uploaded file's name.")
    size_bytes: int = strawberry.field(description="Size of the uploaded file, in bytes.")
    sha256: str = strawberry.field(
        description="SHA-256 of the uploaded file, hex (identical uploads share results)."
    )
    page_count: int | None = strawberry.field(
        description="Pages in the PDF; null until ANALYZING has read it."
    )
    pdf_type: PdfType | None = strawberry.field(description="What kind of PDF it is; null until analyzed.")
    status: JobStatusEnum = strawberry.field(description="Where the job is: queued, running, or ended.")
    stage: JobStageEnum = strawberry.field(description="The pipeline stage the job is in (DONE once ended).")
    progress: float = strawberry.field(description="0..1, never decreases within one run")
    options: ProcessingOptions = strawberry.field(
        description="The options it is (or was last) processed with."
    )
    engine: Engine | None = strawberry.field(description="Engine actually used (AUTO resolved per document)")
    cached: bool = strawberry.field(description="Result reused from an identical earlier upload")
    credits_used: int = strawberry.field(description="Credits charged for this document's processing.")
    processing_ms: int | None = strawberry.field(
        description="How long the last run took, in milliseconds; null until it ends."
    )
    error: JobError | None = strawberry.field(description="Why the job failed; null unless FAILED.")
    created_at: datetime = strawberry.field(description="When it was uploaded.")
    started_at: datetime | None = strawberry.field(description="When a worker started the current run.")
    finished_at: datetime | None = strawberry.field(description="When the current run ended.")
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

    @strawberry.field(description="The account that uploaded it.")
    async def owner(self, info: Info) -> Annotated[UserType, strawberry.lazy("graphql_api.users.types")]:
        from graphql_api.documents.fields import resolve_owner

        return await resolve_owner(info, self.model)

    @strawberry.field(description="The extracted content; null until COMPLETED.")
    async def content(self, info: Info) -> ExtractedContent | None:
        from graphql_api.documents.fields import resolve_content

        return await resolve_content(info, self.model)

    @strawberry.field(description="The content as Markdown; null until COMPLETED.")
    async def markdown(
        self,
        info: Info,
        translated: Annotated[
            bool | None,
            strawberry.argument(
                description="The translation's Markdown instead (null without a translation)."
            ),
        ] = False,
    ) -> str | None:
        from graphql_api.documents.fields import resolve_markdown

        return await resolve_markdown(info, self.model, bool(translated))

    @strawberry.field(description="The content as plain text; null until COMPLETED.")
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
        self,
        info: Info,
        max_tokens: Annotated[
            int | None,
            strawberry.argument(
                description=(
                    f"The most tokens a chunk may have (cl100k_base), {MIN_MAX_TOKENS}..{MAX_MAX_TOKENS} "
                    "(null: 512)."
                )
            ),
        ] = 512,
        overlap: Annotated[
            int | None,
            strawberry.argument(
                description=(
                    "At most this many tokens from the end of a chunk start the next chunk of the same "
                    "section, 0..half of maxTokens (null: 0, no overlap)."
                )
            ),
        ] = 0,
    ) -> list[Annotated[ChunkType, strawberry.lazy("graphql_api.documents.chunks")]]:
        from graphql_api.documents.chunks import DEFAULT_MAX_TOKENS, resolve_chunks

        tokens = DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens
        return await resolve_chunks(info, self.model, tokens, overlap or 0)

    @strawberry.field(description="Null until that format exists.")
    async def download_url(
        self,
        info: Info,
        format: Annotated[
            ExportFormat,
            strawberry.argument(description="Which file; the link is signed and expires (or is an S3 link)."),
        ],
    ) -> str | None:
        from graphql_api.documents.fields import resolve_download_url

        return await resolve_download_url(info, self.model, format.value)

    @strawberry.field(description="This document's processing log, newest first.")
    async def logs(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(50)] = 50,
        after: Annotated[str | None, AFTER_ARGUMENT] = None,
        last: Annotated[int | None, LAST_ARGUMENT] = None,
        before: Annotated[str | None, BEFORE_ARGUMENT] = None,
    ) -> Connection[Annotated[ProcessingLogType, strawberry.lazy("graphql_api.logs.types")]]:
        from graphql_api.logs.queries import logs_of_document

        return await logs_of_document(info, self.model, first=first, after=after, last=last, before=before)
