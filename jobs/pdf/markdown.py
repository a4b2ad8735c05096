"""ExtractedContent as Markdown and as plain text.

Running headers and footers are left out of both: repeated on every page,
they would interrupt the text they sit between.
"""

from __future__ import annotations

from jobs.pdf.content import ContentBlock, ExtractedContent, TableData
from jobs.pdf.continued_text import continues, joined

_SKIPPED = ("HEADER", "FOOTER")


def _text(block: ContentBlock, translated: bool) -> str:
    if translated and block.translated_text:
        return block.translated_text
    return block.text


def _table_rows(table: TableData, translated: bool) -> tuple[list[str], list[list[str]]]:
    headers = table.headers
    rows = table.rows
    if translated:
        headers = table.translated_headers or headers
        rows = table.translated_rows or rows
    return headers, rows


def _cell(value: str) -> str:
    # A pipe would end the cell and a newline the row.
    return " ".join(value.split()).replace("|", "\\|")


def markdown_table(table: TableData, translated: bool = False) -> str:
    headers, rows = _table_rows(table, translated)
    width = max([len(headers), *(len(r) for r in rows)] or [1])
    headers = [*headers, *[""] * (width - len(headers))]
    lines = [
        "| " + " | ".join(_cell(h) for h in headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    for row in rows:
        row = [*row, *[""] * (width - len(row))]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return "\n".join(lines)


def _markdown_block(block: ContentBlock, translated: bool) -> str | None:
    text = _text(block, translated)
    match block.type:
        case "TITLE":
            return f"# {text}"
        case "HEADING":
            # Level 1 headings sit under the title's single #.
            return "#" * min((block.level or 1) + 1, 6) + f" {text}"
        case "LIST_ITEM":
            return f"- {text}"
        case "TABLE":
            return markdown_table(block.table, translated) if block.table else text
        case "CAPTION":
            return f"*{text}*"
        case "FORMULA":
            return f"$$\n{text}\n$$"
        case "IMAGE":
            return f"![{text}]()" if text else None
        case _:
            return text or None


def to_markdown(content: ExtractedContent, translated: bool = False) -> str:
    parts: list[str] = []
    has_title_block = any(b.type == "TITLE" for b in content.blocks)
    if content.title and not has_title_block:
        parts.append(f"# {content.title}")
    prev_type: str | None = None
    for block in content.blocks:
        if block.type in _SKIPPED:
            continue
        rendered = _markdown_block(block, translated)
        if rendered is None:
            continue
        # Consecutive list items form one list: single newline between them.
        if prev_type == "LIST_ITEM" and block.type == "LIST_ITEM":
            parts[-1] += "\n" + rendered
        elif prev_type == block.type == "PARAGRAPH" and continues(parts[-1], rendered):
            parts[-1] = joined(parts[-1], rendered)  # broken off by a column or page break
        else:
            parts.append(rendered)
        prev_type = block.type
    return "\n\n".join(parts) + "\n" if parts else ""


def _text_block(block: ContentBlock, translated: bool) -> str | None:
    if block.type == "TABLE" and block.table:
        headers, rows = _table_rows(block.table, translated)
        return "\n".join("\t".join(r) for r in [headers, *rows])
    if block.type == "LIST_ITEM":
        return f"- {_text(block, translated)}"
    text = _text(block, translated)
    return text or None


def to_text(content: ExtractedContent, translated: bool = False) -> str:
    parts: list[str] = []
    prev_type: str | None = None
    for block in content.blocks:
        if block.type in _SKIPPED or not (text := _text_block(block, translated)):
            continue
        if prev_type == block.type == "PARAGRAPH" and continues(parts[-1], text):
            parts[-1] = joined(parts[-1], text)
        else:
            parts.append(text)
        prev_type = block.type
    return "\n\n".join(parts) + "\n" if parts else ""


__all__ = ["markdown_table", "to_markdown", "to_text"]
