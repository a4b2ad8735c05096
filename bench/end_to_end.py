"""Part 3: upload -> COMPLETED latency, embedded and PostgreSQL + Redis + arq worker.

A client uploads a PDF (GraphQL multipart), subscribes to `jobProgress` on
an open graphql-transport-ws connection, and stops the clock at the terminal
event: latency = from the first byte of the upload to COMPLETED in hand, the
user's view. A late subscriber gets the current state first, so subscribing
after the upload answers cannot miss a fast job. Every upload is a different
file (the sha256 cache would answer a repeat without processing).

The overhead is the p50 latency minus the p50 of `run_pipeline` on the same
files in this process: what the service adds to pure extraction (upload,
storage, queue, database writes, events).

Production mode creates its own PostgreSQL database (dropped at the end), a
unique arq queue name on the shared Redis, and runs `docat serve` plus one
`docat worker`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.corpus import unique_pdf
from bench.memory import UPLOAD
from bench.procs import PYTHON, Server, free_port
from bench.seed import seed
from docat.settings import load_settings
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline

PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
PROGRESS = "subscription P($id: ID!) { jobProgress(documentId: $id) { status stage progress } }"
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Client:
    """One HTTP client and one graphql-transport-ws connection, as a web app would hold."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token
        self.http = httpx.AsyncClient(timeout=60)
        self.ws: Any = None
        self.next_id = 0

    async def connect(self) -> None:
        url = self.base.replace("http://", "ws://") + "/graphql"
        self.ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        await self.ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}})
        )
        while json.loads(await self.ws.recv())["type"] != "connection_ack":
            pass

    async def close(self) -> None:
        await self.http.aclose()
        if self.ws is not None:
            await self.ws.close()

    async def upload(self, path: Path, pdf: bytes) -> str:
        operations = json.dumps({"query": UPLOAD, "variables": {"f": None}})
        response = await self.http.post(
            self.base + "/graphql",
            data={"operations": operations, "map": json.dumps({"0": ["variables.f"]})},
            files={"0": (path.name, pdf, "application/pdf")},
            headers={"Authorization": f"Bearer {self.token}", "Apollo-Require-Preflight": "true"},
        )
        data = response.json()
        if data.get("errors"):
            raise RuntimeError(f"upload failed: {data['errors']}")
        return str(data["data"]["uploadDocument"]["id"])

    async def until_terminal(self, document_id: str, limit_s: float = 120) -> str:
        self.next_id += 1
        sub = str(self.next_id)
        payload = {"query": PROGRESS, "variables": {"id": document_id}}
        await self.ws.send(json.dumps({"id": sub, "type": "subscribe", "payload": payload}))
        async with asyncio.timeout(limit_s):
            while True:
                message = json.loads(await self.ws.recv())
                if message.get("id") != sub:
                    if message.get("type") == "ping":
                        await self.ws.send(json.dumps({"type": "pong"}))
                    continue
                if message["type"] == "error":
                    raise RuntimeError(f"subscription error: {message.get('payload')}")
                if message["type"] == "complete":
                    raise RuntimeError("subscription completed without a terminal status")
                status = message["payload"]["data"]["jobProgress"]["status"]
                if status in TERMINAL:
                    with suppress(Exception):
                        await self.ws.send(json.dumps({"id": sub, "type": "complete"}))
                    return str(status)


async def _measure(base: str, token: str, files: list[Path]) -> tuple[list[float], list[str]]:
    client = Client(base, token)
    latencies: list[float] = []
    failures: list[str] = []
    try:
        await client.connect()
        for path in files:
            pdf = await asyncio.to_thread(path.read_bytes)  # read before the clock starts
            started = time.perf_counter()
            document_id = await client.upload(path, pdf)
            status = await client.until_terminal(document_id)
            if status == "COMPLETED":
                latencies.append(time.perf_counter() - started)
            else:
                failures.append(f"{path.name}: {status}")
    finally:
        await client.close()
    return latencies, failures


