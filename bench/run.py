"""Run every benchmark and write bench/results.json and bench/results.md.

    python -m bench.run            # ~10 minutes
    python -m bench.run --quick    # ~2 minutes: smaller corpora, shorter loads
    python -m bench.run --only extraction,graphql

Parts run one after another (never two at once: they would measure each
other) and each failure is recorded in its part instead of ending the run.
Results are ratios measured side by side in one run: this machine is shared
and noisy, so absolute numbers move and ratios hold.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.procs import ROOT

BENCH = Path(__file__).resolve().parent
RESULTS_JSON = BENCH / "results.json"
RESULTS_MD = BENCH / "results.md"


def _extraction(quick: bool) -> dict[str, Any]:
    from bench import extraction

    return extraction.run(quick)


def _scaling(quick: bool) -> dict[str, Any]:
    from bench import scaling

    return scaling.run(quick)


def _end_to_end(quick: bool) -> dict[str, Any]:
    from bench import end_to_end

    return end_to_end.run(quick)


def _subscriptions(quick: bool) -> dict[str, Any]:
    """bench/subscriptions.py is another benchmark's own script: run it if it is there."""
    if importlib.util.find_spec("bench.subscriptions") is None:
        return {"skipped": "bench/subscriptions.py is not in this checkout"}
    from bench import subscriptions  # type: ignore[attr-defined]  # written by another part

    runner = getattr(subscriptions, "run", None)
    if callable(runner):
        result = runner(quick=quick)
    else:
        # Its own command line, which writes bench/out/subscriptions.json.
        size = ["--subscribers", "200", "--seconds", "8"] if quick else []
        out = BENCH / "out" / "subscriptions.json"
        out.unlink(missing_ok=True)
        proc = subprocess.run(
            [sys.executable, "-m", "bench.subscriptions", *size],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if proc.returncode != 0 or not out.exists():
            return {"error": f"exit {proc.returncode}: {(proc.stderr or proc.stdout)[-600:]}"}
        result = json.loads(out.read_text())
    return {**result, **_subscription_verdict(result)}


def _subscription_verdict(result: dict[str, Any]) -> dict[str, Any]:
    """The issue's target for both phases: p99 <= 100 ms and nothing missed."""
    phases = {k: v for k, v in result.items() if isinstance(v, dict) and "latency_ms" in v}
    if not phases:
        return {}
    parts = [f"{k}: p99 {v['latency_ms'].get('p99')} ms, missed {v.get('missed')}" for k, v in phases.items()]
    met = all((v["latency_ms"].get("p99") or 1e9) <= 100 and v.get("missed") == 0 for v in phases.values())
    return {"summary": "; ".join(parts), "targets_met": met}


def _graphql(quick: bool) -> dict[str, Any]:
    from bench import graphql_load

    return graphql_load.run(quick)


def _memory(quick: bool) -> dict[str, Any]:
    from bench import memory

    out: dict[str, Any] = {}
    for name, fn in (("worker", memory.worker_peak), ("api_upload", memory.api_upload_growth)):
        try:
            out[name] = fn(quick)
        except Exception as exc:
            out[name] = {"error": f"{type(exc).__name__}: {exc}"[:600]}
    return out


def _executor(quick: bool) -> dict[str, Any]:
    from bench import executor_ab

    return executor_ab.run(quick)


def _web_page(quick: bool) -> dict[str, Any]:
    from bench import web_page

    return web_page.run(quick)


def _recovery(quick: bool) -> dict[str, Any]:
    from bench import recovery

    return recovery.run(8 if quick else 12)


PARTS: dict[str, Callable[[bool], dict[str, Any]]] = {
    "extraction": _extraction,
    "scaling": _scaling,
    "end_to_end": _end_to_end,
    "subscriptions": _subscriptions,
    "graphql": _graphql,
    "memory": _memory,
    "executor": _executor,
    "web_page": _web_page,
    "recovery": _recovery,
}


def _commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        return sha + (" (uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller corpora and shorter loads (~2 minutes)")
    parser.add_argument("--only", help=f"comma-separated parts: {','.join(PARTS)}")
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(PARTS)
    unknown = [p for p in chosen if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}")

    from bench.report import render
    from bench.targets import evaluate

    started = time.perf_counter()
    results: dict[str, Any] = {
        "meta": {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": args.quick,
            "cpus": os.cpu_count(),
            "commit": _commit(),
            "python": sys.version.split()[0],
            "loadavg_start": _load(),
        }
    }
    for name in chosen:
        part_started = time.perf_counter()
        print(f"== {name}", flush=True)
        results["meta"][f"{name}_loadavg"] = _load()  # a busy neighbour shows here
        try:
            results[name] = PARTS[name](args.quick)
        except Exception as exc:
            traceback.print_exc()
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:800]}
        results["meta"][f"{name}_s"] = round(time.perf_counter() - part_started, 1)
        print(f"   {results['meta'][f'{name}_s']} s", flush=True)
    results["meta"]["duration_s"] = time.perf_counter() - started
    results["meta"]["loadavg_end"] = _load()
    results["targets"] = evaluate(results)

    RESULTS_JSON.write_text(json.dumps(results, indent=2, default=str) + "\n")
    markdown = render(results)
    RESULTS_MD.write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
