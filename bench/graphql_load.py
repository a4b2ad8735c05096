"""Part 5: GraphQL requests/s against the framework floor, on one server process.

Three POST endpoints of the same uvicorn process (`bench.server_app`), each
with the same bearer token and headers:

- plain: Starlette parses the JSON and answers a fixed document (no Strawberry);
- trivial: `{ __typename }` through Strawberry and our extensions;
- documents: `documents(first: 20)` with the fields a document list shows,
  on a SQLite database holding 30 documents.

Load comes from wrk (C, one thread: it needs far less CPU than the server,
which matters on 2 cores) for a fixed time per round; rounds alternate the
endpoints and each keeps its best. Without wrk, an httpx client is used and
the report says so: a Python client is itself a bottleneck there.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.procs import PYTHON, Server, free_port
from bench.seed import seed
from bench.server_app import PLAIN_PATH
from docat.settings import load_settings

TRIVIAL = "{ __typename }"
DOCUMENTS = (
    "query Documents { documents(first: 20) { totalCount pageInfo { hasNextPage endCursor } "
    "edges { cursor node { id filename status stage progress pageCount createdAt } } } }"
)
CONNECTIONS = 16


def _check(url: str, headers: dict[str, str], body: dict[str, Any], path: str) -> None:
    """One request first: a benchmark of error responses would measure nothing."""
    response = httpx.post(url + path, json=body, headers=headers, timeout=10)
    data = response.json()
    if response.status_code != 200 or data.get("errors"):
        raise RuntimeError(f"{path} answered {response.status_code}: {str(data)[:300]}")


def _wrk(url: str, headers: dict[str, str], body: str, seconds: float, workdir: Path) -> dict[str, Any]:
    script = workdir / "post.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    proc = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )
    out = proc.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if proc.returncode != 0 or not rps:
        raise RuntimeError(f"wrk failed: {proc.stderr[-300:] or out[-300:]}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rps": float(rps.group(1)),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else None,
    }


async def _httpx_load(url: str, headers: dict[str, str], body: str, seconds: float) -> dict[str, Any]:
    done = bad = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def loop() -> None:
            nonlocal done, bad
            while time.perf_counter() < deadline:
                response = await client.post(url, content=body, headers=headers)
                done += 1
                bad += response.status_code >= 300

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - started
    return {"rps": done / elapsed, "non_2xx": bad, "p50_ms": None}


def _load(url: str, headers: dict[str, str], body: str, seconds: float, workdir: Path) -> dict[str, Any]:
    if shutil.which("wrk"):
        return _wrk(url, headers, body, seconds, workdir)
    return asyncio.run(_httpx_load(url, headers, body, seconds))


def run(quick: bool) -> dict[str, Any]:
    seconds, rounds = (2.0, 1) if quick else (5.0, 2)
    with tempfile.TemporaryDirectory(prefix="docat-bench-gql-") as tmp:
        workdir = Path(tmp)
        env = {
            "DATA_DIR": str(workdir / "data"),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": "",
            "REDIS_URL": "",
            "S3_BUCKET": "",
            # Access logs off: they would cost every endpoint alike and blur the ratios.
            "LOG_LEVEL": "WARNING",
        }
        settings = load_settings(data_dir=Path(env["DATA_DIR"]), secret_key=env["SECRET_KEY"])
        token = seed(settings, documents=30)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        port = free_port()
        server = Server(
            [PYTHON, "-m", "bench.server_app", "--port", str(port)], env, workdir / "server.log", port
        )
        targets = {
            "plain Starlette JSON": (PLAIN_PATH, {"query": TRIVIAL}),
            "trivial { __typename }": ("/graphql", {"query": TRIVIAL}),
            "documents(first: 20)": ("/graphql", {"query": DOCUMENTS}),
        }
        best: dict[str, dict[str, Any]] = {}
        with server.start():
            for path, body in targets.values():
                _check(server.url, headers, body, path)
                _load(server.url + path, headers, json.dumps(body), 1.0, workdir)  # warm-up
            for _ in range(rounds):
                for name, (path, body) in targets.items():
                    result = _load(server.url + path, headers, json.dumps(body), seconds, workdir)
                    if name not in best or result["rps"] > best[name]["rps"]:
                        best[name] = result
    plain = best["plain Starlette JSON"]["rps"]
    trivial = best["trivial { __typename }"]["rps"]
    documents = best["documents(first: 20)"]["rps"]
    return {
        "client": "wrk" if shutil.which("wrk") else "httpx (client-bound: install wrk)",
        "connections": CONNECTIONS,
        "seconds_per_round": seconds,
        "endpoints": best,
        "documents_over_trivial": documents / trivial,
        "trivial_over_plain": trivial / plain,
    }
