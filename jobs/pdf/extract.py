"""One page in, its blocks out: the per-page half of the pipeline.

`extract_pages` is what the worker runs in a process pool, one chunk of
pages per call: it is a top-level function with picklable arguments, opens
the file itself (a path, never the bytes) and returns plain dataclasses. A
pool process keeps the file open for the job's next chunk (`kept_document`).

Per page it costs one `get_text("dict")` and one `get_bboxlog()` (image boxes
and the table gate); `find_tables` and OCR run only where they can matter.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from jobs.pdf.booktabs import find_rule_tables, rule_stacks
from jobs.pdf.content import Bbox, ContentBlock, PageContent
from jobs.pdf.continued_tables import table_text
from jobs.pdf.image_budget import page_cpu_budget
from jobs.pdf.kept_document import open_document
from jobs.pdf.layout import (
    DICT_FLAGS,
    Line,
    has_letter,
    is_page_number,
    join_toc_numbers,
    margin_zones,
    merge_fragments,
    page_lines,
    reading_order,
    running_key,
    toc_entry,
)
from jobs.pdf.list_markers import attach_markers
from jobs.pdf.mupdf_messages import take_messages
from jobs.pdf.ocr import check_language, estimate_confidence
from jobs.pdf.ocr_sizes import read_ocr_page
from jobs.pdf.ocr_styles import fit_ocr_page
from jobs.pdf.options import ExtractOptions
from jobs.pdf.profile import MAX_HEADING_CHARS, DocumentProfile
from jobs.pdf.stream_tables import find_stream_tables
from jobs.pdf.table_checks import MAX_PATHS, clean_tables, grid_too_fine
from jobs.pdf.tables import FoundTable, find_page_tables, split_rules, table_area, vector_paths
from jobs.pdf.text_hygiene import is_letter_spaced, respace
from jobs.pdf.title_page import title_page_lines

logger = logging.getLogger(__name__)

# Bullet glyphs and dashes that start a list item.
_BULLETS = r"[\u2022\u25cf\u25aa\u25e6\u00b7\u2023\u2219\u25cb\u25a0\u25a1\u27a2\u25ba\u2713\-\*\u2013\u2014]"
_LIST_ITEM = re.compile(
    "^(?:" + _BULLETS + r"\s+|\(?\d{1,3}[.)]\s+|\(?[a-zA-Z][.)]\s+|\(?[ivxIVX]{1,5}[.)]\s+)"
)
_CAPTION = re.compile(
    r"^(?:Figure|Fig\.|Table|Tab\.|Chart|Listing|Plate|Abbildung|Abb\.|Tabelle)\s*\d+(?:\.\d+)*\s*[.:\u2014\u2013\-](?:\s|$)",
    re.IGNORECASE,
)
_BULLET = re.compile("^" + _BULLETS + r"\s+")
_HYPHENATED = re.compile(r"[^\W\d_][-\u00ad\u2010]$")
_MIN_IMAGE_SIDE = 8.0


@dataclass(slots=True)
class _Image:
    bbox: Bbox


@dataclass(slots=True)
class _Block:
    """A block being built from consecutive lines."""

    type: str
    lines: list[Line] = field(default_factory=list)
    level: int | None = None

    def to_content(self, page: int) -> ContentBlock:
        boxes = [ln.bbox for ln in self.lines]
        bbox = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        text = join_lines([ln.text for ln in self.lines])
        if self.type == "LIST_ITEM":
            text = _BULLET.sub("", text)  # a bullet glyph is layout; "1." or "a)" is content
        return ContentBlock(page=page, type=self.type, text=text, bbox=bbox, level=self.level)


def join_lines(texts: Sequence[str]) -> str:
    """Join a block's lines with spaces, undoing end-of-line hyphenation ("exam-" + "ple")."""
    out = texts[0] if texts else ""
    for text in texts[1:]:
        if _HYPHENATED.search(out[-2:]) and text[:1].islower():  # the tail only: linear
            out = out[:-1] + text
        else:
            out = f"{out} {text}"
    return out


