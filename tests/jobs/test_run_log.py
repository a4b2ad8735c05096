"""A job's log lines, written behind it (jobs/run_log.py): in order, all before the block ends."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from tortoise.exceptions import IntegrityError

from jobs.run_log import RunLog
from models import JobStage, LogLevel, ProcessingLog
from tests.jobs import pdfs


async def test_lines_are_written_in_order_before_the_block_ends(make_document: Any) -> None:
    doc = await make_document(pdfs.text(1))
    run_log = RunLog(doc.id)
    async with run_log.writing():
        for n in range(5):
            run_log.add(LogLevel.INFO, JobStage.EXTRACTING, f"line {n}")
    rows = await ProcessingLog.filter(document_id=doc.id).order_by("at", "id")
    assert [row.message for row in rows] == [f"line {n}" for n in range(5)]
    assert all(a.at <= b.at for a, b in itertools.pairwise(rows))


async def test_a_failed_write_is_raised_when_the_block_ends(make_document: Any) -> None:
    doc = await make_document(pdfs.text(1))
    run_log = RunLog(doc.id)
    await doc.delete()  # the lines now point at no document: the INSERT fails
    with pytest.raises(IntegrityError):
        async with run_log.writing():
            run_log.add(LogLevel.INFO, JobStage.EXTRACTING, "lost")


async def test_the_body_s_own_error_wins(make_document: Any) -> None:
    doc = await make_document(pdfs.text(1))
    run_log = RunLog(doc.id)
    await doc.delete()
    with pytest.raises(KeyError):
        async with run_log.writing():
            run_log.add(LogLevel.INFO, JobStage.EXTRACTING, "lost")
            raise KeyError("the job's own error")
