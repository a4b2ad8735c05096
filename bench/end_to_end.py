"""Part 3: upload -> COMPLETED latency, embedded and PostgreSQL + Redis + arq worker.

A client uploads a PDF (GraphQL multipart), subscribes to `jobProgress` on
an open graphql-transport-ws connection, and stops the clock at the terminal
event: latency = from the first byte of the upload to COMPLETED in hand, the
user's view. A late subscriber gets the current state first, so subscribing
after the upload answers cannot miss a fast job. (Where the subscription
answers errors, completion is seen by polling `document(id)` every 5 ms
instead, and the result says so.) Every upload is a different
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
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.corpus import unique_pdf
from bench.memory import UPLOAD
from bench.stack import Mode, Stack
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline

PROGRESS = "subscription P($id: ID!) { jobProgress(documentId: $id) { status stage progress } }"
STATUS = "query S($id: ID!) { document(id: $id) { status } }"
TIMES = "query T($id: ID!) { document(id: $id) { createdAt startedAt finishedAt } }"
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}
POLL_S = 0.005


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
        # How completion is seen: the jobProgress subscription, or polling where it fails.
        self.signal = "subscription"

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
        """The terminal status, from the subscription; by polling if subscriptions fail."""
        async with asyncio.timeout(limit_s):
            if self.signal == "subscription":
                status = await self._subscribed_status(document_id)
                if status is not None:
                    return status
                self.signal = f"polling every {POLL_S * 1000:.0f} ms (jobProgress answered an error)"
            return await self._polled_status(document_id)

    async def _subscribed_status(self, document_id: str) -> str | None:
        self.next_id += 1
        sub = str(self.next_id)
        payload = {"query": PROGRESS, "variables": {"id": document_id}}
        await self.ws.send(json.dumps({"id": sub, "type": "subscribe", "payload": payload}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") != sub:
                if message.get("type") == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                continue
            data = (message.get("payload") or {}).get("data") if message["type"] == "next" else None
            if not data:  # "error", "complete" too early, or a next carrying errors
                return None
            status = str(data["jobProgress"]["status"])
            if status in TERMINAL:
                with suppress(Exception):
                    await self.ws.send(json.dumps({"id": sub, "type": "complete"}))
                return status

    async def _polled_status(self, document_id: str) -> str:
        body = {"query": STATUS, "variables": {"id": document_id}}
        headers = {"Authorization": f"Bearer {self.token}"}
        while True:
            response = await self.http.post(self.base + "/graphql", json=body, headers=headers)
            status = str(response.json()["data"]["document"]["status"])
            if status in TERMINAL:
                return status
            await asyncio.sleep(POLL_S)


@dataclass(slots=True)
class Sample:
    """One upload, split where the server's own timestamps allow (same machine, same clock)."""

    total: float  # first byte of the upload -> terminal status in the client's hands
    upload: float  # the uploadDocument request
    queued: float  # Document.createdAt -> startedAt: waiting for a worker
    running: float  # startedAt -> finishedAt: the job itself
    seen: float  # finishedAt -> the client knows


async def _timestamps(client: Client, document_id: str) -> dict[str, datetime]:
    body = {"query": TIMES, "variables": {"id": document_id}}
    response = await client.http.post(
        client.base + "/graphql", json=body, headers={"Authorization": f"Bearer {client.token}"}
    )
    doc = response.json()["data"]["document"]
    return {k: datetime.fromisoformat(doc[k]) for k in ("createdAt", "startedAt", "finishedAt")}


async def _measure(base: str, token: str, files: list[Path]) -> tuple[list[Sample], list[str], str]:
    client = Client(base, token)
    samples: list[Sample] = []
    failures: list[str] = []
    try:
        await client.connect()
        for path in files:
            pdf = await asyncio.to_thread(path.read_bytes)  # read before the clock starts
            started = time.perf_counter()
            document_id = await client.upload(path, pdf)
            uploaded = time.perf_counter()
            status = await client.until_terminal(document_id)
            done, done_wall = time.perf_counter(), time.time()  # wall clock: compared with the server's
            if status != "COMPLETED":
                failures.append(f"{path.name}: {status}")
                continue
            at = await _timestamps(client, document_id)
            samples.append(
                Sample(
                    total=done - started,
                    upload=uploaded - started,
                    queued=(at["startedAt"] - at["createdAt"]).total_seconds(),
                    running=(at["finishedAt"] - at["startedAt"]).total_seconds(),
                    seen=done_wall - at["finishedAt"].timestamp(),
                )
            )
    finally:
        await client.close()
    return samples, failures, client.signal


def _summary(samples: list[Sample], failures: list[str], signal: str) -> dict[str, Any]:
    def p50(field: str) -> float:
        return percentile([getattr(x, field) for x in samples], 0.5) * 1000

    totals = [x.total for x in samples]
    return {
        "n": len(samples),
        "p50_ms": percentile(totals, 0.5) * 1000,
        "p95_ms": percentile(totals, 0.95) * 1000,
        # Medians of each step: they need not add up to the median total.
        "steps_p50_ms": {step: p50(step) for step in ("upload", "queued", "running", "seen")},
        "failures": failures,
        "completion_seen_by": signal,
    }


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


def _run_mode(mode: Mode, work: Path, sizes: dict[int, list[Path]]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    stack = Stack(mode, work)
    try:
        with stack:
            asyncio.run(_measure(stack.url, stack.token, _files(work, 1, 2)))  # pools and connections start
            for pages, files in sizes.items():
                samples, failures, signal = asyncio.run(_measure(stack.url, stack.token, files))
                if not samples:
                    results[f"{pages} page(s)"] = {"error": "; ".join(failures[:3])}
                    continue
                results[f"{pages} page(s)"] = _summary(samples, failures, signal)
    except Exception as exc:
        results["error"] = f"{exc}"[:400] + f" (logs: {stack.logs()[-600:]})"
    return results


def run(quick: bool) -> dict[str, Any]:
    count = 6 if quick else 20
    out: dict[str, Any] = {"uploads_per_size": count}
    with tempfile.TemporaryDirectory(prefix="docat-bench-e2e-") as tmp:
        work = Path(tmp)
        sizes = {pages: _files(work, pages, count) for pages in (1, 10)}
        out["extraction_p50_ms"] = {f"{p} page(s)": _extraction_ms(files) for p, files in sizes.items()}
        out["embedded"] = _run_mode("embedded", work, sizes)
        out["postgres_redis_arq"] = _run_mode("production", work, sizes)
    for mode in ("embedded", "postgres_redis_arq"):
        one = out[mode].get("1 page(s)", {})
        if "p50_ms" in one:
            out[mode]["overhead_p50_ms_1_page"] = one["p50_ms"] - out["extraction_p50_ms"]["1 page(s)"]
    return out
