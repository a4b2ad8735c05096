"""Open a PDF safely and tell what kind it is, fast enough for upload time.

`inspect_pdf` runs inside the API request that receives an upload, so it must
stay cheap on a 1000-page file. Whether a page has a text layer is decided
from its font resources (`page.get_fonts()`, ~0.04 ms/page) instead of
extracting text (`get_text`, ~0.9 ms/page): a page that shows glyphs must
reference a font. The rare page that lists a font but draws no glyph is caught
later by the extractor, which OCRs a "text" page that yields no text under
AUTO.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from jobs.pdf.errors import EncryptedPdf, InvalidPdf
from jobs.pdf.text_hygiene import clean_text

Source = str | Path | bytes

# Producers sometimes write junk (a file name, "untitled", "Microsoft Word -
# report.docx") into /Title; such a title is worse than the one on page 1.
_JUNK_TITLE = re.compile(
    r"^(untitled|title|document\d*|none|null|unknown|slide \d+)$|\.(pdf|docx?|odt|tex|dvi|ps|rtf|txt|html?)$",
    re.IGNORECASE,
)
# A lower-case slug such as "imagemagick-images" or "report_final_v2" is a file name that
# the producer copied into the metadata, not a title a person wrote.
_FILE_NAME_TITLE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)+$")
_WORD_PREFIX = re.compile(r"^microsoft (word|powerpoint|excel) - ", re.IGNORECASE)


@dataclass(slots=True)
class PdfInspection:
    page_count: int
    pdf_type: str  # STRUCTURED / SCANNED / MIXED
    has_text: list[bool]  # per page, index 0 = page 1
    has_images: list[bool] = field(default_factory=list)
    title: str | None = None  # metadata title, only when meaningful
    encrypted: bool = False

    def needs_ocr(self, page: int) -> bool:
        """Whether AUTO must OCR this 1-based page: no text layer, but something drawn."""
        i = page - 1
        return not self.has_text[i] and self.has_images[i]


def _read_head(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source[:1024]
    try:
        with open(source, "rb") as fh:
            return fh.read(1024)
    except OSError as exc:
        raise InvalidPdf(f"cannot read the file: {exc.strerror or exc}") from exc


def _without_path(exc: Exception, source: Source) -> str:
    """MuPDF's message with the file's path taken out ("Failed to open file 'data/tmp/...'"):
    messages reach clients, who never learn the layout of the server's disk."""
    message = str(exc)
    if not isinstance(source, bytes):
        message = message.replace(f" '{source}'", "").replace(str(source), "the file")
    return message


@contextmanager
def open_pdf(source: Source, password: str | None = None) -> Iterator[pymupdf.Document]:
    """Open `source` as a PDF, authenticated, or raise InvalidPdf / EncryptedPdf.

    Files are always opened as PDF (by path MuPDF would sniff other formats).
    A file without a %PDF header in its first KiB is still read when MuPDF
    makes a PDF of it (a header lost to a mail gateway or a bad upload), but
    only if a page of it draws something: MuPDF "repairs" almost any bytes
    into a document with an empty page.
    """
    headerless = b"%PDF" not in _read_head(source)
    try:
        if isinstance(source, bytes):
            doc = pymupdf.open(stream=source, filetype="pdf")
        else:
            doc = pymupdf.open(str(source), filetype="pdf")
    except Exception as exc:  # MuPDF raises FileDataError, RuntimeError, ValueError...
        if headerless:
            raise InvalidPdf("not a PDF file (no %PDF header)") from exc
        raise InvalidPdf(f"the PDF cannot be opened: {_without_path(exc, source)}") from exc
    try:
        if doc.needs_pass:
            if not password:
                raise EncryptedPdf("the PDF is encrypted; a password is required")
            if not doc.authenticate(password):
                raise EncryptedPdf("the password for this PDF is wrong")
        try:
            page_count = doc.page_count
        except Exception as exc:
            raise InvalidPdf(f"the PDF page tree is unreadable: {exc}") from exc
        if page_count < 1:
            raise InvalidPdf("the PDF has no pages (empty or truncated)")
        if headerless and not _draws_something(doc):
            raise InvalidPdf("not a PDF file (no %PDF header)")
        yield doc
    finally:
        doc.close()


def _draws_something(doc: pymupdf.Document, pages: int = 5) -> bool:
    """Whether one of the first `pages` pages has a content stream."""
    for i in range(min(pages, doc.page_count)):
        try:
            if doc.load_page(i).read_contents().strip():
                return True
        except Exception:  # an unreadable page draws nothing
            continue
    return False


def meaningful_title(raw: str | None) -> str | None:
    if not raw:
        return None
    title = _WORD_PREFIX.sub("", " ".join(clean_text(raw).split()))
    if len(title) < 3 or _JUNK_TITLE.search(title) or _FILE_NAME_TITLE.match(title):
        return None
    return title


def page_has_text(page: pymupdf.Page) -> bool:
    return bool(page.get_fonts())


def page_has_images(page: pymupdf.Page) -> bool:
    # XObject images only; an inline-image-only page is rare enough to accept
    # missing it at upload time (the extractor still sees its pixels).
    return bool(page.get_images())


def pdf_type_of(has_text: list[bool], has_images: list[bool]) -> str:
    """STRUCTURED when every non-blank page has text, SCANNED when none has."""
    text = sum(has_text)
    scanned = sum(1 for t, i in zip(has_text, has_images, strict=True) if not t and i)
    if scanned == 0:
        return "STRUCTURED"
    if text == 0:
        return "SCANNED"
    return "MIXED"


def inspect_document(doc: pymupdf.Document, pages: Sequence[int] | None = None) -> PdfInspection:
    """Every page, or only the 1-based `pages` (the rest count as text pages without images)."""
    has_text = [True] * doc.page_count
    has_images = [False] * doc.page_count
    for number in range(1, doc.page_count + 1) if pages is None else pages:
        try:
            page = doc.load_page(number - 1)
            has_text[number - 1], has_images[number - 1] = page_has_text(page), page_has_images(page)
        except Exception:
            # An unreadable page (a cycle in the page tree) is skipped by the extraction
            # with a warning; the rest of the file is read.
            has_text[number - 1], has_images[number - 1] = False, False
    metadata = doc.metadata or {}
    return PdfInspection(
        page_count=doc.page_count,
        pdf_type=pdf_type_of(has_text, has_images),
        has_text=has_text,
        has_images=has_images,
        title=meaningful_title(metadata.get("title")),
        encrypted=bool(doc.is_encrypted or doc.needs_pass or metadata.get("encryption")),
    )


def inspect_pdf(source: Source, password: str | None = None) -> PdfInspection:
    """Validate a PDF and describe it; raises InvalidPdf or EncryptedPdf."""
    with open_pdf(source, password) as doc:
        return inspect_document(doc)


__all__ = [
    "PdfInspection",
    "inspect_document",
    "inspect_pdf",
    "meaningful_title",
    "open_pdf",
    "pdf_type_of",
]
