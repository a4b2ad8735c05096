"""What MuPDF said about a page, and a page skipped as unreadable, reach the document's
processing log as WARNING lines (the CLI has them on stderr: tests/jobs/test_local_process.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docat.resources import Resources
from models import JobStatus, LogLevel, ProcessingLog
from tests.jobs.conftest import wait_terminal
from tests.pdf import generate


async def test_a_skipped_page_is_a_warning_in_the_processing_log(
    resources: Resources, make_document: Any, tmp_path: Path
) -> None:
    path = tmp_path / "cycle.pdf"
    generate.page_tree_cycle_pdf(path)  # three pages, the second one unreadable
    doc = await make_document(path.read_bytes(), {"engine": "TEXT"})
    await resources.queue.enqueue(doc.id, doc.run)
    row = await wait_terminal(doc.id)
    assert row.status == JobStatus.COMPLETED, (row.error_code, row.error_message)
    warnings = await ProcessingLog.filter(document_id=doc.id, level=LogLevel.WARNING).values_list(
        "message", flat=True
    )
    assert any(str(m).startswith("Page 2: page skipped, unreadable") for m in warnings), warnings
