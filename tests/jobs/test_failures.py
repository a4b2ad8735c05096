"""Which errors a job retries and which end it FAILED, and a transient error retried for real."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError

from docat.errors import BadUserInput, DocatError, ProviderError
from docat.resources import Resources
from docat.storage import StorageUnavailable
from jobs.failures import INTERNAL_MESSAGE, Failure, failure_of, is_transient
from jobs.pdf.errors import EncryptedPdf, InvalidPdf
from jobs.process_pool import PoolBroken
from models import JobStatus, LogLevel, ProcessingLog
from tests.jobs import pdfs
from tests.jobs.conftest import wait_terminal


def _wrapped(outer: Exception, inner: BaseException) -> Exception:
    try:
        raise outer from inner
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    "error",
    [
        StorageUnavailable("s3 did not answer"),
        PoolBroken("a PDF process died"),
        ConnectionResetError(),
        TimeoutError(),
        asyncpg.exceptions.ConnectionDoesNotExistError("gone"),
        DBConnectionError("cannot connect"),
        EndpointConnectionError(endpoint_url="http://s3"),
        ClientError(
            {"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "GetObject"
        ),
        OSError(errno.ENOSPC, "No space left on device"),
        _wrapped(OperationalError("query failed"), ConnectionResetError()),
    ],
    ids=lambda e: type(e).__name__,
)
def test_transient_errors_are_retried(error: Exception) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        InvalidPdf("not a PDF"),
        EncryptedPdf("password"),
        BadUserInput("pages"),
        ProviderError("the provider gave up"),
        ClientError(
            {"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "GetObject"
        ),
        IntegrityError("duplicate"),
        ValueError("a bug"),
        _wrapped(InvalidPdf("cannot read the file"), OSError(errno.EIO, "I/O error")),
    ],
    ids=lambda e: type(e).__name__,
)
def test_other_errors_are_not(error: Exception) -> None:
    assert not is_transient(error)


def test_failures_carry_the_contract_code_and_never_internals() -> None:
    assert failure_of(EncryptedPdf("wrong password")) == Failure("ENCRYPTED_PDF", "wrong password")
    assert failure_of(ProviderError("rate limited")).code == "PROVIDER_ERROR"
    assert failure_of(DocatError("storage lost the file")).code == "INTERNAL"
    hidden = failure_of(KeyError("SELECT * FROM users"))
    assert (hidden.code, hidden.message) == ("INTERNAL", INTERNAL_MESSAGE)


class FlakyStorage:
    """The real storage, except that the first `failures` downloads raise StorageUnavailable."""

    def __init__(self, real: Any, failures: int) -> None:
        self._real = real
        self.failures = failures
        self.downloads = 0

    async def download_to(self, key: str, path: Path) -> int:
        self.downloads += 1
        if self.downloads <= self.failures:
            raise StorageUnavailable("the object store did not answer")
        size: int = await self._real.download_to(key, path)
        return size

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


async def test_a_transient_storage_error_is_retried_then_completes(
    resources: Resources, make_document: Any
) -> None:
    doc = await make_document(pdfs.text(2))
    flaky = FlakyStorage(resources.storage, failures=1)
    real, resources.storage = resources.storage, flaky  # type: ignore[assignment]
    try:
        await resources.queue.enqueue(doc.id, doc.run)
        row = await wait_terminal(doc.id)
    finally:
        resources.storage = real
    assert row.status == JobStatus.COMPLETED, (row.error_code, row.error_message)
    assert flaky.downloads == 2 and row.run == 0  # the same run, tried again
    warnings = await ProcessingLog.filter(document_id=doc.id, level=LogLevel.WARNING).values_list(
        "message", flat=True
    )
    assert any("briefly unavailable" in m for m in warnings)
