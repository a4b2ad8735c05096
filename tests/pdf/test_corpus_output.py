"""The shared corpus of real-world PDFs: what comes out, not only that something does.

For every file (the encrypted one with its password): the words come back
(recall against PyMuPDF's raw text of the same pages), no control character
anywhere, and no text twice (tables on top of tables, a table and the lines
it holds): no word comes back more often than the page draws it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pymupdf
import pytest

from jobs.pdf.content import ContentBlock, ExtractedContent
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from tests.fixtures.corpus import CORPUS, ENCRYPTED_PASSWORD, ENCRYPTED_PDF

PASSWORDS = {ENCRYPTED_PDF.name: ENCRYPTED_PASSWORD}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WORD = re.compile(r"\w+")
MIN_RECALL = 0.9
MAX_EXCESS = 0.03  # share of the words that may come back more often than drawn (hyphenation, joins)


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    return _WORD.findall(text)


def _block_texts(block: ContentBlock) -> list[str]:
    if block.table:
        return [*block.table.headers, *(c for row in block.table.rows for c in row)]
    return [block.text]


def _corpus() -> list[Path]:
    return sorted(CORPUS.rglob("*.pdf"))


@pytest.fixture(scope="module")
def extracted() -> dict[str, tuple[ExtractedContent, dict[int, str]]]:
    out = {}
    for path in _corpus():
        password = PASSWORDS.get(path.name)
        content = run_pipeline(path, ExtractOptions(engine="TEXT", password=password))
        with pymupdf.open(path) as doc:
            if password:
                doc.authenticate(password)
            raw = {i + 1: doc.load_page(i).get_text() for i in range(doc.page_count)}
        out[path.name] = (content, raw)
    return out


def test_the_corpus_is_there() -> None:
    assert len(_corpus()) >= 20


@pytest.mark.parametrize("name", [p.name for p in _corpus()])
def test_words_come_back_once_and_clean(
    extracted: dict[str, tuple[ExtractedContent, dict[int, str]]], name: str
) -> None:
    content, raw = extracted[name]
    drawn = Counter(w for text in raw.values() for w in _words(text))
    got = Counter(w for b in content.blocks for t in _block_texts(b) for w in _words(t))
    for block in content.blocks:
        for text in _block_texts(block):
            assert not _CONTROL.search(text), (block.page, block.type, text[:80])
    if content.title:
        assert not _CONTROL.search(content.title)
    total = sum(drawn.values())
    if total == 0:
        return  # scans: nothing for the text layer to compare with
    recall = sum((drawn & got).values()) / total
    assert recall >= MIN_RECALL, f"{name}: recall {recall:.3f}"
    excess = sum((got - drawn).values()) / total
    assert excess <= MAX_EXCESS, f"{name}: {excess:.3f} of the words come back more often than drawn"
