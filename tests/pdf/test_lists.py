"""List items whose marker is drawn apart from the text (reportlab, Word): one
LIST_ITEM each, with its text, in order, and no paragraph holding a lone bullet."""

from __future__ import annotations

from pathlib import Path

from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from tests.pdf import reportlab_cases


def test_each_item_is_one_list_item_in_order(pdf_dir: Path) -> None:
    path = pdf_dir / "lists.pdf"
    reportlab_cases.lists_pdf(path)
    blocks = run_pipeline(path, ExtractOptions(engine="TEXT")).blocks
    assert [(b.type, b.text) for b in blocks] == [
        ("PARAGRAPH", reportlab_cases.LIST_INTRO),
        *(("LIST_ITEM", t) for t in reportlab_cases.BULLETED),
        *(("LIST_ITEM", f"{n} {t}") for n, t in enumerate(reportlab_cases.NUMBERED, 1)),
        ("PARAGRAPH", reportlab_cases.LIST_OUTRO),
    ]
