"""Recovery time after a worker is killed mid-job (production stack, two workers).

    python -m bench.recovery [--pages 12]

`docat serve` and two `docat worker` (bench/stack.py, PostgreSQL + Redis). A
document of scanned pages (OCR, about a second each) is uploaded; once a few
pages are done the worker running it is SIGKILLed with its whole session (a
lost machine), and the document is polled every 0.1 s. Reported, from the kill:
`detect_s` (the run is taken over: QUEUED, stage RECOVERING), `resume_s` (the
other worker has it PROCESSING again), `done_s` (COMPLETED), and how many pages
the new run resumed after. Expected with the defaults (docat/heartbeat.py TTL 8
s, jobs/recovery.py checks every 2 s): detect_s around 6 to 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pymupdf

from bench.end_to_end import Client
from bench.procs import PYTHON, Server
from bench.stack import Stack

STATUS = """
query RecoveryStatus($id: ID!) {
  document(id: $id) { status stage progress logs(first: 50) { edges { node { message } } } }
}"""


def scanned_pdf(pages: int) -> bytes:
    """Image-only pages of text: every page goes through OCR."""
    text = pymupdf.open()
    page = text.new_page()
    page.insert_textbox(
        pymupdf.Rect(50, 50, page.rect.width - 50, page.rect.height - 50),
        " ".join(f"word{n}" for n in range(400)),
        fontsize=12,
    )
    png = page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY).tobytes("png")
    text.close()
    doc = pymupdf.open()
    for _ in range(pages):
        doc.new_page().insert_image(pymupdf.Rect(0, 0, 595, 842), stream=png)
    data: bytes = doc.tobytes()
    doc.close()
    return data


async def _status(http: httpx.AsyncClient, base: str, token: str, doc_id: str) -> dict[str, Any]:
    response = await http.post(
        base + "/graphql",
        json={"query": STATUS, "variables": {"id": doc_id}},
        headers={"Authorization": f"Bearer {token}"},
    )
    document: dict[str, Any] = response.json()["data"]["document"]
    return document


async def _measure(stack: Stack, workers: list[Server], pages: int, work: Path) -> dict[str, Any]:
    client = Client(stack.url, stack.token)
    try:
        doc_id = await client.upload(work / "scanned.pdf", scanned_pdf(pages))
    finally:
        await client.close()
    async with httpx.AsyncClient(timeout=30) as http:
        while True:
            doc = await _status(http, stack.url, stack.token, doc_id)
            if doc["status"] == "PROCESSING" and doc["progress"] > 0.25:
                break
            await asyncio.sleep(0.1)
        busy = next(w for w in workers if doc_id_in_log(w, doc_id))
        os.killpg(busy.pid, signal.SIGKILL)
        killed = time.monotonic()
        moments: dict[str, float] = {}
        while "done_s" not in moments and time.monotonic() - killed < 300:
            doc = await _status(http, stack.url, stack.token, doc_id)
            now = time.monotonic() - killed
            taken_over = any("Re-queued" in e["node"]["message"] for e in doc["logs"]["edges"])
            if taken_over or doc["stage"] == "RECOVERING":
                moments.setdefault("detect_s", now)
            if "detect_s" in moments and doc["status"] == "PROCESSING":
                moments.setdefault("resume_s", now)
            if doc["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
                moments["done_s"] = now
            await asyncio.sleep(0.1)
    messages = [e["node"]["message"] for e in doc["logs"]["edges"]]
    resumed = [int(n) for m in messages for n in re.findall(r"resuming after (\d+) pages", m)]
    return {
        "pages": pages,
        "status": doc["status"],
        **{key: round(value, 2) for key, value in moments.items()},
        "resumed_after_pages": resumed[0] if resumed else 0,
        "log": messages,
    }


def doc_id_in_log(worker: Server, doc_id: str) -> bool:
    from graphql_api.relay import from_global_id

    return from_global_id(doc_id)[1] in worker.log_tail(200_000)


def run(pages: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="docat-bench-recovery-") as tmp:
        work = Path(tmp)
        env = {"LOG_LEVEL": "INFO", "PDF_PROCESSES": "1", "WORKER_MAX_JOBS": "1", "WORKER_METRICS_PORT": "0"}
        with Stack("production", work, env) as stack:
            assert stack.worker is not None
            second = Server([PYTHON, "-m", "docat.cli", "worker"], stack.env, stack.workdir / "worker-2.log")
            try:
                second.start(ready_path=None)
                time.sleep(5)  # both workers up and beating
                return asyncio.run(_measure(stack, [stack.worker, second], pages, work))
            finally:
                second.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    print(json.dumps(run(parser.parse_args().pages), indent=2))


if __name__ == "__main__":
    main()
