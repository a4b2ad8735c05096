"""The processing-log lines of one running job, written behind it by a task of their own.

    run_log = RunLog(document_id)
    async with run_log.writing():          # the writer runs; every line is written on exit
        run_log.add(LogLevel.INFO, JobStage.EXTRACTING, "Extracting 12 pages")   # returns at once

A job logs a handful of lines (stage entered, pages found, pages extracted...)
and nothing it does next depends on them being stored, so waiting for each
INSERT only added database round trips to every job's latency (about a fifth
of a 1-page document's overhead). Lines are stamped when they are added
(`ProcessingLog.at`), written in order, several at once when they pile up
(one INSERT), and all of them before `writing()` exits: the run's terminal
status, written after that, is never visible without the lines before it.

A write that lost its connection is tried again (jobs/outages.py) for up to
the outage budget, so a database restart loses no line. A failed write does
not stop the job at once; `writing()` raises the first
error on exit (unless the body is already raising), which the job treats like
any other failed write of its own (a transient error: try again later).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from jobs.outages import OutageWindow, retry_connection
from models import JobStage, LogLevel, ProcessingLog

logger = logging.getLogger(__name__)


class RunLog:
    def __init__(self, document_id: uuid.UUID) -> None:
        self.document_id = document_id
        self._lines: list[ProcessingLog] = []
        self._added = asyncio.Event()
        self._closing = False
        self._error: Exception | None = None
        self._window = OutageWindow()

    def add(self, level: LogLevel, stage: JobStage, message: str) -> None:
        """Queue one line for the writer (only inside `writing()`)."""
        line = ProcessingLog(
            document_id=self.document_id, level=level, stage=stage, message=message, at=datetime.now(UTC)
        )
        self._lines.append(line)
        self._added.set()

    async def _write(self) -> None:
        while True:
            await self._added.wait()
            self._added.clear()
            while self._lines:
                batch, self._lines = self._lines, []
                try:
                    await retry_connection(
                        functools.partial(self._insert, batch),
                        self._window,
                        f"document {self.document_id}: {len(batch)} log lines",
                    )
                except Exception as exc:  # kept for writing()'s exit; later lines still go
                    logger.warning(
                        "%d log lines of document %s not written: %r", len(batch), self.document_id, exc
                    )
                    self._error = self._error or exc
            if self._closing:
                return

    @staticmethod
    async def _insert(batch: list[ProcessingLog]) -> None:
        if len(batch) == 1:
            await batch[0].save()
        else:
            await ProcessingLog.bulk_create(batch)

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        # Started here, outside any transaction: the writer's queries use their own connection.
        writer = asyncio.create_task(self._write(), name=f"docat-run-log:{self.document_id}")
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            self._closing = True
            self._added.set()
            # Shielded: a job being cancelled (shutdown, cancelDocument) still writes its lines.
            await asyncio.shield(writer)
            if self._error is not None and not failed:
                raise self._error