def count_words(block: ContentBlock) -> int:
    """Words of a block; a table counts its cells' words, not the separators of its text."""
    if block.table:
        cells = [*block.table.headers, *(c for row in block.table.rows for c in row)]
        return sum(len(c.split()) for c in cells)
    return len(block.text.split())


def _is_continuation(block: _Block, line: Line) -> bool:
    """Whether `line` continues `block` (same flow, small vertical gap, same style)."""
    prev = block.lines[-1]
    size = max(prev.size, 1.0)
    gap = line.bbox[1] - prev.bbox[3]
    if not -size * 0.6 < gap < size * 0.7:
        return False
    if abs(line.size - prev.size) > 1.0:
        return False
    # Text jumping back far to the left of the block's start is another flow.
    return not (line.bbox[2] < block.lines[0].bbox[0])


class _PageBuilder:
    def __init__(self, number: int, profile: DocumentProfile, page_height: float) -> None:
        self.number = number
        self.profile = profile
        self.page_height = page_height
        self.blocks: list[ContentBlock] = []
        self.current: _Block | None = None
        self.title_done = number != 1

    def flush(self) -> None:
        if self.current and self.current.lines:
            self.blocks.append(self.current.to_content(self.number))
        self.current = None

    def start(self, kind: str, line: Line, level: int | None = None) -> None:
        self.flush()
        self.current = _Block(kind, [line], level)

    def add_line(self, line: Line, byline: bool = False) -> None:
        cur = self.current
        if byline:
            # Under the title (see title_page): a paragraph whatever its size, one
            # per line (a name, an affiliation, a date).
            self.title_done = True
            self.start("PARAGRAPH", line)
            return
        toc = toc_entry(line)
        if toc is not None:
            # A contents entry keeps its page number but is no heading.
            self.start("LIST_ITEM", Line(toc, line.bbox, line.size, line.bold))
            return
        # Numbers and symbols alone are never a title or a heading.
        styled = has_letter(line.text)
        if styled and not self.title_done and line.style == self.profile.title_style:
            if cur and cur.type == "TITLE" and _is_continuation(cur, line):
                cur.lines.append(line)
            else:
                self.start("TITLE", line)
            return
        if cur and cur.type == "TITLE":
            self.title_done = True
        level = self.profile.heading_level(line.style) if styled else None
        if level and len(line.text) <= MAX_HEADING_CHARS and not _LIST_ITEM.match(line.text):
            if cur and cur.type == "HEADING" and cur.level == level and _is_continuation(cur, line):
                cur.lines.append(line)
            else:
                self.start("HEADING", line, level)
            return
        if _CAPTION.match(line.text):
            self.start("CAPTION", line)
            return
        if line.bullet or _LIST_ITEM.match(line.text):
            self.start("LIST_ITEM", line)
            return
        if cur and cur.type in ("PARAGRAPH", "CAPTION", "LIST_ITEM") and _is_continuation(cur, line):
            # A list item's wrapped lines are indented past its bullet.
            if cur.type != "LIST_ITEM" or line.bbox[0] > cur.lines[0].bbox[0] + 1:
                cur.lines.append(line)
                return
        self.start("PARAGRAPH", line)

    def add_table(self, table: FoundTable) -> None:
        self.flush()
        text = table_text(table.data)
        self.blocks.append(ContentBlock(self.number, "TABLE", text, table.bbox, table=table.data))

    def add_image(self, image: _Image) -> None:
        self.flush()
        self.blocks.append(ContentBlock(self.number, "IMAGE", "", image.bbox))


def _inside(bbox: Bbox, areas: Sequence[Bbox]) -> bool:
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return any(a[0] <= cx <= a[2] and a[1] <= cy <= a[3] for a in areas)


def _image_boxes(page: pymupdf.Page, text_found: bool) -> list[Bbox]:
    """Where images are drawn. `get_image_info` runs the page through a device
    (~0.8 ms), so it runs only where the resources list an image, or where
    there is no text at all (an inline-image scan has no XObject to list)."""
    if not page.get_images() and text_found:
        return []
    return [tuple(info["bbox"]) for info in page.get_image_info()]  # type: ignore[misc]


