"""A SIGKILLed `docat worker` takes its PDF pool with it: no orphan keeps OCRing a dead job.

Only the worker's own pid is killed (as the OOM killer or `kill -9 <pid>` would),
not its process group: its fork server, pool processes and resource tracker
must then go by themselves. They share the worker's session (the test starts
it in one of its own), which is how they are found.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.graphql_client import GraphQLClient
from tests.jobs import pdfs
from tests.jobs.conftest import DOCUMENT, UPLOAD, eventually
from tests.jobs.services import ProductionStack, running_stack

ADMIN_EMAIL = "kill-admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken user { id } }
}"""


def session_members(session: int) -> list[int]:
    """Live (not zombie) processes whose session id is `session`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp session ...": comm may hold spaces, so split after ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == session:
            members.append(int(entry.name))
    return members


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[ProductionStack]:
    async with running_stack(tmp_path, (ADMIN_EMAIL, ADMIN_PASSWORD)) as production:
        yield production


async def test_the_pool_of_a_sigkilled_worker_is_gone_within_seconds(stack: ProductionStack) -> None:
    worker = stack.worker()
    pid = worker.process.pid
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
        gql = GraphQLClient(http)
        login = await gql.execute(LOGIN, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        token = login.ok()["login"]["accessToken"]
        result = await gql.upload(UPLOAD, {"options": None}, "file", pdfs.scanned(8), token=token)
        doc_id = result.ok()["uploadDocument"]["id"]

        async def ocr_running() -> bool | None:
            doc = (await gql.execute(DOCUMENT, {"id": doc_id}, token=token)).ok()["document"]
            return True if doc["status"] == "PROCESSING" and doc["progress"] > 0.1 else None

        await eventually(ocr_running)

    helpers = [p for p in session_members(pid) if p != pid]
    # The fork server, at least one pool process, the resource tracker.
    assert len(helpers) >= 2, (helpers, stack.logs())
    os.kill(pid, signal.SIGKILL)
    worker.process.wait(timeout=30)

    async def all_gone() -> bool | None:
        return True if not session_members(pid) else None

    try:
        await eventually(all_gone, 15)
    except TimeoutError:
        left = session_members(pid)
        raise AssertionError(f"still running after the worker's SIGKILL: {left}") from None
    finally:
        for leftover in session_members(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(leftover, signal.SIGKILL)
