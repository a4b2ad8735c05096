"""Part 6: memory. Peak RSS of a worker on a 1,000-page document, and API RSS
growth while a ~100 MB PDF is uploaded.

Worker: bench/large_document.py when it exists (the queue benchmark's own
run); otherwise a 1,000-page upload processed by a real `docat worker` on
PostgreSQL + Redis (bench.stack), reporting VmHWM (the kernel's exact peak,
no sampling) of the worker process and of each of its pool processes. The
pipeline alone (`python -m bench.memory worker PDF`: run_pipeline with a
2-process pool) is measured too, to tell the job's own overhead apart.

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
from bench.procs import PYTHON, ROOT, RssSampler, descendants, peak_rss_mb, rss_mb
from bench.stack import Stack

UPLOAD = "mutation Upload($f: Upload!) { uploadDocument(file: $f) { id status } }"
STATUS = "query S($id: ID!) { document(id: $id) { status } }"


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


def pipeline_peak() -> dict[str, Any]:
    """The pipeline alone on 1,000 pages, in a fresh process with a 2-process pool."""
    path, _ = corpus("text", 1000)
    args = [PYTHON, "-m", "bench.memory", "worker", str(path)]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-500:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"main_peak_mb": result["main_mb"], "pool_peaks_mb": result["pool_mb"]}


def _wait_terminal(url: str, token: str, document_id: str, limit_s: float) -> str:
    body = {"query": STATUS, "variables": {"id": document_id}}
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        response = httpx.post(url + "/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
        status = str(response.json()["data"]["document"]["status"])
        if status in ("COMPLETED", "FAILED", "CANCELLED"):
            return status
        time.sleep(0.2)
    return "TIMEOUT"


def real_worker_peak(limit_s: float) -> dict[str, Any]:
    """A 1,000-page upload processed by a real `docat worker` (PostgreSQL, Redis, arq):
    VmHWM of the worker process and of each of its pool processes."""
    path, _ = corpus("text", 1000)
    env = {"MAX_PAGES_ADMIN": "1000", "MAX_UPLOAD_MB": "50"}
    with (
        tempfile.TemporaryDirectory(prefix="docat-bench-worker-") as tmp,
        Stack("production", Path(tmp), env) as stack,
    ):
        assert stack.worker is not None
        response = upload(stack.url, stack.token, path)
        if error := upload_error(response):
            raise RuntimeError(f"upload failed: {error}")
        document_id = response.json()["data"]["uploadDocument"]["id"]
        started = time.perf_counter()
        status = _wait_terminal(stack.url, stack.token, document_id, limit_s)
        seconds = time.perf_counter() - started
        pool = descendants(stack.worker.pid)  # still alive: read their peaks before the stop
        return {
            "status": status,
            "job_s": seconds,
            "main_peak_mb": peak_rss_mb(stack.worker.pid),
            # the pool's processes, and the forkserver that starts them where one is used
            "pool_peaks_mb": [peak_rss_mb(pid) for pid in pool],
        }


def worker_peak(quick: bool) -> dict[str, Any]:
    """Every measurement available; the target reads the largest process-tree peak."""
    out: dict[str, Any] = {"pipeline_only": pipeline_peak()}
    trees: dict[str, float] = {}
    if importlib.util.find_spec("bench.large_document") is not None:
        from bench import large_document  # type: ignore[attr-defined]  # written by another part

        try:
            result = large_document.run_for_bench(quick=quick)
            out["large_document"] = result
            label = (
                f"bench/large_document.py: process_document on {result.get('pages')} pages, tree RSS sampled"
            )
            trees[label] = result["peak_rss_mb"]
        except Exception as exc:
            out["large_document"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    try:
        worker = real_worker_peak(limit_s=120 if quick else 300)
        out["docat_worker"] = worker
        # Sum of each process's own peak: an upper bound of the tree's peak.
        label = "docat worker (PostgreSQL + Redis + arq) on 1,000 pages: sum of each process's VmHWM"
        trees[label] = worker["main_peak_mb"] + sum(worker["pool_peaks_mb"])
    except Exception as exc:  # no PostgreSQL/Redis here: the other measurements still stand
        out["docat_worker"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    if not trees:
        only = out["pipeline_only"]
        label = "run_pipeline + 2-process pool on 1,000 pages: sum of each process's VmHWM"
        trees[label] = only["main_peak_mb"] + sum(only["pool_peaks_mb"])
    out["source"], out["peak_rss_mb"] = max(trees.items(), key=lambda kv: kv[1])
    out["tree_peaks_mb"] = trees
    return out


# ---- API upload --------------------------------------------------------------------


def api_upload_growth(quick: bool) -> dict[str, Any]:
    megabytes = 100
    big = cached(f"upload-{megabytes}mb", lambda p: large_upload_pdf(p, megabytes))
    env = {"MAX_UPLOAD_MB": "200", "MAX_PAGES_ADMIN": "1000", "PDF_PROCESSES": "1"}
    with (
        tempfile.TemporaryDirectory(prefix="docat-bench-mem-") as tmp,
        Stack("embedded", Path(tmp), env) as stack,
    ):
        assert stack.api is not None
        # Warm-up: one small upload, so lazy imports and pools exist before the baseline.
        small = Path(tmp) / "small.pdf"
        unique_pdf(small, 1, seed=secrets.randbelow(10**9))
        warm_error = upload_error(upload(stack.url, stack.token, small))
        time.sleep(1.5)
        baseline = rss_mb(stack.api.pid)
        with RssSampler(stack.api.pid, 0.01) as during:
            started = time.perf_counter()
            response = upload(stack.url, stack.token, big)
            seconds = time.perf_counter() - started
        with RssSampler(stack.api.pid, 0.01) as after:
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
