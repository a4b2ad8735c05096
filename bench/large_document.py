"""A 1,000-page document through process_document: memory, speed, progress cadence.

    python -m bench.large_document [--pages 1000] [--processes 0] [--database-url postgres://...]

Runs the real job (jobs.documents.process_document) with the real process
pool on embedded resources (SQLite and files under a temp folder unless
--database-url is given), the way the in-process queue or a worker runs it,
and reports:

- peak RSS of the process tree (this process + fork server + pool
  processes), sampled every 20 ms, and the kernel's exact peak (VmHWM) of
  this process and of each pool process;
- pages per second (the run's own processing_ms, and the whole wall time);
- the longest gap between two JobProgress events from the start of the run to
  its terminal event (the contract: at least one a second).

Not a test: numbers depend on the machine. `run_for_bench()` is what
bench/memory.py calls.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import secrets
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench.corpus import cached, text_pdf
from bench.procs import descendants, peak_rss_mb, rss_mb
from docat.accounts import create_user
from docat.events import is_terminal, job_channel
from docat.settings import load_settings
from docat.storage import document_key
from jobs.documents import process_document
from jobs.host import open_host
from models import Document, Tier

SAMPLE_SECONDS = 0.02
EVENT_WAIT = 60.0


class TreeSampler:
    """Sum of the RSS of a process and all its descendants, every SAMPLE_SECONDS, on a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = rss_mb(self.pid) + sum(rss_mb(p) for p in descendants(self.pid))
            self.peak_mb = max(self.peak_mb, total)
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def large_pdf(pages: int) -> Path:
    def make(path: Path) -> None:
        text_pdf(path, pages)

    return cached(f"large-text-{pages}", make)


async def measure(pdf: Path, *, processes: int, data_dir: Path, database_url: str | None) -> dict[str, Any]:
    settings = load_settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=None,
        secret_key=secrets.token_urlsafe(32),
        pdf_processes=processes,
    )
    async with open_host(settings, migrate=True, run_jobs=False) as host:
        resources = host.resources
        user = await create_user(f"bench-{uuid.uuid4().hex[:8]}@example.com", "bench-password", tier=Tier.PRO)
        data = await asyncio.to_thread(pdf.read_bytes)
        doc = await Document.create(
            owner_id=user.id,
            filename=pdf.name,
            size_bytes=len(data),
            sha256=uuid.uuid4().hex,
            options={"engine": "AUTO", "ocrLanguage": "eng"},
            formats=["ORIGINAL"],
        )
        await resources.storage.put_bytes(document_key(str(doc.id), "original.pdf"), data)
        del data

        stamps: list[tuple[float, dict[str, Any]]] = []
        async with resources.bus.subscribe([job_channel(doc.id)], maxsize=1_000_000) as events:

            async def collect() -> None:
                async for event in events:
                    stamps.append((time.monotonic(), event))
                    if is_terminal(event):
                        return

            collector = asyncio.create_task(collect())
            before_mb = rss_mb(os.getpid())  # imports, database, bus: what any worker holds idle
            with TreeSampler(os.getpid()) as sampler:
                started = time.monotonic()
                await process_document({"resources": resources, "job_try": 1}, str(doc.id), doc.run)
                wall = time.monotonic() - started
                await asyncio.wait_for(collector, EVENT_WAIT)
                # Read before the pool closes: VmHWM is gone with the process.
                pool_peaks = [round(peak_rss_mb(p), 1) for p in descendants(os.getpid())]
        row = await Document.get(id=doc.id)

    times = [t for t, _ in stamps]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    pages = row.page_count or 0
    seconds = (row.processing_ms or 0) / 1000
    return {
        "pages": pages,
        "status": row.status.value,
        "error": row.error_code,
        "pdf_processes": resources.pdf_pool.workers,
        "database": "postgresql" if settings.is_postgres else "sqlite",
        "processing_seconds": round(seconds, 2),
        "wall_seconds": round(wall, 2),
        "pages_per_second": round(pages / seconds, 1) if seconds else None,
        "pages_per_second_wall": round(pages / wall, 1) if wall else None,
        "peak_rss_mb": round(sampler.peak_mb, 1),
        "main_rss_before_mb": round(before_mb, 1),
        "main_peak_mb": round(peak_rss_mb(os.getpid()), 1),
        "pool_peaks_mb": pool_peaks,
        "progress_events": len(stamps),
        "max_progress_gap_seconds": round(max(gaps), 3) if gaps else None,
        "credits": row.credits_used,
    }


def run(
    pages: int = 1000, processes: int = 0, database_url: str | None = None, quick: bool = False
) -> dict[str, Any]:
    pdf = large_pdf(250 if quick else pages)
    with tempfile.TemporaryDirectory(prefix="docat-bench-large-") as tmp:
        return asyncio.run(measure(pdf, processes=processes, data_dir=Path(tmp), database_url=database_url))


def run_for_bench(quick: bool = False) -> dict[str, Any]:
    return run(quick=quick)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=0, help="PDF processes (0: one per core)")
    parser.add_argument("--database-url", help="PostgreSQL instead of a temporary SQLite file")
    args = parser.parse_args()
    result = run(args.pages, args.processes, args.database_url)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":  # the pool's processes re-import this module: never run twice
    main()
