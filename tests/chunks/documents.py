"""Generated documents for the chunk tests: known sections, paragraphs, lists and tables."""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf

from docat.settings import load_settings
from jobs.local_process import process_file
from jobs.pdf.content import ContentBlock, ExtractedContent, TableData
from tests.pdf import generate

LONG_TABLE_HEADERS = ["Item", "Warehouse", "Quantity", "Unit price"]


def long_table_rows(count: int) -> list[list[str]]:
    places = ["Lyon", "Osaka", "Denver", "Porto", "Tallinn"]
    return [
        [f"Part {n:03d}", places[n % len(places)], str(10 * n + 7), f"${n}.{n % 100:02d}"]
        for n in range(count)
    ]


def long_table_pdf(path: Path, rows: int = 20) -> list[list[str]]:
    """A heading, a paragraph and one ruled table of `rows` rows under a bold header row."""
    doc = pymupdf.open()
    page = doc.new_page(width=generate.A4.width, height=generate.A4.height)
    page.insert_text((generate.LEFT, 100), "Stock Report", fontname="hebo", fontsize=24)
    y = generate.draw_heading(page, 130, "Inventory", 1)
    y = generate.draw_paragraph(page, y, generate.words(11, 90))
    body = long_table_rows(rows)
    grid = [LONG_TABLE_HEADERS, *body]
    col_w, row_h = 110.0, 20.0
    x0, y0 = generate.LEFT, y
    for r in range(len(grid) + 1):
        page.draw_line((x0, y0 + r * row_h), (x0 + col_w * 4, y0 + r * row_h), width=0.8)
    for c in range(5):
        page.draw_line((x0 + c * col_w, y0), (x0 + c * col_w, y0 + row_h * len(grid)), width=0.8)
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            font = "hebo" if r == 0 else "helv"
            page.insert_text(
                (x0 + c * col_w + 5, y0 + r * row_h + 14), cell, fontname=font, fontsize=generate.BODY
            )
    doc.save(path)
    doc.close()
    return body


def extract(path: Path, data_dir: Path) -> ExtractedContent:
    """What a job stores for this PDF (the same pipeline as `docat process --format json`)."""
    output = process_file(path, output_format="json", settings=load_settings(data_dir=data_dir))
    return ExtractedContent.from_dict(json.loads(output))


def block(
    kind: str, text: str, page: int = 1, level: int | None = None, table: TableData | None = None
) -> ContentBlock:
    return ContentBlock(page=page, type=kind, text=text, bbox=(0, 0, 1, 1), level=level, table=table)


def content_of(*blocks: ContentBlock) -> ExtractedContent:
    from jobs.pdf.content import ContentMetadata

    return ExtractedContent(
        title=None, page_count=max(b.page for b in blocks), blocks=list(blocks), metadata=ContentMetadata()
    )
