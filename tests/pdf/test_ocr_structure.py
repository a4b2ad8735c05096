"""Scanned pages come out structured: title, heading levels, list items, from OCR.

The OCR tests compare structure exactly and words loosely (OCR noise); the
unit tests feed the size logic lines as MuPDF's OCR text page shapes them.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from jobs.pdf import extract
from jobs.pdf.content import ContentBlock
from jobs.pdf.layout import DICT_FLAGS, Line, page_lines
from jobs.pdf.ocr import ocr_textpage
from jobs.pdf.ocr_layout import glyph_size, mark_bullets
from jobs.pdf.ocr_missed import missed_bands, missed_lines
from jobs.pdf.ocr_sizes import OcrPage, read_ocr_page, settle_sizes
from jobs.pdf.ocr_styles import fit_ocr_page
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from jobs.pdf.profile import DocumentProfile, profile_document
from tests.fixtures.corpus import CORPUS
from tests.pdf import generate
from tests.pdf.conftest import Generated
from tests.pdf.wordmatch import in_order_ratio

STRUCTURE = ("TITLE", "HEADING", "LIST_ITEM")


def words(text: str) -> list[str]:
    return [w.lower().strip(".,") for w in text.split()]


def assert_blocks(got: list[ContentBlock], expected: list[generate.ScanBlock], page: int) -> None:
    """The same blocks in the same order, types and levels exact, words at least 80% right."""
    assert [(b.type, b.level) for b in got] == [(kind, level) for kind, level, _ in expected], page
    for block, (_, _, text) in zip(got, expected, strict=True):
        assert in_order_ratio(words(text), words(block.text)) >= 0.8, (block.text, text)


# ---- scanned documents, through OCR ----------------------------------------------------


def test_a_scanned_report_gets_its_title_headings_and_lists(scanned_report: Generated) -> None:
    content = run_pipeline(scanned_report.path, ExtractOptions(engine="AUTO"))
    assert content.metadata.ocr_pages == [1, 2]
    for number, expected in enumerate(scanned_report.expected, start=1):
        assert_blocks([b for b in content.blocks if b.page == number], expected, number)
    assert content.title is not None
    assert in_order_ratio(words(generate.SCAN_TITLE), words(content.title)) >= 0.8


def test_heading_levels_hold_across_scanned_pages(
    scanned_report: Generated, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Page 2 has only the smaller headings: level 2 because the profile read page 1,
    and the extraction takes that reading instead of OCRing page 1 again."""
    options = ExtractOptions(engine="AUTO")
    profile = profile_document(scanned_report.path, None, [1, 2], options=options)
    assert profile.ocr_reading(1, "eng") is not None
    assert len(profile.heading_styles) == 2 and profile.title_style is not None

    read: list[int] = []

    def counting(page: pymupdf.Page, language: str, flags: int) -> OcrPage:
        read.append(page.number + 1)
        return read_ocr_page(page, language, flags)

    monkeypatch.setattr(extract, "read_ocr_page", counting)
    pages = extract.extract_pages(scanned_report.path, None, [1, 2], options, profile)
    assert read == [2]
    levels = {b.text: b.level for p in pages for b in p.blocks if b.type == "HEADING"}
    assert levels == {
        "Introduction": 1,
        "Field Methods": 2,
        "Results": 1,
        "Sampling Notes": 2,
        "Open Questions": 2,
    }


def test_a_scanned_page_takes_the_heading_sizes_of_the_text_pages(mixed_report: Generated) -> None:
    content = run_pipeline(mixed_report.path, ExtractOptions(engine="AUTO"))
    assert content.metadata.ocr_pages == [2]
    first, second = mixed_report.expected
    assert_blocks([b for b in content.blocks if b.page == 1], first, 1)
    assert_blocks([b for b in content.blocks if b.page == 2], second, 2)


def test_ocr_of_text_pages_finds_the_text_layer_structure(report: Generated) -> None:
    """Engine OCR on a digital document: OCR sizes land on the text layer's styles."""

    def structure(engine: str) -> list[tuple[int, str, int | None]]:
        content = run_pipeline(report.path, ExtractOptions(engine=engine, pages=(1, 3)))
        return [
            (b.page, b.type, b.level) for b in content.blocks if b.type in (*STRUCTURE, "HEADER", "FOOTER")
        ]

    assert structure("OCR") == structure("TEXT")


def test_plain_scanned_text_has_no_headings(scanned: Generated, pdf_dir: Path) -> None:
    times = pdf_dir / "scanned-times.pdf"
    drawn = generate.scanned_plain_pdf(times)
    for path, expected in ((scanned.path, scanned.expected), (times, drawn)):
        content = run_pipeline(path, ExtractOptions(engine="AUTO"))
        assert {b.type for b in content.blocks} == {"PARAGRAPH"}, path
        got = words(" ".join(b.text for b in content.blocks))
        assert in_order_ratio(words(" ".join(expected)), got) >= 0.9


def test_a_line_the_page_ocr_dropped_is_read_on_its_own(scanned_report: Generated) -> None:
    """Tesseract's single-block mode sometimes drops a title; here it is dropped by
    hand, and found again from the ink no line covers."""
    with pymupdf.open(scanned_report.path) as doc:
        page = doc[0]
        textpage = ocr_textpage(page, "eng", DICT_FLAGS)
        lines = page_lines(page.get_text("dict", textpage=textpage))
        assert not missed_bands(page, lines)
        title = [ln for ln in lines if in_order_ratio(words(generate.SCAN_TITLE), words(ln.text)) >= 0.6]
        assert len(title) == 1
        rest = [ln for ln in lines if ln is not title[0]]
        found = missed_lines(page, rest, "eng", DICT_FLAGS)
    assert [ln.text for ln in found] == [title[0].text]
    assert found[0].bbox == pytest.approx(title[0].bbox, abs=1.5)


