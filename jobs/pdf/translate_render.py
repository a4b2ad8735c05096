"""Translated and side-by-side PDFs from the original file and translated blocks.

Pure and synchronous (PyMuPDF), like the rest of jobs/pdf: it runs in the
worker's process pool.

For each page, every block whose translation differs from its text is
replaced in place:

1. its style (dominant font size, color, boldness) is read from the spans in
   its bbox, so the translation looks like what it replaces;
2. a redaction over the bbox removes the original text only: images and
   vector graphics are kept (PDF_REDACT_IMAGE_NONE, PDF_REDACT_LINE_ART_NONE).
   On OCR pages the text is part of a scanned image, so the box is painted
   white instead to hide it;
3. the translation is written into the same box with `insert_htmlbox`, which
   shrinks the text to at most 80% of its size (bold text, headings and
   titles, not at all); a translation that does not fit takes the free space
   right of its box, then below it (up to the next block, or the bottom
   margin), and only then shrinks further (`scale_low=0`). The style is read
   from the spans whose middle lies in the block, so a heading over a
   paragraph keeps its own size and weight.
   `insert_htmlbox` picks glyphs from
   MuPDF's built-in Noto/Droid fallback fonts for scripts the base font lacks
   (CJK, Arabic, Hebrew, Cyrillic, Devanagari, Thai...), with bidi and shaping
   for right-to-left scripts. No system fonts are needed.

Table cells have no boxes of their own in the content, so each translated
cell is found with `search_for` inside the table's bbox and replaced where it
is. Fonts are subset before saving; the full CJK fallback font is megabytes.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from jobs.pdf.analyze import open_pdf
from jobs.pdf.content import ContentBlock, ExtractedContent

Source = str | Path | bytes

# Right-to-left scripts: their lines are set right-aligned. jobs.llm.languages reads this set.
RTL_LANGUAGES: frozenset[str] = frozenset({"ar", "he", "fa", "ur"})

_BOLD_TYPES = frozenset({"TITLE", "HEADING"})
_DEFAULT_SIZE = 11.0
# Glyph boxes can poke slightly outside a block's bbox; the redaction takes them too.
_REDACT_PAD = 0.5
# A translation may shrink to this share of the original size before it takes the space below.
MIN_SCALE = 0.8
_BOTTOM_MARGIN = 36.0
_BLOCK_GAP = 2.0


@dataclass(slots=True)
class _Replacement:
    rect: pymupdf.Rect
    text: str
    size: float
    color: int  # sRGB integer, as PyMuPDF reports span colors
    bold: bool


def render_translated_pdf(source_path: Source, password: str | None, content: ExtractedContent) -> bytes:
    """The original PDF with every translated block replaced in place; same page count."""
    with open_pdf(source_path, password) as doc:
        _translate_document(doc, content)
        return _save(doc)


def render_dual_pdf(source_path: Source, password: str | None, content: ExtractedContent) -> bytes:
    """Each original page on the left and its translated version on the right."""
    translated_bytes = render_translated_pdf(source_path, password, content)
    with open_pdf(source_path, password) as original, open_pdf(translated_bytes) as translated:
        out = pymupdf.open()
        try:
            for pno in range(original.page_count):
                rect = original[pno].rect
                page = out.new_page(width=2 * rect.width, height=rect.height)
                page.show_pdf_page(pymupdf.Rect(0, 0, rect.width, rect.height), original, pno)
                right = pymupdf.Rect(rect.width, 0, 2 * rect.width, rect.height)
                page.show_pdf_page(right, translated, pno)
            return _save(out)
        finally:
            out.close()


def _translate_document(doc: pymupdf.Document, content: ExtractedContent) -> None:
    rtl = (content.metadata.target_language or "") in RTL_LANGUAGES
    ocr_pages = set(content.metadata.ocr_pages)
    by_page: dict[int, list[ContentBlock]] = defaultdict(list)
    for block in content.blocks:
        by_page[block.page].append(block)
    for number, blocks in sorted(by_page.items()):
        if 1 <= number <= doc.page_count:
            _translate_page(doc[number - 1], blocks, rtl=rtl, scanned=number in ocr_pages)


def _translate_page(page: pymupdf.Page, blocks: list[ContentBlock], *, rtl: bool, scanned: bool) -> None:
    spans = _spans(page)
    replacements = []
    for block in blocks:
        for rect, text in _targets(page, block):
            size, color, bold = _style(spans, rect)
            replacements.append(_Replacement(rect, text, size, color, bold or block.type in _BOLD_TYPES))
    if not replacements:
        return
    for r in replacements:
        page.add_redact_annot(
            _grown(r.rect, _REDACT_PAD),
            fill=(1, 1, 1) if scanned else None,
            cross_out=False,
        )
    page.apply_redactions(
        images=pymupdf.PDF_REDACT_IMAGE_NONE,  # type: ignore[attr-defined]
        graphics=pymupdf.PDF_REDACT_LINE_ART_NONE,  # type: ignore[attr-defined]
        text=pymupdf.PDF_REDACT_TEXT_REMOVE,  # type: ignore[attr-defined]
    )
    boxes = [pymupdf.Rect(b.bbox) for b in blocks if b.type not in ("HEADER", "FOOTER")]
    for r in replacements:
        _write(page, r, _room(page, r.rect, boxes), rtl=rtl)


def _room(page: pymupdf.Page, rect: pymupdf.Rect, boxes: list[pymupdf.Rect]) -> pymupdf.Rect:
    """`rect` grown into the free space right of it (to the text's right edge or the
    nearest block on its right) and below it (to the nearest block under it that
    shares its width, or the bottom margin)."""
    right = max([rect.x1, *(b.x1 for b in boxes)])
    for box in boxes:
        if box.x0 >= rect.x1 - 1 and box.y0 < rect.y1 and box.y1 > rect.y0:
            right = min(right, box.x0 - _BLOCK_GAP)
    right = max(right, rect.x1)
    bottom = page.rect.y1 - _BOTTOM_MARGIN
    for box in boxes:
        if box.y0 >= rect.y1 - 1 and box.x0 < right and box.x1 > rect.x0:
            bottom = min(bottom, box.y0 - _BLOCK_GAP)
    return pymupdf.Rect(rect.x0, rect.y0, right, max(bottom, rect.y1))


def _write(page: pymupdf.Page, r: _Replacement, room: pymupdf.Rect, *, rtl: bool) -> None:
    """The translation in its box, else in the box widened to the right, else grown
    into the free space below; at ≥ MIN_SCALE of its size (a heading or title at
    its full size while there is room), and only then shrunk as far as it must."""
    html_text, css = _html(r.text, rtl=rtl), _css(r)
    wide = pymupdf.Rect(r.rect.x0, r.rect.y0, room.x1, r.rect.y1)
    floor = 1.0 if r.bold else MIN_SCALE
    for box in (r.rect, wide, room):
        spare, _ = page.insert_htmlbox(box, html_text, css=css, scale_low=floor)
        if spare >= 0:
            return
    if floor > MIN_SCALE:
        spare, _ = page.insert_htmlbox(room, html_text, css=css, scale_low=MIN_SCALE)
        if spare >= 0:
            return
    page.insert_htmlbox(room, html_text, css=css, scale_low=0)


def _targets(page: pymupdf.Page, block: ContentBlock) -> Iterable[tuple[pymupdf.Rect, str]]:
    """(box, translation) pairs this block asks to replace."""
    rect = pymupdf.Rect(block.bbox)
    if rect.is_empty:
        return
    if block.table is not None and block.table.translated_rows is not None:
        cells = [*zip(block.table.headers, block.table.translated_headers or [], strict=False)]
        for row, translated_row in zip(block.table.rows, block.table.translated_rows, strict=False):
            cells.extend(zip(row, translated_row, strict=False))
        seen: set[str] = set()
        for original, cell in cells:
            if not original.strip() or original == cell or original in seen:
                continue
            seen.add(original)
            for hit in page.search_for(original, clip=_grown(rect, 2)):
                yield hit, cell
        return
    text = block.translated_text
    if text and text.strip() and text.strip() != block.text.strip():
        yield rect, text


def _grown(rect: pymupdf.Rect, by: float) -> pymupdf.Rect:
    return pymupdf.Rect(rect.x0 - by, rect.y0 - by, rect.x1 + by, rect.y1 + by)


_Span = tuple[pymupdf.Rect, float, int, int, bool]


def _spans(page: pymupdf.Page) -> list[_Span]:
    """(bbox, size, color, chars, bold) of every text span on the page, read once."""
    found = []
    for block in page.get_text("dict", flags=pymupdf.TEXTFLAGS_TEXT)["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                text = span["text"].strip()
                if text:
                    bold = bool(span["flags"] & pymupdf.TEXT_FONT_BOLD) or "bold" in span["font"].lower()
                    found.append((pymupdf.Rect(span["bbox"]), span["size"], span["color"], len(text), bold))
    return found


def _style(spans: list[_Span], rect: pymupdf.Rect) -> tuple[float, int, bool]:
    """The size, color and weight most of the text inside `rect` has (by characters).

    A span counts when its middle lies in `rect`: line boxes of neighbouring
    blocks touch or overlap a little, and a short heading over a long paragraph
    would otherwise take the paragraph's size. A list bullet drawn bigger than
    its item weighs one character.
    """
    sizes: Counter[float] = Counter()
    colors: Counter[int] = Counter()
    bold = total = 0

    def centred(bbox: pymupdf.Rect) -> bool:
        return pymupdf.Point((bbox.x0 + bbox.x1) / 2, (bbox.y0 + bbox.y1) / 2) in rect

    # A table cell's box (a search hit) may be part of a longer span: then any span it touches.
    inside = centred if any(centred(span[0]) for span in spans) else rect.intersects
    for bbox, size, color, chars, is_bold in spans:
        if inside(bbox):
            sizes[round(size, 1)] += chars
            colors[color] += chars
            total += chars
            bold += chars if is_bold else 0
    size = sizes.most_common(1)[0][0] if sizes else min(_DEFAULT_SIZE, max(4.0, rect.height * 0.7))
    return size, colors.most_common(1)[0][0] if colors else 0, total > 0 and bold * 2 > total


def _html(text: str, *, rtl: bool) -> str:
    body = "<br>".join(html.escape(line) for line in text.splitlines())
    return f'<div dir="rtl">{body}</div>' if rtl else f"<div>{body}</div>"


def _css(r: _Replacement) -> str:
    return (
        "* {margin: 0; padding: 0;}"
        f" div {{font-family: sans-serif; font-size: {r.size:.1f}px; line-height: 1.15;"
        f" color: #{r.color:06x}; font-weight: {'bold' if r.bold else 'normal'};}}"
    )


def _save(doc: pymupdf.Document) -> bytes:
    doc.subset_fonts()
    return doc.tobytes(garbage=3, deflate=True, encryption=pymupdf.PDF_ENCRYPT_NONE)  # type: ignore[attr-defined]


__all__ = ["render_dual_pdf", "render_translated_pdf"]
