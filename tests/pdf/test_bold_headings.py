"""Headings set in bold at the body size, however much of a short document they make."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from tests.pdf import reportlab_cases


@pytest.mark.parametrize("words", [36, 6])
def test_bold_body_size_lines_are_headings(pdf_dir: Path, words: int) -> None:
    path = pdf_dir / f"bold-headings-{words}.pdf"
    reportlab_cases.bold_headings_pdf(path, words)
    blocks = run_pipeline(path, ExtractOptions(engine="TEXT")).blocks
    assert [(b.text, b.level) for b in blocks if b.type == "HEADING"] == [
        (t, 1) for t in reportlab_cases.BOLD_HEADINGS
    ]
    paragraphs = [b.text for b in blocks if b.type == "PARAGRAPH"]
    assert len(paragraphs) == 3 and all(p.endswith("with bold words inside.") for p in paragraphs)