def test_ocr_noise_from_an_image_is_no_heading() -> None:
    path = CORPUS / "023-cmyk-image" / "cmyk-image.pdf"
    content = run_pipeline(path, ExtractOptions(engine="AUTO"))
    assert content.metadata.ocr_pages == [1]
    assert not [b for b in content.blocks if b.type in STRUCTURE]


# ---- the size logic, on lines shaped like an OCR text page's --------------------------------

BODY = 11.0
# Ink heights in em: cap height plus descender, cap height alone.
FULL, CAPS = 0.94, 0.73


def ocr_line(
    text: str, y: float, size: float, x0: float = 72.0, ink: float = FULL, width: float = 0.44
) -> Line:
    """A line of OCR text at type `size`: its box as tall as its glyphs reach,
    its letters `width` ems wide."""
    return Line(text, (x0, y, x0 + len(text) * width * size, y + ink * size), 0.0, False)


BODY_TEXT = "harbor garden ember nectar typography lantern willow quartz"


def paragraph(y: float, lines: int = 4) -> tuple[list[Line], float]:
    out = [ocr_line(BODY_TEXT, y + i * BODY * 1.35, BODY) for i in range(lines)]
    return out, y + lines * BODY * 1.35


def test_glyph_size_reads_the_type_size_from_the_glyphs_present() -> None:
    assert glyph_size("Results", CAPS * 18) == pytest.approx(18, rel=0.02)
    assert glyph_size("typography", FULL * 11) == pytest.approx(11, rel=0.02)
    assert glyph_size("summer", 6.0) is None  # x-height only: no size to trust


def test_settled_sizes_keep_headings_and_distrust_swollen_boxes() -> None:
    lines, y = paragraph(100)
    lines.append(ocr_line("Results", y + 12, 18, ink=CAPS))
    more, y = paragraph(y + 40)
    lines += more
    # A row as tall as a heading but with body-width letters (two rows merged).
    lines.append(ocr_line("harbor garden ember nectar quartz", y + 20, 18, width=0.44 * BODY / 18))
    # Noise from a figure: big, but no words.
    lines.append(ocr_line("~ | .. ;", y + 60, 20))
    more, _ = paragraph(y + 100)
    lines += more
    page = settle_sizes(lines)
    assert page.body_size == BODY
    sizes = {ln.text: ln.size for ln in page.lines}
    assert sizes["Results"] == 18.0
    assert sizes["harbor garden ember nectar quartz"] == BODY
    assert sizes["~ | .. ;"] == BODY


def test_a_larger_line_at_paragraph_spacing_continues_the_paragraph() -> None:
    lines, y = paragraph(100)
    lines.append(ocr_line("Heading Sized Words", y, 14, ink=CAPS))  # no space above it
    more, _ = paragraph(y + 30)
    page = settle_sizes([*lines, *more])
    assert {ln.size for ln in page.lines} == {BODY}


def test_too_little_text_gives_no_body_size() -> None:
    page = settle_sizes([ocr_line("Annual Report", 100, 24), ocr_line("ACME", 200, 12, ink=CAPS)])
    assert page.body_size is None
    assert [ln.size for ln in page.lines] == [24.0, 12.0]


def test_misread_bullets_need_a_second_item() -> None:
    items = [
        ocr_line(t, 100 + i * 16, BODY, x0=82) for i, t in enumerate(["e Copper checks", "¢ Meadow tests"])
    ]
    assert [ln.text for ln in mark_bullets(items)] == ["\u2022 Copper checks", "\u2022 Meadow tests"]
    # A bullet apart from its text comes as a piece of its own.
    apart = [ocr_line("e", 100, BODY, x0=82), ocr_line("Copper checks", 100, BODY, x0=98)]
    apart += [ocr_line("e", 116, BODY, x0=82), ocr_line("Meadow tests", 116, BODY, x0=98)]
    assert [ln.text for ln in mark_bullets(apart)] == ["\u2022", "Copper checks", "\u2022", "Meadow tests"]
    alone = [ocr_line("© 2024 ACME Corporation", 100, BODY)]
    assert mark_bullets(alone) == alone
    # Words in some languages, before lower case: a paragraph, not a list.
    italian = [ocr_line("e il mare", 100, BODY), ocr_line("e la terra", 116, BODY)]
    assert mark_bullets(italian) == italian


def test_an_ocr_page_takes_the_document_styles() -> None:
    document = DocumentProfile(
        body_size=10.0,
        heading_styles=((14.5, True), (12.0, True), (10.0, True)),
        title_style=(20.5, True),
    )
    lines = [
        Line("Methods", (72, 100, 130, 111), 15.0, False),  # 14.3 on the document's scale
        Line("Bold Body Words", (72, 120, 160, 130), 11.5, False),  # body size: never the bold style
        Line("body text", (72, 140, 500, 150), 10.5, False),
        Line("Unknown Size", (72, 160, 200, 178), 17.0, False),
    ]
    fitted, profile = fit_ocr_page(OcrPage(tuple(lines), 10.5), document, 3, 595, 842)
    assert [ln.style for ln in fitted] == [(14.5, True), (10.0, False), (10.0, False), (16.0, False)]
    assert profile is document
    assert [profile.heading_level(ln.style) for ln in fitted] == [1, None, None, 1]
