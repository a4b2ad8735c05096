"""Run the npm reference client (tests/js/subscribe.mjs, graphql-ws + ws) and read its JSON lines."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

JS_DIR = Path(__file__).resolve().parents[1] / "js"
LINE_WAIT = 60.0  # a bound on the next line, never an expectation


async def run_node_client(url: str, token: str, document_id: str) -> asyncio.subprocess.Process:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "graphql-ws").is_dir():
        pytest.fail("the Node client needs node and `npm ci` in tests/js (.ci/run does it)")
    return await asyncio.create_subprocess_exec(
        node, str(JS_DIR / "subscribe.mjs"), url, token, document_id,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def read_line(process: asyncio.subprocess.Process, within: float = LINE_WAIT) -> dict[str, Any]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), within)
    if not line:
        assert process.stderr is not None
        raise AssertionError(f"node exited early: {(await process.stderr.read()).decode()}")
    parsed: dict[str, Any] = json.loads(line)
    return parsed


async def node_events_until_exit(
    process: asyncio.subprocess.Process, within: float = LINE_WAIT
) -> list[dict[str, Any]]:
    """The `next` lines up to `complete`; the client must then exit with 0."""
    lines = []
    while (line := await read_line(process, within))["type"] != "complete":
        assert line["type"] == "next", line
        lines.append(line)
    assert await asyncio.wait_for(process.wait(), within) == 0
    return lines


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()


async def node_job_progress(
    url: str, token: str, document_id: str, within: float = LINE_WAIT
) -> list[dict[str, Any]]:
    """Every jobProgress event the Node client receives until the stream completes."""
    process = await run_node_client(url, token, document_id)
    try:
        assert (await read_line(process, within))["type"] == "connected"
        lines = await node_events_until_exit(process, within)
    finally:
        await stop(process)
    assert all("errors" not in line["payload"] for line in lines), lines
    return [line["payload"]["data"]["jobProgress"] for line in lines]


async def node_lines_until_exit(script: str, *args: str, within: float = LINE_WAIT) -> list[dict[str, Any]]:
    """Run another script of tests/js with `args`; its JSON lines once it exited with 0."""
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "graphql-ws").is_dir():
        pytest.fail("the Node client needs node and `npm ci` in tests/js (.ci/run does it)")
    process = await asyncio.create_subprocess_exec(
        node, str(JS_DIR / script), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), within)
    finally:
        await stop(process)
    lines = [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]
    assert process.returncode == 0, (lines, stderr.decode())
    return lines
