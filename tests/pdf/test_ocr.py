"""Engines: AUTO OCRs only pages without text, TEXT never, OCR always, LLM_OCR defers."""

from __future__ import annotations

import pytest

from jobs.pdf.ocr import (
    OcrUnavailable,
    available_languages,
    check_language,
    estimate_confidence,
    find_tessdata,
)
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from tests.pdf.conftest import Generated
from tests.pdf.wordmatch import in_order_ratio, tokens


def lower_words(text: list[str]) -> list[str]:
    return [w.lower().strip(".,") for w in tokens(text)]


def test_tesseract_found() -> None:
    assert find_tessdata()
    assert {"eng", "deu"} <= set(available_languages())
    assert check_language("eng+deu")


def test_missing_language_is_a_clear_error(scanned: Generated) -> None:
    with pytest.raises(OcrUnavailable, match="klingon"):
        check_language("eng+klingon")
    with pytest.raises(OcrUnavailable) as err:
        run_pipeline(scanned.path, ExtractOptions(ocr_language="klingon"))
    assert err.value.code == "BAD_USER_INPUT"


def test_auto_ocrs_an_image_only_page(scanned: Generated) -> None:
    content = run_pipeline(scanned.path, ExtractOptions(engine="AUTO", ocr_language="eng+deu"))
    assert content.metadata.ocr_pages == [1]
    got = lower_words([b.text for b in content.blocks])
    expected = lower_words(scanned.expected)
    assert in_order_ratio(expected, got) >= 0.9
    assert 0.5 < content.metadata.confidence <= 1.0
    assert not any(b.type == "IMAGE" for b in content.blocks)  # the scan itself is not a figure


def test_auto_never_ocrs_a_text_page(mixed: Generated) -> None:
    text_words, image_words = mixed.expected
    content = run_pipeline(mixed.path, ExtractOptions(engine="AUTO"))
    assert content.metadata.ocr_pages == [2]
    page1 = tokens(b.text for b in content.blocks if b.page == 1)
    assert page1 == text_words  # exact: read from the text layer
    page2 = lower_words([b.text for b in content.blocks if b.page == 2])
    assert in_order_ratio(lower_words(image_words), page2) >= 0.9


def test_text_engine_never_ocrs(mixed: Generated) -> None:
    content = run_pipeline(mixed.path, ExtractOptions(engine="TEXT"))
    assert content.metadata.ocr_pages == []
    assert {b.page for b in content.blocks if b.text} == {1}


def test_ocr_engine_ocrs_every_page(mixed: Generated) -> None:
    content = run_pipeline(mixed.path, ExtractOptions(engine="OCR"))
    assert content.metadata.ocr_pages == [1, 2]
    text_words, _ = mixed.expected
    page1 = lower_words([b.text for b in content.blocks if b.page == 1])
    assert in_order_ratio(lower_words(text_words), page1) >= 0.9


def test_llm_ocr_reports_pages_and_keeps_the_text_layer(mixed: Generated) -> None:
    content = run_pipeline(mixed.path, ExtractOptions(engine="LLM_OCR"))
    assert content.llm_ocr_pages == [1, 2]
    assert content.metadata.ocr_pages == []  # nothing OCRed locally
    assert any(b.page == 1 for b in content.blocks)
    assert "llm_ocr_pages" not in str(content.to_dict())  # internal only


def test_confidence_estimate() -> None:
    assert estimate_confidence("") == 0.0
    assert estimate_confidence("The quick, brown fox (jumps) 42%.") == 1.0
    assert estimate_confidence("~~ |\\ ,:; fox") < 0.5
