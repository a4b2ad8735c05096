from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from jobs.pdf.analyze import inspect_pdf, meaningful_title
from jobs.pdf.errors import EncryptedPdf, InvalidPdf
from tests.fixtures.corpus import CORPUS
from tests.pdf.conftest import Generated

PASSWORD_PDF = CORPUS / "005-libreoffice-writer-password" / "libreoffice-writer-password.pdf"

# A syntactically fine PDF whose page tree is empty.
ZERO_PAGES = (
    b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type/Pages/Kids[]/Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)


def test_structured_pdf(report: Generated) -> None:
    info = inspect_pdf(report.path)
    assert info.page_count == 3
    assert info.pdf_type == "STRUCTURED"
    assert info.has_text == [True, True, True]
    assert info.has_images == [False, False, True]
    assert info.title is None  # "report.docx" is a file name, not a title
    assert not info.encrypted


def test_scanned_and_mixed(scanned: Generated, mixed: Generated) -> None:
    assert inspect_pdf(scanned.path).pdf_type == "SCANNED"
    info = inspect_pdf(mixed.path)
    assert info.pdf_type == "MIXED"
    assert info.has_text == [True, False]
    assert not info.needs_ocr(1) and info.needs_ocr(2)


def test_bytes_and_path_agree(report: Generated) -> None:
    assert inspect_pdf(report.path.read_bytes()) == inspect_pdf(str(report.path))


def test_metadata_title_kept_when_meaningful(tmp_path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "hello")
    doc.set_metadata({"title": "Annual Report 2024"})
    path = tmp_path / "t.pdf"
    doc.save(path)
    assert inspect_pdf(path).title == "Annual Report 2024"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("untitled", None),
        ("scan0001.pdf", None),
        ("Microsoft Word - Budget Plan", "Budget Plan"),
        ("  The   Crazy Ones ", "The Crazy Ones"),
        ("imagemagick-images", None),
        ("report_final_v2", None),
        ("COVID-19 Guidance", "COVID-19 Guidance"),
        ("Self-Assessment", "Self-Assessment"),
    ],
)
def test_meaningful_title(raw: str | None, expected: str | None) -> None:
    assert meaningful_title(raw) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, I am a text file\n" * 10,
        b"\x89PNG\r\n\x1a\n" + b"\0" * 200,
        b"%PDF-1.7\n" + b"\xde\xad\xbe\xef" * 100,
        ZERO_PAGES,
    ],
    ids=["empty", "text", "png", "garbage-after-magic", "zero-pages"],
)
def test_invalid_bytes(data: bytes) -> None:
    with pytest.raises(InvalidPdf):
        inspect_pdf(data)


def test_truncated_pdf(report: Generated) -> None:
    data = report.path.read_bytes()
    with pytest.raises(InvalidPdf):
        inspect_pdf(data[:200])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidPdf):
        inspect_pdf(tmp_path / "nope.pdf")


def test_encrypted_needs_the_right_password() -> None:
    with pytest.raises(EncryptedPdf) as no_password:
        inspect_pdf(PASSWORD_PDF)
    assert no_password.value.code == "ENCRYPTED_PDF"
    with pytest.raises(EncryptedPdf):
        inspect_pdf(PASSWORD_PDF, "wrong-password")
    info = inspect_pdf(PASSWORD_PDF, "openpassword")
    assert info.page_count >= 1
    assert info.encrypted
