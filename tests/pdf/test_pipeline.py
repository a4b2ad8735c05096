"""Chunking, the process pool, assembling, rendering, and the real-world corpus."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from docat.errors import DocatError
from jobs.pdf.content import ContentBlock, PageContent
from jobs.pdf.errors import EncryptedPdf, PdfError, TooManyPages
from jobs.pdf.extract import extract_pages
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import assemble, plan_chunks, run_pipeline
from jobs.pdf.profile import profile_document, sample_pages
from jobs.pdf.render import render_page_png
from tests.fixtures.corpus import CORPUS
from tests.pdf.conftest import Generated
from tests.pdf.test_analyze import PASSWORD_PDF


def test_plan_chunks() -> None:
    assert plan_chunks([], 4) == []
    assert plan_chunks([1, 2, 3], 4) == [[1], [2], [3]]
    chunks = plan_chunks(list(range(1, 1001)), 4, max_chunk=25)
    assert [p for c in chunks for p in c] == list(range(1, 1001))
    assert max(len(c) for c in chunks) == 25
    chunks = plan_chunks(list(range(1, 41)), 2)
    assert len(chunks) == 8 and all(len(c) == 5 for c in chunks)


def test_sample_pages_is_bounded() -> None:
    assert sample_pages([3, 1, 2]) == [1, 2, 3]
    sample = sample_pages(range(1, 5001), limit=40)
    assert len(sample) <= 40 and sample[:5] == [1, 2, 3, 4, 5]
    assert sample[-1] > 4000  # spread over the whole document


def test_profile_pickles_small(long_doc: Generated) -> None:
    profile = profile_document(long_doc.path, None, range(1, 31))
    data = pickle.dumps(profile)
    assert pickle.loads(data) == profile
    assert len(data) < 2000
    assert "page # of #" in profile.running


def test_process_pool_matches_inline(long_doc: Generated) -> None:
    seen: list[int] = []
    inline = run_pipeline(long_doc.path, ExtractOptions())
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = run_pipeline(
            long_doc.path, ExtractOptions(), executor=pool, workers=2, on_page=lambda p: seen.append(p.page)
        )
    assert sorted(seen) == list(range(1, 31))
    assert pooled.to_dict()["blocks"] == inline.to_dict()["blocks"]
    assert pooled.metadata.word_count == inline.metadata.word_count == 30 * 120
    footers = [b for b in pooled.blocks if b.type == "FOOTER"]
    assert len(footers) == 30


def test_extract_pages_is_a_picklable_chunk_call(long_doc: Generated) -> None:
    profile = profile_document(long_doc.path, None, range(1, 31))
    with ProcessPoolExecutor(max_workers=1) as pool:
        pages = pool.submit(
            extract_pages, str(long_doc.path), None, [5, 6], ExtractOptions(), profile
        ).result(timeout=60)
    assert [p.page for p in pages] == [5, 6]
    drawn: list[list[str]] = long_doc.expected
    body = " ".join(b.text for b in pages[0].blocks if b.type == "PARAGRAPH").split()
    assert body == drawn[4]


def test_assemble_orders_pages_and_totals() -> None:
    def page(n: int, *, ocr: bool = False, confidence: float = 1.0) -> PageContent:
        block = ContentBlock(n, "TITLE" if n == 1 else "PARAGRAPH", f"text {n}", (0, 0, 1, 1))
        return PageContent(n, [block], ocr=ocr, confidence=confidence, word_count=2)

    content = assemble([page(3, ocr=True, confidence=0.5), page(1), page(2)], page_count=5, extraction_ms=12)
    assert [b.page for b in content.blocks] == [1, 2, 3]
    assert content.title == "text 1"
    assert content.page_count == 5
    assert content.metadata.word_count == 6
    assert content.metadata.ocr_pages == [3]
    assert content.metadata.confidence == pytest.approx(2.5 / 3)
    assert content.metadata.extraction_ms == 12
    assert assemble([page(2)], page_count=2, metadata_title="Meta").title == "Meta"


def test_too_many_pages(long_doc: Generated) -> None:
    with pytest.raises(TooManyPages):
        run_pipeline(long_doc.path, ExtractOptions(), max_pages=10)
    # Selecting pages brings it under the limit.
    content = run_pipeline(long_doc.path, ExtractOptions(pages=(1, 2, 3)), max_pages=10)
    assert {b.page for b in content.blocks} == {1, 2, 3}


def test_render_page_png(report: Generated) -> None:
    png = render_page_png(report.path, None, 2, dpi=72)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError):
        render_page_png(report.path, None, 4)


CORPUS_PDFS = sorted(CORPUS.rglob("*.pdf"))


def test_corpus_is_there() -> None:
    assert len(CORPUS_PDFS) >= 20


@pytest.mark.parametrize("path", CORPUS_PDFS, ids=[p.parent.name + "/" + p.name for p in CORPUS_PDFS])
def test_corpus_completes_or_fails_with_a_code(path) -> None:  # type: ignore[no-untyped-def]
    try:
        content = run_pipeline(path, ExtractOptions())
    except (DocatError, PdfError) as exc:
        assert path == PASSWORD_PDF, f"{path.name}: {exc.code} {exc}"
        assert exc.code == "ENCRYPTED_PDF"
        return
    assert content.page_count >= 1
    assert content.to_dict()["pageCount"] == content.page_count


def test_password_protected_corpus_file() -> None:
    content = run_pipeline(PASSWORD_PDF, ExtractOptions(password="openpassword"))
    assert content.page_count >= 1
    assert content.metadata.word_count > 0
    for password in (None, "nope"):
        with pytest.raises(EncryptedPdf):
            run_pipeline(PASSWORD_PDF, ExtractOptions(password=password))
    assert render_page_png(PASSWORD_PDF, "openpassword", 1, dpi=50).startswith(b"\x89PNG")


def test_plan_chunks_aims_at_a_few_chunks_per_worker() -> None:
    chunks = plan_chunks(list(range(1, 1001)), 2)
    assert [p for c in chunks for p in c] == list(range(1, 1001))
    assert len(chunks) == 20 and {len(c) for c in chunks} == {50}  # capped at MAX_CHUNK
    chunks = plan_chunks(list(range(1, 101)), 2)
    assert len(chunks) == 8 and {len(c) for c in chunks} == {12, 13}  # balanced, no short tail
    chunks = plan_chunks(list(range(1, 11)), 2, max_chunk=2)  # OCR pages: small chunks
    assert max(len(c) for c in chunks) <= 2 and sum(len(c) for c in chunks) == 10


def test_pool_process_keeps_the_document_open(long_doc: Generated, tmp_path: Path) -> None:
    from jobs.pdf import kept_document

    profile = profile_document(long_doc.path, None, range(1, 31))
    first = extract_pages(long_doc.path, None, [1, 2], ExtractOptions(), profile, True)
    kept = kept_document._kept
    assert kept is not None
    again = extract_pages(long_doc.path, None, [1, 2], ExtractOptions(), profile, True)
    assert kept_document._kept is kept and again == first  # reused, same output
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(long_doc.path.read_bytes())
    extract_pages(copy, None, [3], ExtractOptions(), profile, True)
    assert kept_document._kept is not kept and kept.doc.is_closed  # another file closes the last
    kept_document.release_document()
    assert kept_document._kept is None
    extract_pages(long_doc.path, None, [1], ExtractOptions(), profile)  # default: open and close
    assert kept_document._kept is None
