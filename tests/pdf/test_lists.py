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


def test_a_lone_number_beside_text_is_no_list_marker() -> None:
    from jobs.pdf.layout import Line
    from jobs.pdf.list_markers import attach_markers

    # A figure's axis label "5" beside "R", and the 1 and 2 of a numbered list.
    figure = [Line("5", (100, 100, 106, 110), 10, False), Line("R", (112, 100, 118, 110), 10, False)]
    assert [ln.text for ln in attach_markers(figure)] == ["5", "R"]
    listed = [
        Line("1", (72, 200, 78, 210), 10, False),
        Line("Untie the line", (90, 200, 160, 210), 10, False),
        Line("2", (72, 215, 78, 225), 10, False),
        Line("Raise the anchor", (90, 215, 170, 225), 10, False),
    ]
    assert [ln.text for ln in attach_markers(listed)] == ["1 Untie the line", "2 Raise the anchor"]
