"""The error tree of PDF Docat, keyed by the contract's codes.

    DocatError (INTERNAL)
    ├── Unauthenticated          UNAUTHENTICATED
    ├── Forbidden                FORBIDDEN
    ├── NotFound                 NOT_FOUND
    ├── BadUserInput             BAD_USER_INPUT
    ├── PayloadTooLarge          PAYLOAD_TOO_LARGE
    ├── RateLimited              RATE_LIMITED (retry_after seconds)
    ├── InsufficientCredits      INSUFFICIENT_CREDITS
    ├── ProviderNotConfigured    PROVIDER_NOT_CONFIGURED
    ├── ProviderError            PROVIDER_ERROR
    ├── ServiceUnavailable       SERVICE_UNAVAILABLE (a dependency is down; retryable)
    └── jobs.pdf.errors.PdfError INVALID_PDF / ENCRYPTED_PDF / TOO_MANY_PAGES

Every layer raises these; `graphql_api.errors` maps them to GraphQL
`extensions.code` and `jobs.documents` maps them to a FAILED job. Anything
else is INTERNAL and its message never reaches a client.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

# A filesystem path in a message (a library's "Failed to open file 'data/tmp/upload-1.pdf'"):
# an absolute path, or a relative one ending in a file name. Model names such as
# "openai/gpt-4o-mini" are neither. The quotes around a path go with it.
_PATH = re.compile(
    r"""\s*(['"]?)(?<![\w.@~/\\-])"""
    r"""(?:(?:[A-Za-z]:)?[\\/](?:[\w.@~-]+[\\/])*[\w.@~-]+"""
    r"""|(?:[\w.@~-]+[\\/])+[\w@~-]+\.[A-Za-z][A-Za-z0-9]{0,7}\b)\1"""
)


def without_paths(message: str) -> str:
    """`message` with any server file path taken out: clients never learn the layout of the disk."""
    return _PATH.sub("", message).strip() or "unreadable file"


def error_chain(exc: BaseException, limit: int = 16) -> Iterator[BaseException]:
    """`exc`, then what caused it (`__cause__`, else `__context__`), each once, at most `limit`:
    where the real reason for a wrapped error (a refused socket under a driver's error) is found."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < limit:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


class DocatError(Exception):
    """Base of every error whose message is safe to show a client."""

    code: ClassVar[str] = "INTERNAL"
    #: Transient errors (network, provider 5xx) may be retried; bad input never.
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, **extensions: Any) -> None:
        message = without_paths(message)
        super().__init__(message)
        self.message = message
        # graphql-core copies an original error's `extensions` dict onto the
        # GraphQLError it wraps it in, so the code reaches HTTP and WebSocket
        # clients alike without any per-transport mapping.
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}


class Unauthenticated(DocatError):
    code = "UNAUTHENTICATED"


class Forbidden(DocatError):
    code = "FORBIDDEN"


class NotFound(DocatError):
    code = "NOT_FOUND"


class BadUserInput(DocatError):
    code = "BAD_USER_INPUT"


class PayloadTooLarge(DocatError):
    code = "PAYLOAD_TOO_LARGE"


class RateLimited(DocatError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retryAfter=max(1, int(retry_after)))
        self.retry_after = max(1, int(retry_after))


class InsufficientCredits(DocatError):
    code = "INSUFFICIENT_CREDITS"


class ProviderNotConfigured(DocatError):
    code = "PROVIDER_NOT_CONFIGURED"


class ProviderError(DocatError):
    code = "PROVIDER_ERROR"
    retryable = True


class ServiceUnavailable(DocatError):
    """A dependency (PostgreSQL, Redis, S3) cannot be reached: the same request may work shortly.

    Carries `retryable: true` and `retryAfter` (seconds) for clients; HTTP answers whose
    every operation failed this way are 503 with a Retry-After header (graphql_api.retry_headers).
    """

    code = "SERVICE_UNAVAILABLE"
    retryable = True
    #: What a client is told to wait before trying again: outages we ride out are short.
    DEFAULT_RETRY_AFTER: ClassVar[int] = 5

    def __init__(self, message: str, retry_after: int = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(message, retryable=True, retryAfter=max(1, int(retry_after)))
        self.retry_after = max(1, int(retry_after))


ERROR_CODES: tuple[str, ...] = (
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "PAYLOAD_TOO_LARGE",
    "RATE_LIMITED",
    "INSUFFICIENT_CREDITS",
    "INVALID_PDF",
    "ENCRYPTED_PDF",
    "TOO_MANY_PAGES",
    "PROVIDER_NOT_CONFIGURED",
    "PROVIDER_ERROR",
    "SERVICE_UNAVAILABLE",
    # GraphQL-over-HTTP and Apollo's codes for a document that does not parse or validate,
    # and for an automatic persisted query's unknown hash (graphql_api.http_protocol).
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "PERSISTED_QUERY_NOT_FOUND",
    "INTERNAL",
)
