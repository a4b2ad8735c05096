"""Errors the PDF pipeline raises, each keyed by a contract code.

    PdfError
    ├── InvalidPdf       INVALID_PDF     not a PDF, empty, truncated, unreadable
    ├── EncryptedPdf     ENCRYPTED_PDF   no password or the wrong one
    ├── TooManyPages     TOO_MANY_PAGES  over the caller's page limit
    └── BadPdfOptions    BAD_USER_INPUT  options that do not fit this file (pages past the end, ...)

None of them is retryable: the same bytes fail the same way. The pipeline is pure, so
these do not derive from docat.errors.DocatError; they have its shape (`code`, `message`,
`extensions`), and the places that map errors to clients (graphql_api.errors,
jobs.failures, the CLI) take `DocatError | PdfError` alike.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PdfError(Exception):
    code: ClassVar[str] = "INVALID_PDF"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}


class InvalidPdf(PdfError):
    code = "INVALID_PDF"


class EncryptedPdf(PdfError):
    code = "ENCRYPTED_PDF"


class TooManyPages(PdfError):
    code = "TOO_MANY_PAGES"


class BadPdfOptions(PdfError):
    code = "BAD_USER_INPUT"