def _images(boxes: list[Bbox], page_rect: pymupdf.Rect, ocr: bool) -> list[_Image]:
    page_area = page_rect.width * page_rect.height
    seen: set[tuple[int, ...]] = set()
    images = []
    for box in boxes:
        rect = pymupdf.Rect(box) & page_rect
        if rect.is_empty or rect.width < _MIN_IMAGE_SIDE or rect.height < _MIN_IMAGE_SIDE:
            continue
        if ocr and rect.width * rect.height > page_area * 0.5:
            continue  # the scan itself, now represented by its OCR text
        key = tuple(round(v) for v in rect)
        if key not in seen:
            seen.add(key)
            images.append(_Image((rect.x0, rect.y0, rect.x1, rect.y1)))
    return images


def _order_and_merge(
    items: list[Line | FoundTable | _Image], page_width: float
) -> list[Line | FoundTable | _Image]:
    ordered = reading_order(items, lambda it: it.bbox, page_width)
    out: list[Line | FoundTable | _Image] = []
    run: list[Line] = []
    for item in ordered:
        if isinstance(item, Line):
            run.append(item)
            continue
        out.extend(merge_fragments(run))
        run = []
        out.append(item)
    out.extend(merge_fragments(run))
    return out


def _bylines(ordered: Sequence[Line | FoundTable | _Image], profile: DocumentProfile) -> set[int]:
    """Positions in `ordered` of the lines under the title that are no headings."""
    positions: list[int] = []
    lines: list[Line] = []
    for i, item in enumerate(ordered):
        if isinstance(item, Line):
            positions.append(i)
            lines.append(item)
    found = title_page_lines(lines, profile.title_style, profile.is_heading_style)
    return {positions[i] for i in found}


def _respaced(page: pymupdf.Page, line: Line) -> Line:
    """A letter-spaced line ("H e a d i n g") re-read glyph by glyph into words."""
    if not is_letter_spaced(line.text):
        return line
    text = respace(page, line.bbox)
    return Line(text, line.bbox, line.size, line.bold, line.toc, line.bullet) if text else line


def _row_pieces(line: Line, lines: Sequence[Line]) -> int:
    """How many of `lines` share `line`'s row (itself included)."""
    cy = (line.bbox[1] + line.bbox[3]) / 2
    return sum(1 for ln in lines if ln.bbox[1] <= cy <= ln.bbox[3])


def _split_margins(
    number: int, lines: list[Line], profile: DocumentProfile, page_height: float
) -> tuple[list[ContentBlock], list[ContentBlock], list[Line]]:
    """Headers and footers out of a page's lines: margin lines that repeat
    across pages (digits aside) or that are a page number on their own."""
    headers: list[ContentBlock] = []
    footers: list[ContentBlock] = []
    body: list[Line] = []
    for line, zone in zip(lines, margin_zones(lines, page_height), strict=True):
        # A number in a row of several cells is a table's, not the page's.
        if zone and (
            running_key(line.text) in profile.running
            or (is_page_number(line.text) and _row_pieces(line, lines) < 3)
        ):
            out = headers if zone == "top" else footers
            out.append(ContentBlock(number, "HEADER" if zone == "top" else "FOOTER", line.text, line.bbox))
        else:
            body.append(line)
    headers.sort(key=lambda b: (b.bbox[1], b.bbox[0]))
    footers.sort(key=lambda b: (b.bbox[1], b.bbox[0]))
    return headers, footers, body


