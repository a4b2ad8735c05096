"""The one place that maps what a job raised to how the job ends.

    transient  storage, database, Redis or pool trouble: run again later (same run), bounded
    DocatError its contract code and message (BadUserInput, ProviderError...), and so does
               the pure pipeline's PdfError (INVALID_PDF, ENCRYPTED_PDF, TOO_MANY_PAGES...)
    anything   INTERNAL with a generic message; the traceback goes to the server log only

Bad input is never retried: the same bytes fail the same way. Provider errors
are not retried here either: the provider clients already retried them.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from docat.errors import DocatError, error_chain
from docat.storage import StorageUnavailable
from jobs.pdf.errors import PdfError
from jobs.process_pool import PoolBroken

INTERNAL_MESSAGE = "processing failed because of an internal error"

# Exception class names, by top-level module, that mean "the service was unreachable".
_TRANSIENT_BY_LIBRARY: dict[str, frozenset[str]] = {
    "asyncpg": frozenset(
        {
            "ConnectionDoesNotExistError",
            "InterfaceError",
            "CannotConnectNowError",
            "TooManyConnectionsError",
            "ConnectionFailureError",
            "PostgresConnectionError",
        }
    ),
    "tortoise": frozenset({"DBConnectionError"}),
    "botocore": frozenset(
        {"EndpointConnectionError", "ConnectionClosedError", "ReadTimeoutError", "ConnectTimeoutError"}
    ),
    "aiohttp": frozenset({"ClientConnectorError", "ServerDisconnectedError", "ClientOSError"}),
    "redis": frozenset({"ConnectionError", "TimeoutError", "BusyLoadingError"}),
}


@dataclass(frozen=True, slots=True)
class Failure:
    code: str
    message: str


def _is_transient_one(exc: BaseException) -> bool:
    if isinstance(exc, StorageUnavailable | PoolBroken):
        return True
    if isinstance(exc, DocatError | PdfError):
        return False  # bad input, a missing file, a provider that gave up
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    module = type(exc).__module__.split(".", 1)[0]
    name = type(exc).__name__
    if module in ("botocore", "aiobotocore", "aiohttp") and _is_s3_server_error(exc):
        return True
    # Connection-level trouble only; SQL errors and 4xx answers are bugs, not weather.
    if name in _TRANSIENT_BY_LIBRARY.get(module, frozenset()):
        return True
    # Network-ish OS errors (ECONNRESET, EPIPE...) are ConnectionError subclasses above; a
    # full disk (ENOSPC) is worth another try, since other jobs' temp files come and go.
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


def _is_s3_server_error(exc: BaseException) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = response.get("Error", {}).get("Code")
    return (isinstance(status, int) and status >= 500) or code in {"SlowDown", "RequestTimeout"}


def is_transient(exc: BaseException) -> bool:
    """True when running the same job again later may well succeed."""
    for link in error_chain(exc):
        if isinstance(link, DocatError | PdfError) and not isinstance(link, StorageUnavailable):
            return False  # an explicit verdict wins over the I/O error it wraps
        if _is_transient_one(link):
            return True
    return False


def failure_of(exc: BaseException) -> Failure:
    """The code and message a FAILED document shows (never a traceback or SQL)."""
    if isinstance(exc, DocatError | PdfError):
        return Failure(exc.code, exc.message)
    return Failure("INTERNAL", INTERNAL_MESSAGE)
