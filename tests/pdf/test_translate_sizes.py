"""Translated PDFs keep the look of what they replace: a heading its size and weight,
list items their size; longer text shrinks to 80% at most, then takes the free
space below. Checked by rendering and reading back the spans."""

from __future__ import annotations

from pathlib import Path

import pymupdf
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate

from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from jobs.pdf.translate_render import MIN_SCALE, render_translated_pdf

BODY = 10.0
HEADING = 16.0


def _source(path: Path) -> None:
    styles = getSampleStyleSheet()
    body = ParagraphStyle("Body", parent=styles["Normal"], fontSize=BODY, leading=12)
    heading = ParagraphStyle("Head", parent=body, fontName="Helvetica-Bold", fontSize=HEADING, leading=19)
    text = "The crew checks the boats and writes the ledger before the tide turns at dawn. " * 3
    story = [
        Paragraph("Harbor Survey", heading),
        Paragraph(text, body),
        Paragraph("Lantern Care", heading),
        Paragraph(text, body),
        ListFlowable(
            [
                ListItem(Paragraph(t, body))
                for t in ("Check the chain", "Clean the glass", "Store the compass")
            ],
            bulletType="bullet",
            start="\u2022",
            bulletFontSize=14,
        ),
        Paragraph(text, body),  # the last block: free space below it
    ]
    SimpleDocTemplate(str(path)).build(story)


def _spans(page: pymupdf.Page) -> list[tuple[str, float, bool, pymupdf.Rect]]:
    out = []
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                if span["text"].strip():
                    bold = bool(span["flags"] & pymupdf.TEXT_FONT_BOLD) or "bold" in span["font"].lower()
                    out.append((span["text"], span["size"], bold, pymupdf.Rect(span["bbox"])))
    return out


def test_translated_blocks_keep_size_weight_and_reflow_below(tmp_path: Path) -> None:
    path = tmp_path / "source.pdf"
    _source(path)
    content = run_pipeline(path, ExtractOptions(engine="TEXT"))
    kinds = [b.type for b in content.blocks]
    # The first big bold line is the document's title, the second a heading.
    assert kinds == ["TITLE", "PARAGRAPH", "HEADING", "PARAGRAPH", *["LIST_ITEM"] * 3, "PARAGRAPH"]
    for i, block in enumerate(content.blocks):
        # Every translation is longer than its original (German-like), a marker first.
        longer = " ".join(w + "ung" for w in block.text.split())
        block.translated_text = f"Q{i}x {longer}" + (
            f" {longer}" if block.type == "PARAGRAPH" and i == 7 else ""
        )
    rendered = pymupdf.open(stream=render_translated_pdf(path, None, content), filetype="pdf")
    spans = _spans(rendered[0])

    def of(i: int) -> list[tuple[str, float, bool, pymupdf.Rect]]:
        start = next(k for k, s in enumerate(spans) if s[0].startswith(f"Q{i}x"))
        end = next((k for k, s in enumerate(spans) if k > start and s[0].startswith("Q")), len(spans))
        return spans[start:end]

    for i in (0, 2):  # headings: their size and weight
        assert all(abs(size - HEADING) < 0.6 and bold for _, size, bold, _ in of(i)), of(i)[:2]
    for i in (1, 3, 4, 5, 6, 7):  # body and list items: at least 80% of their size
        assert all(size >= BODY * MIN_SCALE - 0.1 for _, size, _, _ in of(i)), (i, of(i)[:2])
    # The last paragraph, twice as long again, grew into the free space below its box.
    last = content.blocks[7]
    assert max(r.y1 for *_, r in of(7)) > last.bbox[3] + 5
    assert min(size for _, size, _, _ in of(7)) >= BODY * MIN_SCALE - 0.1
