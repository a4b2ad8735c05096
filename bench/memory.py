"""Part 6: memory. Peak RSS of a worker on a 1,000-page document, and API RSS
growth while a ~100 MB PDF is uploaded.

Worker: bench/large_document.py (the queue helper's end-to-end run through a
real `docat worker`) when it exists; otherwise the same pipeline the worker
runs, in a fresh process with a 2-process pool (`python -m bench.memory
worker PDF`), reporting VmHWM (the kernel's exact peak) of the orchestrating
process and of each pool process.

API: a real `docat serve` (embedded, MAX_UPLOAD_MB=200) receives the file
streamed by httpx as a GraphQL multipart upload; the server's RSS is sampled
every 10 ms from before the request until its response, and for 2 s after
(when the embedded server goes on to process the document).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.corpus import cached, corpus, large_upload_pdf, unique_pdf
from bench.procs import PYTHON, ROOT, RssSampler, Server, free_port, peak_rss_mb, rss_mb
from bench.seed import seed
from docat.settings import load_settings

UPLOAD = "mutation Upload($f: Upload!) { uploadDocument(file: $f) { id status } }"


def upload(url: str, token: str, path: Path, timeout: float = 300.0) -> httpx.Response:
    """One GraphQL multipart upload, streamed from disk."""
    operations = json.dumps({"query": UPLOAD, "variables": {"f": None}})
    with open(path, "rb") as fh:
        return httpx.post(
            url + "/graphql",
            data={"operations": operations, "map": json.dumps({"0": ["variables.f"]})},
            files={"0": (path.name, fh, "application/pdf")},
            # Strawberry's CSRF check wants a preflight-forcing header on multipart requests.
            headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"},
            timeout=timeout,
        )


def upload_error(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if response.status_code != 200 or data.get("errors"):
        return f"HTTP {response.status_code}: {json.dumps(data.get('errors') or data)[:300]}"
    return None


# ---- worker ------------------------------------------------------------------------


def _worker_child(path: str) -> None:
    """Runs in a fresh process: the pipeline over every page with 2 pool processes."""
    from jobs.pdf.markdown import to_markdown
    from jobs.pdf.options import ExtractOptions
    from jobs.pdf.pipeline import run_pipeline

    with ProcessPoolExecutor(2) as pool:
        content = run_pipeline(path, ExtractOptions(), executor=pool, workers=2, timeout=600)
        to_markdown(content)
        json.dumps(content.to_dict())  # the worker serializes the result to save it
        pool_peaks = [peak_rss_mb(pid) for pid in pool._processes]  # alive until shutdown
    print(json.dumps({"main_mb": peak_rss_mb(os.getpid()), "pool_mb": pool_peaks}))


def worker_peak(quick: bool) -> dict[str, Any]:
    if importlib.util.find_spec("bench.large_document") is not None:
        from bench import large_document  # type: ignore[attr-defined]  # written by another part

        runner = getattr(large_document, "run_for_bench", None) or getattr(large_document, "run", None)
        if runner is not None:
            try:
                return {"source": "bench/large_document.py", **runner(quick=quick)}
            except TypeError:
                return {"source": "bench/large_document.py", **runner()}
    path, _ = corpus("text", 1000)
    proc = subprocess.run(
        [PYTHON, "-m", "bench.memory", "worker", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-500:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "source": "run_pipeline + 2-process pool (bench/large_document.py absent)",
        "pages": 1000,
        "peak_rss_mb": max([result["main_mb"], *result["pool_mb"]]),
        "main_peak_mb": result["main_mb"],
        "pool_peaks_mb": result["pool_mb"],
    }


# ---- API upload --------------------------------------------------------------------


def api_upload_growth(quick: bool) -> dict[str, Any]:
    megabytes = 100
    big = cached(f"upload-{megabytes}mb", lambda p: large_upload_pdf(p, megabytes))
    with tempfile.TemporaryDirectory(prefix="docat-bench-mem-") as tmp:
        work = Path(tmp)
        env = {
            "DATA_DIR": str(work / "data"),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": "",
            "REDIS_URL": "",
            "S3_BUCKET": "",
            "MAX_UPLOAD_MB": "200",
            "MAX_PAGES_ADMIN": "1000",
            "PDF_PROCESSES": "1",
            "LOG_LEVEL": "WARNING",
        }
        token = seed(load_settings(data_dir=Path(env["DATA_DIR"]), secret_key=env["SECRET_KEY"]))
        port = free_port()
        args = [PYTHON, "-m", "docat.cli", "serve", "--port", str(port)]
        with Server(args, env, work / "serve.log", port).start() as server:
            # Warm-up: one small upload, so lazy imports and pools exist before the baseline.
            small = work / "small.pdf"
            unique_pdf(small, 1, seed=secrets.randbelow(10**9))
            warm_error = upload_error(upload(server.url, token, small))
            time.sleep(1.5)
            baseline = rss_mb(server.pid)
            with RssSampler(server.pid, 0.01) as during:
                started = time.perf_counter()
                response = upload(server.url, token, big)
                seconds = time.perf_counter() - started
            with RssSampler(server.pid, 0.01) as after:
                time.sleep(2.0)
            error = upload_error(response)
    return {
        "file_mb": big.stat().st_size / 1e6,
        "upload_s": seconds,
        "baseline_mb": baseline,
        "peak_during_mb": during.peak,
        "growth_mb": during.peak - baseline,
        "growth_after_response_mb": max(after.peak - baseline, 0.0),
        "upload_error": error,
        "warmup_error": warm_error,
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        _worker_child(sys.argv[2])
