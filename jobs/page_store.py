"""The pages of one run: saved as soon as they are done, read back to build the result.

    store = PageStore(resources, tracker.publisher, document_id, run, page_count)
    await store.resume(llm=False)          # pages an earlier try of this run already saved
    await store.save(pages)                # DocumentPage rows + a PageResult event per page
    content = await store.load_content(title, extraction_ms)

Only small per-page figures (OCR or not, confidence, words) stay in memory
while a document is extracted; the blocks live in DocumentPage rows until the
result is assembled once at the end. A page's row is its final state (for
LLM_OCR: the vision model's blocks), so the `documentPages` subscription can
replay rows without ever showing a page twice.

A small document (up to `KEEP_BLOCKS_PAGES` pages) also keeps the blocks it
saved, exactly as stored, and assembles its result from them: reading back a
few pages it has just written was a query and a JSON parse on every short
job's way to COMPLETED, for a few kilobytes of memory.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

from docat.resources import Resources
from jobs.llm.ocr import LLM_OCR_CONFIDENCE
from jobs.outages import OutageWindow, retry_connection
from jobs.pdf.content import ContentBlock, ExtractedContent, PageContent
from jobs.pdf.extract import count_words
from jobs.pdf.ocr import estimate_confidence
from jobs.pdf.pipeline import assemble
from jobs.progress import ProgressPublisher
from models import DocumentPage

_NOT_COUNTED = ("HEADER", "FOOTER")
# Rows read per query when the result is assembled.
_READ_BATCH = 200
# Up to this many pages, the saved blocks are kept in memory as well (see the docstring).
KEEP_BLOCKS_PAGES = 64


@dataclass(frozen=True, slots=True)
class PageRecord:
    page: int
    engine: str  # text / ocr / llm_ocr: how this page was read
    confidence: float
    word_count: int

    @property
    def ocr(self) -> bool:
        return self.engine != "text"


def _clean(value: str) -> str:
    # MuPDF yields NUL for glyphs it cannot map (seen in the corpus' GeoTopo file), and
    # PostgreSQL refuses NUL in text and JSON: show it as the replacement character.
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def clean_block(block: ContentBlock) -> ContentBlock:
    """`block` with every string safe to store (in place)."""
    block.text = _clean(block.text)
    if block.translated_text is not None:
        block.translated_text = _clean(block.translated_text)
    if block.table is not None:
        block.table.headers = [_clean(c) for c in block.table.headers]
        block.table.rows = [[_clean(c) for c in row] for row in block.table.rows]
    return block


def _words(blocks: Sequence[ContentBlock]) -> int:
    return sum(count_words(b) for b in blocks if b.type not in _NOT_COUNTED)


class PageStore:
    def __init__(
        self,
        resources: Resources,
        publisher: ProgressPublisher,
        document_id: uuid.UUID,
        run: int,
        page_count: int,
        *,
        window: OutageWindow | None = None,
    ) -> None:
        self.resources = resources
        # Connection errors of a page save are waited out within it (jobs/outages.py).
        self.window = window or OutageWindow()
        self.publisher = publisher
        self.document_id = document_id
        self.run = run
        self.page_count = page_count
        self.records: dict[int, PageRecord] = {}
        # page -> its blocks as saved (dicts), for a small document; None for a large one.
        self._kept: dict[int, list[dict[str, Any]]] | None = {} if page_count <= KEEP_BLOCKS_PAGES else None

    @property
    def done(self) -> set[int]:
        return set(self.records)

    def count(self, engine: str) -> int:
        return sum(1 for r in self.records.values() if r.engine == engine)

    async def resume(self, *, llm: bool) -> int:
        """Pick up the pages an earlier try of this run saved (a retry after a transient error)."""
        rows = await DocumentPage.filter(document_id=self.document_id, run=self.run).values(
            "page", "blocks", "ocr"
        )
        for row in rows:
            blocks = [ContentBlock.from_dict(b) for b in row["blocks"]]
            if not row["ocr"]:
                engine, confidence = "text", 1.0
            elif llm:
                engine, confidence = "llm_ocr", LLM_OCR_CONFIDENCE
            else:
                engine = "ocr"
                confidence = estimate_confidence(" ".join(b.text for b in blocks))
            self.records[row["page"]] = PageRecord(row["page"], engine, confidence, _words(blocks))
            if self._kept is not None:
                self._kept[row["page"]] = row["blocks"]
        return len(rows)

    async def save(
        self,
        pages: Sequence[PageContent],
        *,
        engine: str | None = None,
        after: Awaitable[object] | None = None,
    ) -> None:
        """Save pages (one INSERT) and publish each; `engine` overrides the per-page guess.
        With `after` (the stage the pages belong to being entered), the rows are written while
        it runs and the pages published once both are done; its error is raised then."""
        if not pages:
            if after is not None:
                await after
            return
        rows = []
        for page in pages:
            blocks = [clean_block(b).to_dict() for b in page.blocks]
            rows.append(
                DocumentPage(
                    document_id=self.document_id,
                    run=self.run,
                    page=page.page,
                    page_count=self.page_count,
                    blocks=blocks,
                    ocr=page.ocr,
                )
            )
            used = engine or ("ocr" if page.ocr else "text")
            self.records[page.page] = PageRecord(page.page, used, page.confidence, page.word_count)
        # ignore_conflicts: a page saved twice (a retried INSERT whose answer was lost) keeps
        # its first row.
        insert = retry_connection(
            lambda: DocumentPage.bulk_create(rows, ignore_conflicts=True),
            self.window,
            f"document {self.document_id}: saving {len(rows)} pages",
        )
        if after is None:
            await insert
        else:
            # Both finish before anything goes on (the rows are in or not, never in flight).
            for outcome in await asyncio.gather(insert, after, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    raise outcome
        if self._kept is not None:
            for row in rows:
                self._kept.setdefault(row.page, row.blocks)
        for page, row in zip(pages, rows, strict=True):
            await self.publisher.page_done(page.page, self.page_count, row.blocks)

    async def load_content(self, *, title: str | None, extraction_ms: int) -> ExtractedContent:
        """The whole result, assembled from the saved rows (or the kept blocks) in page order."""
        if self._kept is not None:
            pages = [self._page(page, blocks) for page, blocks in sorted(self._kept.items())]
        else:
            pages = await self._read_pages()
        return assemble(pages, page_count=self.page_count, metadata_title=title, extraction_ms=extraction_ms)

    async def _read_pages(self) -> list[PageContent]:
        pages: list[PageContent] = []
        last = 0
        while True:
            rows = (
                await DocumentPage.filter(document_id=self.document_id, run=self.run, page__gt=last)
                .order_by("page")
                .limit(_READ_BATCH)
                .values("page", "blocks")
            )
            if not rows:
                return pages
            pages.extend(self._page(row["page"], row["blocks"]) for row in rows)
            last = rows[-1]["page"]

    def _page(self, page: int, stored: list[dict[str, Any]]) -> PageContent:
        record = self.records.get(page)
        blocks = [ContentBlock.from_dict(b) for b in stored]
        return PageContent(
            page=page,
            blocks=blocks,
            ocr=record.ocr if record else False,
            confidence=record.confidence if record else 1.0,
            word_count=record.word_count if record else _words(blocks),
        )
