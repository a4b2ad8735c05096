"""Translate a generated PDF through the fake server, render it, read it back."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pymupdf
import pytest

from docat.errors import BadUserInput
from jobs.llm.key_pool import KeyPool
from jobs.llm.openai_compat import OpenAICompatProvider
from jobs.llm.translate import translate_content
from jobs.llm.transport import RetryPolicy
from jobs.pdf.content import ContentBlock, ContentMetadata, ExtractedContent, TableData
from jobs.pdf.errors import EncryptedPdf
from jobs.pdf.translate_render import render_dual_pdf, render_translated_pdf
from tests.fixtures.fake_llm import FakeLLM

TITLE = "Annual Report"
BODY = "The company grew strongly this year."
PAGE2 = "Second page closing remarks."
HEADERS = ["Region", "Sales"]
ROWS = [["North", "100"], ["South", "250"]]
ORIGINALS = [TITLE, BODY, PAGE2, "Region", "Sales", "North", "South"]

# Per language, one translation per original (Arabic avoids lam: MuPDF's shaped
# lam glyph reads back as U+01C4, a text-extraction quirk, not a rendering one).
TRANSLATIONS = {
    "ru": ["Годовой отчёт", "Компания сильно выросла", "Заключение", "Регион", "Продажи", "Север", "Юг"],
    "zh-Hans": ["年度报告", "公司今年增长强劲", "第二页结语", "地区", "销售", "北方", "南方"],
    "ar": ["تقرير سنوي", "نمت شركتنا بقوة", "خاتمة", "منطقة", "مبيعات", "شمال", "جنوب"],
}


def translator(text: str, lang: str) -> str:
    return TRANSLATIONS[lang][ORIGINALS.index(text)]


def make_pdf(path: Path, password: str | None = None) -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 90), TITLE, fontsize=20)
    page.insert_text((72, 130), BODY, fontsize=11)
    # A red image beside the text: it must survive the redactions.
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 8, 8), False)
    pix.set_rect(pix.irect, (200, 0, 0))
    page.insert_image(pymupdf.Rect(420, 60, 520, 160), pixmap=pix)
    for r, row in enumerate([HEADERS, *ROWS]):
        for c, cell in enumerate(row):
            page.insert_text((72 + 150 * c, 220 + 25 * r), cell, fontsize=11)
    doc.new_page().insert_text((72, 90), PAGE2, fontsize=11)
    if password:
        aes = pymupdf.PDF_ENCRYPT_AES_256  # type: ignore[attr-defined]
        doc.save(path, encryption=aes, user_pw=password, owner_pw=password)
    else:
        doc.save(path)


def extract(path: Path) -> ExtractedContent:
    """Blocks as the pipeline would give them: text blocks with bboxes, the grid as one TABLE."""
    blocks: list[ContentBlock] = []
    with pymupdf.open(path) as doc:
        for pno, page in enumerate(doc, start=1):
            table_boxes = []
            for x0, y0, x1, y1, text, _no, kind in page.get_text("blocks"):
                text = " ".join(text.split())
                if kind != 0:
                    continue
                if y0 >= 200:
                    table_boxes.append(pymupdf.Rect(x0, y0, x1, y1))
                else:
                    kind_name = "TITLE" if text == TITLE else "PARAGRAPH"
                    blocks.append(ContentBlock(pno, kind_name, text, (x0, y0, x1, y1)))
            if table_boxes:
                box = table_boxes[0]
                for other in table_boxes[1:]:
                    box |= other
                blocks.append(
                    ContentBlock(
                        pno,
                        "TABLE",
                        "",
                        (box.x0, box.y0, box.x1, box.y1),
                        table=TableData(HEADERS, [list(r) for r in ROWS]),
                    )
                )
    return ExtractedContent(TITLE, 2, blocks, ContentMetadata(source_language="en"))


def read(page: pymupdf.Page, rect: pymupdf.Rect | tuple[float, ...] | None = None) -> str:
    """Page text in a box, NFKC-normalized (Arabic comes back as presentation forms)."""
    if rect is not None:
        rect = pymupdf.Rect(rect)
        rect = pymupdf.Rect(rect.x0 - 3, rect.y0 - 3, rect.x1 + 3, rect.y1 + 3)
    text = page.get_text("text", clip=rect) if rect is not None else page.get_text("text")
    return " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture
def provider(fake_llm: FakeLLM, pool: KeyPool, fast_policy: RetryPolicy) -> OpenAICompatProvider:
    fake_llm.translate_mode(translator)
    return OpenAICompatProvider(pool, base_url=fake_llm.base_url, policy=fast_policy)


SCRIPT = {"ru": r"[\u0400-\u04FF]", "zh-Hans": r"[\u4E00-\u9FFF]", "ar": r"[\u0600-\u06FF]"}


@pytest.mark.parametrize("lang", ["ru", "zh-Hans", "ar"])
async def test_translated_and_dual_pdf(lang: str, tmp_path: Path, provider: OpenAICompatProvider) -> None:
    source = tmp_path / "source.pdf"
    make_pdf(source)
    content = extract(source)
    await translate_content(provider, content, lang)
    expected = dict(zip(ORIGINALS, TRANSLATIONS[lang], strict=True))

    out = render_translated_pdf(source, None, content)
    with pymupdf.open("pdf", out) as doc:
        assert doc.page_count == 2
        whole = read(doc[0]) + " " + read(doc[1])
        assert re.search(SCRIPT[lang], whole)
        for original in ORIGINALS:
            assert original not in whole, f"{original!r} survived"
        for block in content.blocks:
            if block.table is None:
                # A longer translation may take the free space right of its box (a title keeps its size).
                x0, y0, _, y1 = block.bbox
                assert expected[block.text] in read(doc[block.page - 1], (x0, y0, 415, y1))
            else:
                cells = read(doc[0], block.bbox)
                for cell in ["Region", "Sales", "North", "South"]:
                    assert expected[cell] in cells
                assert "100" in cells and "250" in cells  # numbers are left alone
        assert len(doc[0].get_images()) == 1  # the image stayed

    dual = render_dual_pdf(source, None, content)
    with pymupdf.open("pdf", dual) as doc, pymupdf.open(source) as original:
        assert doc.page_count == 2
        width, height = original[0].rect.width, original[0].rect.height
        assert doc[0].rect.width == pytest.approx(2 * width)
        left = read(doc[0], (0, 0, width, height))
        right = read(doc[0], (width, 0, 2 * width, height))
        assert TITLE in left and BODY in left and TITLE not in right
        assert expected[TITLE] in right and expected[BODY] in right
        assert PAGE2 in read(doc[1]) and expected[PAGE2] in read(doc[1])


async def test_encrypted_source_needs_its_password(tmp_path: Path) -> None:
    source = tmp_path / "locked.pdf"
    make_pdf(source, password="s3cret")
    content = ExtractedContent(
        TITLE,
        2,
        [ContentBlock(2, "PARAGRAPH", PAGE2, (70, 75, 300, 95), translated_text="Schluss")],
        ContentMetadata(target_language="de"),
    )
    with pytest.raises(EncryptedPdf):
        render_translated_pdf(source, None, content)
    out = render_translated_pdf(source, "s3cret", content)
    with pymupdf.open("pdf", out) as doc:
        assert not doc.needs_pass  # the copy is not encrypted
        assert "Schluss" in read(doc[1]) and PAGE2 not in read(doc[1])


def test_untranslated_content_leaves_the_pdf_text_alone(tmp_path: Path) -> None:
    source = tmp_path / "source.pdf"
    make_pdf(source)
    out = render_translated_pdf(source, None, extract(source))
    with pymupdf.open("pdf", out) as doc:
        assert TITLE in read(doc[0]) and BODY in read(doc[0])


async def test_unknown_target_language_is_bad_input(provider: OpenAICompatProvider) -> None:
    with pytest.raises(BadUserInput):
        await translate_content(provider, ExtractedContent(None, 0, [], ContentMetadata()), "xx-klingon")
