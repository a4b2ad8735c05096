"""The one document a pool process keeps open between the chunks of a job.

A job sends ~20-40 chunks of one file to the same few processes; reopening a
1,000-page file for each costs milliseconds (the xref and the page tree are
read again). A pool process therefore keeps the last document it opened and
reuses it while the same file comes back, keyed by path, inode, size, mtime
and a hash of the password; another file closes it first, so a process never
holds more than one.

Only processes that will never fork keep documents open: a forked child would
share the file offset of the parent's descriptor. The pool marks its processes
with `keep_documents_open()` (its initializer); callers that know they run in
a pool process pass `keep_open=True`. Anywhere else a document is opened and
closed per call, exactly as `open_pdf` does.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from jobs.pdf.analyze import open_pdf

Key = tuple[str, int, int, int, str]


@dataclass(slots=True)
class _Kept:
    key: Key
    doc: pymupdf.Document
    closer: ExitStack


_kept: _Kept | None = None
_keep_by_default = False


def keep_documents_open(enabled: bool = True) -> None:
    """Mark this process as a pool process: `open_document` keeps its last document."""
    global _keep_by_default
    _keep_by_default = enabled
    if not enabled:
        release_document()


def release_document() -> None:
    """Close the kept document, if any."""
    global _kept
    kept, _kept = _kept, None
    if kept is not None:
        kept.closer.close()


def _key(path: str | Path, password: str | None) -> Key:
    stat = os.stat(path)
    secret = hashlib.sha256(password.encode()).hexdigest() if password else ""
    return (os.path.abspath(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, secret)


@contextmanager
def open_document(
    path: str | Path, password: str | None, keep_open: bool | None = None
) -> Iterator[pymupdf.Document]:
    """`open_pdf(path, password)`, reusing (and keeping) this process's open copy when
    `keep_open` (by default: when the process was marked by `keep_documents_open`)."""
    if not (_keep_by_default if keep_open is None else keep_open):
        with open_pdf(path, password) as doc:
            yield doc
        return
    try:
        key = _key(path, password)
    except OSError:
        with open_pdf(path, password) as doc:  # raises InvalidPdf: the file cannot be read
            yield doc
        return
    global _kept
    if _kept is None or _kept.key != key:
        release_document()
        closer = ExitStack()
        doc = closer.enter_context(open_pdf(path, password))
        _kept = _Kept(key, doc, closer)
    try:
        yield _kept.doc
    except BaseException:
        release_document()  # a page MuPDF choked on may have left the document in a bad state
        raise


__all__ = ["keep_documents_open", "open_document", "release_document"]
