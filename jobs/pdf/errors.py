"""Errors the PDF pipeline raises (see docat.errors for the whole tree).

    PdfError
    ├── InvalidPdf       INVALID_PDF     not a PDF, empty, truncated, unreadable
    ├── EncryptedPdf     ENCRYPTED_PDF   no password or the wrong one
    └── TooManyPages     TOO_MANY_PAGES  over the caller's page limit

None of them is retryable: the same bytes fail the same way.
"""

from __future__ import annotations

from docat.errors import DocatError


class PdfError(DocatError):
    code = "INVALID_PDF"


class InvalidPdf(PdfError):
    code = "INVALID_PDF"


class EncryptedPdf(PdfError):
    code = "ENCRYPTED_PDF"


class TooManyPages(PdfError):
    code = "TOO_MANY_PAGES"
