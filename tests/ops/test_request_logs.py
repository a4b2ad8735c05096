"""Structured logs of a real `docat serve`: one JSON object per line, the request id on the request's lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import TEST_SECRET
from tests.fixtures.redis_server import free_port

REPO = Path(__file__).resolve().parents[2]
STARTUP_WAIT = 60.0


def serve(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    # Only what the service reads; cwd is empty so no stray .env is picked up.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": TEST_SECRET,
        "LOG_JSON": "true",
        "LOG_LEVEL": "INFO",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "docat.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_until_serving(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + STARTUP_WAIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"docat serve exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("docat serve did not answer /health")


def stop(process: subprocess.Popen[bytes]) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    assert process.stdout is not None
    return process.stdout.read().decode()


def test_request_lines_carry_the_request_id(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    request_id = f"ops-{uuid.uuid4().hex[:12]}"
    process = serve(tmp_path, port)
    try:
        wait_until_serving(process, f"{base}/health")
        response = httpx.post(
            f"{base}/graphql",
            json={"query": "query OpsLogs { __typename }"},
            headers={"X-Request-ID": request_id},
            timeout=10,
        )
        assert response.status_code == 200
        assert response.headers["x-request-id"] == request_id
        # Without a header the service makes one up and hands it back.
        generated = httpx.get(f"{base}/health", timeout=10).headers["x-request-id"]
    finally:
        output = stop(process)

    lines = [line for line in output.splitlines() if line.strip()]
    records: list[dict[str, Any]] = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError as exc:
            raise AssertionError(f"not a JSON log line: {line!r}") from exc
    assert all({"time", "level", "logger", "message", "request_id"} <= set(r) for r in records)

    ours = [r for r in records if r["request_id"] == request_id]
    access = [r for r in ours if r["logger"] == "uvicorn.access"]
    assert access, output
    assert access[0]["method"] == "POST"
    assert access[0]["path"] == "/graphql"
    assert access[0]["status"] == 200
    assert any(r["request_id"] == generated and r.get("path") == "/health" for r in records), output
    # Start-up lines belong to no request.
    assert any(r["request_id"] is None for r in records)
