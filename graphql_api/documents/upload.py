"""Receiving an upload and deciding whether it may become a job.

    async with received_upload(upload, settings, max_bytes) as received:   # temp file, removed on exit
        admission = await admit_pdf(received.path, options, caller, settings)

`received_upload` streams the multipart file part in 1 MiB chunks into a temp
file under DATA_DIR/tmp, hashing SHA-256 and counting the size on the way, and
stops with PAYLOAD_TOO_LARGE as soon as the limit is passed. The temp file is
removed when the block ends, whatever happened inside it.

`admit_pdf` runs the checks that need the PDF itself, all before anything is
stored: it opens the file with PyMuPDF off the event loop (INVALID_PDF,
ENCRYPTED_PDF), resolves the selected pages (BAD_USER_INPUT past the end),
applies the caller's page limit (TOO_MANY_PAGES) from the page count alone,
before looking at any page, inspects only the selected pages, refuses pages
whose images decode to more than MAX_IMAGE_PIXELS (PAYLOAD_TOO_LARGE), makes
sure the OCR languages are installed when a page will be OCRed, and estimates
the credits.
"""

from __future__ import annotations

import asyncio
import os
import threading
import unicodedata
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from docat.admin_settings import get_setting
from docat.credits import credit_limit, page_cost
from docat.errors import InsufficientCredits
from docat.settings import Settings
from docat.storage.digest import StreamDigest
from graphql_api.documents.options import OCR_ENGINES, ValidatedOptions
from jobs.pdf.analyze import PdfInspection, inspect_document, open_pdf
from jobs.pdf.errors import InvalidPdf, TooManyPages
from jobs.pdf.image_budget import check_image_pixels
from jobs.pdf.ocr import check_language
from models import Role, User

CHUNK_SIZE = 1024 * 1024
MAX_FILENAME = 255
DEFAULT_FILENAME = "document.pdf"
# PyMuPDF is not thread-safe: inspections in this process take turns (each takes milliseconds).
_PYMUPDF_LOCK = threading.Lock()
# The PDF spec puts %%EOF within the last 1024 bytes.
_EOF_WINDOW = 1024


class ChunkReader(Protocol):
    """What we need of starlette's UploadFile (and of anything tests pass instead)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    path: Path
    size: int
    sha256: str
    filename: str  # for display only, sanitized


@dataclass(frozen=True, slots=True)
class Admission:
    inspection: PdfInspection
    pages: tuple[int, ...]  # the selected 1-based pages
    cost: int  # credits to hold (the worst case of this run)


def display_filename(raw: str | None) -> str:
    """The user's name as shown back: last path segment, no control or bidi characters, ≤ 255."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    # Category C: controls, format characters (U+202E would spoof "fdp.exe"), surrogates.
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split())
    if not name or name in (".", ".."):
        return DEFAULT_FILENAME
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        name = (stem if ext else name)[: MAX_FILENAME - len(ext)] + ext
    return name


def temp_dir(settings: Settings) -> Path:
    return settings.data_dir / "tmp"


# "upload-<pid>-<random>.pdf": the process that receives an upload names its temp file, so a
# process started later can tell the files of a dead one (killed mid-upload: no `finally`
# ran) from those of a live neighbour sharing DATA_DIR.
_UPLOAD_PREFIX = "upload-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_orphan_uploads(settings: Settings) -> int:
    """Delete the upload temp files of processes that no longer run; returns how many."""
    removed = 0
    directory = temp_dir(settings)
    for path in directory.glob(f"{_UPLOAD_PREFIX}*.pdf") if directory.is_dir() else ():
        owner = path.name.removeprefix(_UPLOAD_PREFIX).split("-", 1)[0]
        if owner.isdigit() and int(owner) != os.getpid() and not _pid_alive(int(owner)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


async def _copy_to(upload: ChunkReader, path: Path, max_bytes: int) -> StreamDigest:
    digest = StreamDigest(max_bytes)
    file = await asyncio.to_thread(open, path, "xb")
    try:
        while chunk := await upload.read(CHUNK_SIZE):
            digest.add(chunk)  # raises PayloadTooLarge before the chunk is written
            await asyncio.to_thread(file.write, chunk)
    finally:
        await asyncio.to_thread(file.close)
    return digest


@asynccontextmanager
async def received_upload(
    upload: ChunkReader, settings: Settings, max_bytes: int
) -> AsyncIterator[ReceivedFile]:
    directory = temp_dir(settings)
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    path = directory / f"{_UPLOAD_PREFIX}{os.getpid()}-{uuid.uuid4().hex}.pdf"
    try:
        digest = await _copy_to(upload, path, max_bytes)
        if digest.size == 0:
            raise InvalidPdf("the file is empty")
        yield ReceivedFile(path, digest.size, digest.sha256, display_filename(upload.filename))
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    """A local file as chunks for Storage.put_stream, read off the event loop."""
    file = await asyncio.to_thread(open, path, "rb")
    try:
        while chunk := await asyncio.to_thread(file.read, CHUNK_SIZE):
            yield chunk
    finally:
        await asyncio.to_thread(file.close)


def _ends_with_eof(path: Path) -> bool:
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(0, size - _EOF_WINDOW))
        return b"%%EOF" in fh.read()


