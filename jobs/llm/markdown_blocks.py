"""Markdown (as a vision model writes a page) -> typed blocks.

Pure and small on purpose: a line-based reader for the Markdown subset the
OCR prompt asks for, not a CommonMark implementation.

    # .. ######          HEADING (level 1..6)
    - item / * / + / 1.  LIST_ITEM (one block per item; indented lines continue it)
    | a | b |            TABLE (first row = headers; the |---| row is dropped)
    $$ ... $$            FORMULA
    ![alt](src)          IMAGE (alt text)
    ``` code ```         PARAGRAPH holding the fenced code verbatim (translation skips it)
    > quote              PARAGRAPH
    anything else        PARAGRAPH (consecutive lines joined with spaces)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobs.pdf.content import TableData

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_SEPARATOR_CELL = re.compile(r"^:?-+:?$")
_IMAGE = re.compile(r"^\s*!\[([^\]]*)\]\([^)]*\)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


@dataclass(slots=True)
class MarkdownBlock:
    type: str
    text: str
    level: int | None = None
    table: TableData | None = None


def parse_markdown(markdown: str) -> list[MarkdownBlock]:
    lines = _unwrap_document_fence(_COMMENT.sub("", markdown)).splitlines()
    blocks: list[MarkdownBlock] = []
    paragraph: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            blocks.append(MarkdownBlock("PARAGRAPH", _inline(" ".join(paragraph))))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or _RULE.match(line):
            flush_paragraph()
            i += 1
            continue
        if _FENCE.match(line):
            flush_paragraph()
            fence = _FENCE.match(line).group(1)  # type: ignore[union-attr]
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(fence)), len(lines)
            )
            code = "\n".join([stripped, *lines[i + 1 : end], fence])
            blocks.append(MarkdownBlock("PARAGRAPH", code))
            i = end + 1
            continue
        if stripped.startswith("$$"):
            flush_paragraph()
            # "$$ x $$" on one line, or up to the line that closes it.
            if stripped.endswith("$$") and len(stripped) > 4:
                end = i
            else:
                end = next(
                    (j for j in range(i + 1, len(lines)) if lines[j].strip().endswith("$$")), len(lines) - 1
                )
            formula = " ".join(x.strip() for x in lines[i : end + 1]).strip().strip("$").strip()
            blocks.append(MarkdownBlock("FORMULA", formula))
            i = end + 1
            continue
        heading = _HEADING.match(line)
        if heading:
            flush_paragraph()
            blocks.append(MarkdownBlock("HEADING", _inline(heading.group(2)), level=len(heading.group(1))))
            i += 1
            continue
        image = _IMAGE.match(line)
        if image:
            flush_paragraph()
            blocks.append(MarkdownBlock("IMAGE", image.group(1).strip()))
            i += 1
            continue
        if _TABLE_ROW.match(line):
            flush_paragraph()
            end = i
            while end < len(lines) and _TABLE_ROW.match(lines[end]):
                end += 1
            blocks.append(_table(lines[i:end]))
            i = end
            continue
        item = _LIST_ITEM.match(line)
        if item:
            flush_paragraph()
            parts = [item.group(1).strip()]
            i += 1
            # Indented lines that are not items themselves continue this item.
            while i < len(lines) and lines[i].startswith(("  ", "\t")) and not _LIST_ITEM.match(lines[i]):
                parts.append(lines[i].strip())
                i += 1
            blocks.append(MarkdownBlock("LIST_ITEM", _inline(" ".join(parts))))
            continue
        paragraph.append(stripped.lstrip(">").strip() if stripped.startswith(">") else stripped)
        i += 1
    flush_paragraph()
    return [b for b in blocks if b.text or b.table]


def _unwrap_document_fence(markdown: str) -> str:
    """Models like to wrap the whole answer in ```markdown ... ```; take it off."""
    text = markdown.strip()
    match = re.match(r"^```(?:markdown|md)?\s*\n(.*)\n```$", text, re.DOTALL | re.IGNORECASE)
    return match.group(1) if match else text


def _inline(text: str) -> str:
    """Plain text: links keep their label, **bold**/__bold__ lose their markers."""
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    return re.sub(r"\s+", " ", text).strip()


def _cells(row: str) -> list[str]:
    inner = row.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    # "\|" is a literal pipe inside a cell.
    cells = re.split(r"(?<!\\)\|", inner)
    return [_inline(c.replace("\\|", "|")) for c in cells]


def _table(rows: list[str]) -> MarkdownBlock:
    cell_rows = [_cells(r) for r in rows]
    # The |---|:-:| row under the headers only carries alignment.
    cell_rows = [r for r in cell_rows if not all(_SEPARATOR_CELL.match(c) for c in r)] or [[""]]
    headers, body = cell_rows[0], cell_rows[1:]
    width = max(len(r) for r in cell_rows)
    # Ragged rows are padded so every row has as many cells as the widest.
    headers = headers + [""] * (width - len(headers))
    body = [r + [""] * (width - len(r)) for r in body]
    text = "\n".join(" | ".join(r) for r in [headers, *body])
    return MarkdownBlock("TABLE", text, table=TableData(headers=headers, rows=body))


__all__ = ["MarkdownBlock", "parse_markdown"]
