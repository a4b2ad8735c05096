from __future__ import annotations

import json

import pytest

from jobs.pdf.content import ContentBlock, ContentMetadata, ExtractedContent, TableData
from jobs.pdf.markdown import to_markdown, to_text
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from tests.pdf import generate
from tests.pdf.conftest import Generated

BOX = (0.0, 0.0, 10.0, 10.0)


@pytest.fixture
def content() -> ExtractedContent:
    table = TableData(
        headers=["Name", "A|B"],
        rows=[["x", "1"], ["y", "2"]],
        translated_headers=["Nom", "A|B"],
        translated_rows=[["x", "un"], ["y", "deux"]],
    )
    blocks = [
        ContentBlock(1, "HEADER", "Running header", BOX),
        ContentBlock(1, "TITLE", "The Title", BOX, translated_text="Le Titre"),
        ContentBlock(1, "HEADING", "Intro", BOX, level=1, translated_text="Intro FR"),
        ContentBlock(1, "PARAGRAPH", "Hello world.", BOX, translated_text="Bonjour le monde."),
        ContentBlock(1, "LIST_ITEM", "one", BOX),
        ContentBlock(1, "LIST_ITEM", "two", BOX, translated_text="deux"),
        ContentBlock(2, "HEADING", "Details", BOX, level=2),
        ContentBlock(2, "TABLE", "Name | A|B", BOX, table=table),
        ContentBlock(2, "CAPTION", "Table 1. Numbers", BOX),
        ContentBlock(2, "IMAGE", "", BOX),
        ContentBlock(2, "FOOTER", "Page 2", BOX),
    ]
    return ExtractedContent("The Title", 2, blocks, ContentMetadata(word_count=12, ocr_pages=[2]))


def test_markdown_shape(content: ExtractedContent) -> None:
    assert to_markdown(content) == (
        "# The Title\n\n"
        "## Intro\n\n"
        "Hello world.\n\n"
        "- one\n- two\n\n"
        "### Details\n\n"
        "| Name | A\\|B |\n| --- | --- |\n| x | 1 |\n| y | 2 |\n\n"
        "*Table 1. Numbers*\n"
    )


def test_markdown_translated_falls_back_to_original(content: ExtractedContent) -> None:
    md = to_markdown(content, translated=True)
    assert "# Le Titre" in md
    assert "## Intro FR" in md
    assert "- one\n- deux" in md  # "one" has no translation
    assert "| Nom | A\\|B |" in md and "| y | deux |" in md
    assert "### Details" in md


def test_text_shape(content: ExtractedContent) -> None:
    text = to_text(content)
    assert text.startswith("The Title\n\nIntro\n\nHello world.\n\n- one\n\n- two\n\nDetails\n\n")
    assert "Name\tA|B\nx\t1\ny\t2" in text
    assert "Running header" not in text and "Page 2" not in text
    assert "Bonjour le monde." in to_text(content, translated=True)


def test_markdown_without_title_block() -> None:
    content = ExtractedContent("Meta Title", 1, [ContentBlock(1, "PARAGRAPH", "x", BOX)], ContentMetadata())
    assert to_markdown(content) == "# Meta Title\n\nx\n"
    assert to_markdown(ExtractedContent(None, 1, [], ContentMetadata())) == ""


def test_json_round_trip(content: ExtractedContent) -> None:
    data = json.loads(json.dumps(content.to_dict()))
    assert set(data) == {"title", "pageCount", "blocks", "metadata"}
    assert set(data["blocks"][0]) == {"page", "type", "level", "text", "translatedText", "bbox", "table"}
    again = ExtractedContent.from_dict(data)
    assert again.to_dict() == content.to_dict()


def test_real_extraction_round_trips_and_renders(report: Generated) -> None:
    content = run_pipeline(report.path, ExtractOptions(engine="TEXT"))
    data = json.loads(json.dumps(content.to_dict()))
    assert ExtractedContent.from_dict(data).to_dict() == data
    md = to_markdown(content)
    assert md.startswith(f"# {generate.TITLE}\n\n## Introduction\n")
    assert "### Background Details" in md
    assert "| Region | Units | Revenue | Growth |\n| --- | --- | --- | --- |\n| North | 1200 |" in md
    assert generate.HEADER not in md