def _inspect(
    path: Path, password: str | None, choose: Callable[[int], tuple[int, ...]], max_pixels: int
) -> tuple[PdfInspection, tuple[int, ...]]:
    with _PYMUPDF_LOCK, open_pdf(path, password) as doc:
        # MuPDF rebuilds a truncated file into something it can open; a repaired file
        # without its end marker was cut off, and would lose pages or content later.
        if doc.is_repaired and not _ends_with_eof(path):
            raise InvalidPdf("the PDF is truncated")
        # The page count is known at open: the page limit refuses a 60,000-page file before
        # any per-page work, and only the selected pages are looked at after it.
        pages = choose(doc.page_count)
        inspection = inspect_document(doc, pages)
        check_image_pixels(doc, pages, max_pixels)  # an image bomb, before anything decodes it
        return inspection, pages


async def inspect_file(
    path: Path, password: str | None, choose: Callable[[int], tuple[int, ...]], max_pixels: int
) -> tuple[PdfInspection, tuple[int, ...]]:
    """INVALID_PDF, ENCRYPTED_PDF, the caller's refusals, or what the chosen pages hold; off the loop."""
    return await asyncio.to_thread(_inspect, path, password, choose, max_pixels)


async def page_limit(settings: Settings, role: Role) -> int:
    key = "max_pages_admin" if role == Role.ADMIN else "max_pages_user"
    return int(await get_setting(settings, key))


def estimate_cost(inspection: PdfInspection, pages: tuple[int, ...], engine: str) -> int:
    """1 credit per text page, 5 per OCR page; the hold covers the worst case of the engine."""
    if engine in OCR_ENGINES:
        return len(pages) * page_cost(True)
    if engine == "TEXT":
        return len(pages) * page_cost(False)
    return sum(page_cost(inspection.needs_ocr(page)) for page in pages)


def will_ocr(inspection: PdfInspection, pages: tuple[int, ...], engine: str) -> bool:
    """Whether Tesseract runs: OCR always, AUTO on image-only pages; TEXT and LLM_OCR never."""
    if engine == "OCR":
        return True
    return engine == "AUTO" and any(inspection.needs_ocr(page) for page in pages)


async def admit_pdf(path: Path, options: ValidatedOptions, caller: User, settings: Settings) -> Admission:
    limit = await page_limit(settings, caller.role)

    def choose(page_count: int) -> tuple[int, ...]:
        pages = options.selected_pages(page_count)
        if len(pages) > limit:
            raise TooManyPages(
                f"{len(pages)} pages selected; the limit is {limit} pages per document "
                "(select fewer with options.pages)",
                pages=len(pages),
                maxPages=limit,
            )
        return pages

    inspection, pages = await inspect_file(path, options.password, choose, settings.max_image_pixels)
    if will_ocr(inspection, pages, options.engine):
        check_language(options.ocr_language)  # BAD_USER_INPUT when a language is missing
    return Admission(inspection, pages, estimate_cost(inspection, pages, options.engine))


async def ensure_credits(settings: Settings, owner_id: uuid.UUID, cost: int) -> None:
    """A cheap early answer before anything is stored; credits.reserve stays the authority."""
    owner = await User.get(id=owner_id)
    available = await credit_limit(settings, owner) - owner.credits_used - owner.credits_reserved
    if cost > available:
        raise InsufficientCredits(
            f"this job needs up to {cost} credits and {max(available, 0)} are left; "
            "ask an administrator for more"
        )