def extract_page(page: pymupdf.Page, options: ExtractOptions, profile: DocumentProfile) -> PageContent:
    number = page.number + 1
    engine = options.engine
    ocr = engine == "OCR"
    # Vector paths come in the same pass as the text (type-3 blocks): the table gate is free.
    page_dict = page.get_text("dict", flags=DICT_FLAGS | pymupdf.TEXT_COLLECT_VECTORS) if not ocr else {}
    lines = [_respaced(page, ln) for ln in page_lines(page_dict)]
    image_boxes = _image_boxes(page, bool(lines))
    if engine == "AUTO" and not lines and image_boxes:
        ocr = True  # no text layer but an image: a scan
    if ocr:
        # Sizes estimated from glyph heights, put on the document's type scale (see ocr_styles);
        # the profile may have read this page already.
        reading = profile.ocr_reading(number, options.ocr_language) or read_ocr_page(
            page, options.ocr_language, DICT_FLAGS
        )
        lines, profile = fit_ocr_page(reading, profile, number, page.rect.width, page.rect.height)

    paths = vector_paths(page_dict)
    area = table_area(paths) if not ocr else None
    if area is not None and grid_too_fine(paths, area, lines):
        area = None  # graph paper or a form's comb: no table, and seconds saved
    tables = find_page_tables(page, area, lines) if area is not None else []
    # Tables ruled by horizontal lines only, beside any ruled one: the stacks are free
    # to find, the words are read only where a stack's lines break into cells.
    stacks = rule_stacks(paths, [t.bbox for t in tables]) if not ocr and len(paths) <= MAX_PATHS else []
    if stacks:
        tables += find_rule_tables(page, stacks, lines)
    tables = clean_tables(tables, lines)
    if tables:
        areas = [t.bbox for t in tables]
        lines = [ln for ln in lines if not _inside(ln.bbox, areas)]
    headers, footers, lines = _split_margins(number, lines, profile, page.rect.height)
    # Tables aligned by whitespace alone, among the lines no ruled table took.
    stream = find_stream_tables(lines, split_rules(paths)[0]) if not ocr else []
    if stream:
        tables += stream
        areas = [t.bbox for t in stream]
        lines = [ln for ln in lines if not _inside(ln.bbox, areas)]
    lines = join_toc_numbers(attach_markers(lines))
    items: list[Line | FoundTable | _Image] = [*lines, *tables, *_images(image_boxes, page.rect, ocr)]

    builder = _PageBuilder(number, profile, page.rect.height)
    builder.blocks.extend(headers)
    ordered = _order_and_merge(items, page.rect.width)
    bylines = _bylines(ordered, profile) if number == 1 else set()
    for position, item in enumerate(ordered):
        if isinstance(item, Line):
            builder.add_line(item, byline=position in bylines)
        elif isinstance(item, FoundTable):
            builder.add_table(item)
        else:
            builder.add_image(item)
    builder.flush()
    builder.blocks.extend(footers)

    blocks = builder.blocks
    words = sum(count_words(b) for b in blocks if b.type not in ("HEADER", "FOOTER"))
    confidence = estimate_confidence(" ".join(b.text for b in blocks)) if ocr else 1.0
    return PageContent(
        page=number,
        blocks=blocks,
        ocr=ocr,
        confidence=confidence,
        word_count=words,
        needs_llm_ocr=engine == "LLM_OCR",
    )


def extract_pages(
    path: str | Path,
    password: str | None,
    page_numbers: Sequence[int],
    options: ExtractOptions,
    profile: DocumentProfile,
    keep_open: bool | None = None,
) -> list[PageContent]:
    """Extract the 1-based `page_numbers` of the PDF at `path`, in order.

    Runs in a worker process: everything in and out pickles, and only this
    chunk's pages are ever loaded, which bounds memory on huge documents.
    `keep_open=True` (only in a pool process) keeps the document open for the
    next chunk; None keeps it where the process was marked to.
    """
    if options.engine == "OCR":
        check_language(options.ocr_language)  # fail before any work, with a clear message
    pages: list[PageContent] = []
    with open_document(path, password, keep_open) as doc:
        take_messages()  # what opening the file reported is no page's
        for number in page_numbers:
            try:
                page = doc.load_page(number - 1)
                with page_cpu_budget(options.page_cpu_seconds, number):  # PAYLOAD_TOO_LARGE past it
                    content = extract_page(page, options, profile)
            except pymupdf.mupdf.FzErrorBase as exc:
                # MuPDF could not repair this page (a cycle in the page tree, a broken
                # content stream): the others are still read.
                logger.warning("page %d skipped, unreadable: %s", number, exc)
                content = PageContent(page=number, blocks=[], warnings=[f"page skipped, unreadable: {exc}"])
            content.warnings += take_messages()
            pages.append(content)
    return pages


__all__ = ["extract_page", "extract_pages", "join_lines"]