def _files(work: Path, pages: int, count: int) -> list[Path]:
    out = []
    for i in range(count):
        path = work / f"e2e-{pages}p-{i}.pdf"
        unique_pdf(path, pages, seed=secrets.randbelow(10**9))
        out.append(path)
    return out


def _extraction_ms(files: list[Path]) -> float:
    times = []
    for path in files:
        started = time.perf_counter()
        run_pipeline(path, ExtractOptions())
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


@asynccontextmanager
async def _postgres_database() -> AsyncIterator[str]:
    import asyncpg

    name = f"docat_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _drop_queue(queue: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        await client.delete(queue)
    finally:
        await client.aclose()


def _run_mode(mode: str, work: Path, sizes: dict[int, list[Path]], env: dict[str, str]) -> dict[str, Any]:
    settings = load_settings(
        data_dir=Path(env["DATA_DIR"]),
        secret_key=env["SECRET_KEY"],
        database_url=env.get("DATABASE_URL") or None,
        redis_url=env.get("REDIS_URL") or None,
    )
    token = seed(settings)
    port = free_port()
    servers = [
        Server([PYTHON, "-m", "docat.cli", "serve", "--port", str(port)], env, work / f"{mode}-api.log", port)
    ]
    if env.get("REDIS_URL"):
        servers.append(Server([PYTHON, "-m", "docat.cli", "worker"], env, work / f"{mode}-worker.log"))
    results: dict[str, Any] = {}
    try:
        for server in servers:
            server.start(ready_path="/health" if server.port else None)
        base = servers[0].url
        warm = _files(work, 1, 2)
        asyncio.run(_measure(base, token, warm))  # first jobs start pools and connections
        for pages, files in sizes.items():
            latencies, failures = asyncio.run(_measure(base, token, files))
            if not latencies:
                results[f"{pages} page(s)"] = {"error": "; ".join(failures[:3])}
                continue
            results[f"{pages} page(s)"] = {
                "n": len(latencies),
                "p50_ms": percentile(latencies, 0.5) * 1000,
                "p95_ms": percentile(latencies, 0.95) * 1000,
                "failures": failures,
            }
    except Exception as exc:
        tail = " | ".join(s.log_tail(400) for s in servers)
        results["error"] = f"{exc}"[:400] + f" (logs: {tail[-600:]})"
    finally:
        for server in reversed(servers):
            server.stop()
    return results


def run(quick: bool) -> dict[str, Any]:
    count = 6 if quick else 20
    out: dict[str, Any] = {"uploads_per_size": count}
    with tempfile.TemporaryDirectory(prefix="docat-bench-e2e-") as tmp:
        work = Path(tmp)
        sizes = {pages: _files(work, pages, count) for pages in (1, 10)}
        out["extraction_p50_ms"] = {f"{p} page(s)": _extraction_ms(files) for p, files in sizes.items()}
        base_env = {
            "SECRET_KEY": secrets.token_urlsafe(32),
            "S3_BUCKET": "",
            "LOG_LEVEL": "WARNING",
        }
        embedded = {**base_env, "DATA_DIR": str(work / "embedded"), "DATABASE_URL": "", "REDIS_URL": ""}
        out["embedded"] = _run_mode("embedded", work, sizes, embedded)

        async def production() -> dict[str, Any]:
            queue = f"docat-bench:{uuid.uuid4().hex[:10]}:queue"
            async with _postgres_database() as database_url:
                env = {
                    **base_env,
                    "DATA_DIR": str(work / "production"),
                    "DATABASE_URL": database_url,
                    "REDIS_URL": REDIS_URL,
                    "QUEUE_NAME": queue,
                }
                try:
                    return await asyncio.to_thread(_run_mode, "production", work, sizes, env)
                finally:
                    await _drop_queue(queue)

        out["postgres_redis_arq"] = asyncio.run(production())
    for mode in ("embedded", "postgres_redis_arq"):
        one = out[mode].get("1 page(s)", {})
        if "p50_ms" in one:
            out[mode]["overhead_p50_ms_1_page"] = one["p50_ms"] - out["extraction_p50_ms"]["1 page(s)"]
    return out
