"""OCR a page image with a vision model: the page as Markdown -> PageContent.

The model returns reading-order Markdown and no coordinates. Blocks therefore
get approximate bboxes: the page box (minus a small margin) is split top to
bottom in proportion to each block's estimated height in lines. Good enough
to order blocks, to scroll a viewer near them and to place a translation
roughly where the text was; not a layout analysis. Consumers that need exact
geometry should prefer the text-layer or Tesseract engines.
"""

from __future__ import annotations

from collections.abc import Sequence

from jobs.llm.markdown_blocks import MarkdownBlock, parse_markdown
from jobs.llm.protocol import LLMProvider
from jobs.pdf.content import Bbox, ContentBlock, PageContent

# The model gives no per-word confidence; this is the value reported for LLM OCR pages.
LLM_OCR_CONFIDENCE = 0.9
_MARGIN = 0.05  # of the page's width and height
_CHARS_PER_LINE = 90

OCR_SYSTEM_PROMPT = (
    "You are a precise OCR engine. Transcribe the page image into GitHub-flavored Markdown, "
    "in reading order. Use # headings for headings (## for sub-headings), '- ' or '1. ' for list "
    "items, pipe tables for tables (first row = column headers), $$...$$ for display formulas, "
    "![description](image) for figures. Keep the original language; do not translate, summarize "
    "or add commentary. Omit nothing. Answer with the Markdown only."
)


async def llm_ocr_page(
    provider: LLMProvider,
    png: bytes,
    page: int,
    page_rect: Sequence[float],
    model: str | None = None,
) -> PageContent:
    """Blocks of page `page` (1-based) from its rendered image; `page_rect` is x0, y0, x1, y1 in points.

    Raises docat.errors.ProviderError when the provider fails after its retries.
    """
    markdown = await provider.complete(
        OCR_SYSTEM_PROMPT, f"Transcribe page {page}.", images=[png], model=model
    )
    parsed = parse_markdown(markdown)
    blocks = spread_blocks(parsed, page, page_rect)
    words = sum(len(_block_words(b)) for b in blocks)
    return PageContent(page=page, blocks=blocks, ocr=True, confidence=LLM_OCR_CONFIDENCE, word_count=words)


def spread_blocks(
    parsed: Sequence[MarkdownBlock], page: int, page_rect: Sequence[float]
) -> list[ContentBlock]:
    """Stack the blocks down the page, each as tall as its share of estimated lines."""
    x0, y0, x1, y1 = (float(v) for v in page_rect)
    dx, dy = (x1 - x0) * _MARGIN, (y1 - y0) * _MARGIN
    left, top, right, bottom = x0 + dx, y0 + dy, x1 - dx, y1 - dy
    weights = [_estimated_lines(b) for b in parsed]
    total = sum(weights) or 1
    blocks: list[ContentBlock] = []
    cursor = top
    for block, weight in zip(parsed, weights, strict=True):
        height = (bottom - top) * weight / total
        bbox: Bbox = (left, cursor, right, cursor + height)
        cursor += height
        blocks.append(
            ContentBlock(
                page=page,
                type=block.type,
                text=block.text,
                bbox=bbox,
                level=block.level,
                table=block.table,
            )
        )
    return blocks


def _estimated_lines(block: MarkdownBlock) -> int:
    if block.table is not None:
        return len(block.table.rows) + 1
    if block.type == "IMAGE":
        return 8  # figures take room; their alt text does not say how much
    return sum(max(1, -(-len(line) // _CHARS_PER_LINE)) for line in block.text.splitlines() or [""])


def _block_words(block: ContentBlock) -> list[str]:
    if block.type == "IMAGE":
        return []
    return [w for w in block.text.split() if w != "|"]  # table cells are joined with " | "


__all__ = ["LLM_OCR_CONFIDENCE", "OCR_SYSTEM_PROMPT", "llm_ocr_page", "spread_blocks"]
