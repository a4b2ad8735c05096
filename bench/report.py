"""bench/results.json as Markdown tables (bench/results.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MARK = {True: "met", False: "**missed**", None: "n/a"}
NA = "-"


def _cell(value: Any, limit: int = 160) -> str:
    # Error messages carry newlines and pipes: either would break the table.
    text = " ".join(str(value).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join("" if c is None else _cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _pct(value: Any) -> str:
    return NA if value is None else f"{value:.0%}"


def _num(value: Any, fmt: str = "{:.1f}") -> str:
    return NA if value is None else fmt.format(value)


def _error(section: Any) -> list[str]:
    if isinstance(section, dict) and section.get("error"):
        return [f"Not measured: {section['error']}", ""]
    return []


def _extraction(part: dict[str, Any]) -> list[str]:
    out = ["## 1. Extraction, one process", ""]
    for kind, result in part.get("corpora", {}).items():
        ours = result["tools"].get("ours", {}).get("pages_per_s")
        rows = []
        for tool, entry in result["tools"].items():
            if "error" in entry:
                rows.append([tool, "error", "", "", "", "", "", "", entry["error"][:80]])
                continue
            rate = entry["pages_per_s"]
            scores = entry.get("scores") or {}
            rows.append(
                [
                    tool,
                    _num(rate),
                    _num(entry.get("cpu_pages_per_s")),
                    entry["pages"],
                    "1.00" if tool == "ours" else _num(ours / rate if ours else None, "{:.2f}"),
                    _pct(scores.get("tables")),
                    _pct(scores.get("headings")),
                    _pct(scores.get("column_order")),
                    entry.get("version", ""),
                ]
            )
        out += [f"**{kind}** ({result['pages']} pages for ours and raw)", ""]
        out += _table(
            [
                "tool",
                "pages/s",
                "pages per CPU-s",
                "pages timed",
                "ours ÷ tool",
                "tables exact",
                "headings",
                "column order",
                "version",
            ],
            rows,
        )
    out += [f"Note: {n}" for n in part.get("notes", [])]
    return out


def _scaling(part: dict[str, Any]) -> list[str]:
    rows = [
        [
            name,
            r["pages"],
            _num(r["pages_per_s_1"]),
            _num(r["pages_per_s_2"]),
            _num(r["speedup"], "{:.2f}x"),
            _num(r.get("critical_path_speedup"), "{:.2f}x"),
            f"{_num(r.get('cpu_s_1'), '{:.2f}')} / {_num(r.get('cpu_s_2'), '{:.2f}')}",
        ]
        for name, r in part.items()
        if isinstance(r, dict) and "speedup" in r
    ]
    headers = [
        "document",
        "pages",
        "pages/s, 1 process",
        "pages/s, 2 processes",
        "wall speedup",
        "CPU critical-path speedup",
        "CPU s, 1 / 2 processes",
    ]
    return ["## 2. Scaling (ProcessPoolExecutor, whole pipeline)", "", *_table(headers, rows)]


def _steps(entry: dict[str, Any]) -> str:
    steps = entry.get("steps_p50_ms") or {}
    return " / ".join(f"{steps[k]:.0f}" for k in ("upload", "queued", "running", "seen") if k in steps)


def _end_to_end(part: dict[str, Any]) -> list[str]:
    out = ["## 3. Upload → COMPLETED", "", *_error(part)]
    extraction = part.get("extraction_p50_ms", {})
    rows = []
    signals = set()
    for mode in ("embedded", "postgres_redis_arq"):
        section = part.get(mode, {})
        for size, pure in extraction.items():
            entry = section.get(size, {})
            if "p50_ms" in entry:
                signals.add(entry.get("completion_seen_by", ""))
                rows.append(
                    [
                        mode,
                        size,
                        entry["n"],
                        _num(entry["p50_ms"]),
                        _num(entry["p95_ms"]),
                        _num(pure),
                        _num(entry["p50_ms"] - pure),
                        _steps(entry),
                    ]
                )
            else:
                rows.append(
                    [mode, size, 0, NA, NA, _num(pure), entry.get("error") or section.get("error", ""), ""]
                )
    out += _table(
        [
            "mode",
            "document",
            "uploads",
            "p50 ms",
            "p95 ms",
            "extraction p50 ms",
            "overhead p50 ms",
            "steps p50 ms: upload / queued / running / seen",
        ],
        rows,
    )
    if signals:
        out += [f"Completion seen by: {', '.join(sorted(signals))}.", ""]
    return out


def _flatten(prefix: str, value: Any, rows: list[list[Any]]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, rows)
    elif isinstance(value, float):
        rows.append([prefix, f"{value:.2f}"])
    elif not isinstance(value, list) or len(value) <= 8:
        rows.append([prefix, value])


def _subscriptions(part: dict[str, Any]) -> list[str]:
    out = ["## 4. Subscriptions", ""]
    if part.get("skipped"):
        return [*out, f"Skipped: {part['skipped']}", ""]
    rows: list[list[Any]] = []
    _flatten("", {k: v for k, v in part.items() if k not in ("targets_met", "summary")}, rows)
    return [*out, *_table(["measure", "value"], rows)]


def _graphql(part: dict[str, Any]) -> list[str]:
    out = ["## 5. GraphQL requests/s (one uvicorn process)", "", *_error(part)]
    endpoints = part.get("endpoints", {})
    rows = [
        [name, _num(e["rps"], "{:.0f}"), _num(e.get("p50_ms"), "{:.2f}"), e["non_2xx"]]
        for name, e in endpoints.items()
    ]
    out += _table(["endpoint", "requests/s", "p50 ms", "non-2xx"], rows)
    if endpoints:
        out += [
            f"documents ÷ trivial: {_pct(part.get('documents_over_trivial'))}; "
            f"trivial ÷ plain: {_pct(part.get('trivial_over_plain'))} "
            f"(client: {part.get('client')}, {part.get('connections')} connections).",
            "",
        ]
    return out


def _memory(part: dict[str, Any]) -> list[str]:
    out = ["## 6. Memory", ""]
    worker = part.get("worker", {})
    api = part.get("api_upload", {})
    rows = []
    for how, peak in (worker.get("tree_peaks_mb") or {}).items():
        rows.append(["worker peak RSS (process tree)", _num(peak, "{:.0f} MB"), how])
    for name in ("large_document", "docat_worker"):
        if isinstance(worker.get(name), dict) and worker[name].get("error"):
            rows.append(["worker peak RSS (process tree)", "error", f"{name}: {worker[name]['error']}"])
    if worker.get("error"):
        rows.append(["worker peak RSS (process tree)", "error", worker["error"]])
    if "growth_mb" in api:
        note = (
            f"{api['file_mb']:.0f} MB file in {api['upload_s']:.1f} s; baseline {api['baseline_mb']:.0f} MB"
        )
        if api.get("upload_error"):
            note += f"; upload answered: {api['upload_error']}"
        rows.append(["API RSS growth during the upload", _num(api["growth_mb"], "{:.1f} MB"), note])
        rows.append(
            [
                "API RSS growth in the 2 s after",
                _num(api["growth_after_response_mb"], "{:.1f} MB"),
                "job running",
            ]
        )
    elif api.get("error"):
        rows.append(["API RSS growth during the upload", "error", api["error"]])
    return [*out, *_table(["measure", "value", "how"], rows)]


def _executor(part: dict[str, Any]) -> list[str]:
    out = ["## Executor A/B: plan-based completion vs graphql-core's (bench/executor_ab.py)", ""]
    rows = [
        [what, part[f"{key}_us"]["plans"], part[f"{key}_us"]["graphql-core"], _pct(part[f"{key}_gain"])]
        for what, key in (("documents(first: 20), executed", "list"), ("jobProgress, per event", "delivery"))
    ]
    return out + _table(["CPU µs", "plans", "graphql-core", "graphql-core needs more"], rows)


_TITLES = {
    "web_page": "Dashboard page weight and first rendered block (bench/web_page.py)",
    "recovery": "Recovery after a worker is SIGKILLed mid-job (bench/recovery.py)",
}


def _flat(key: str) -> Callable[[dict[str, Any]], list[str]]:
    """A part without a renderer of its own: its values, one row each (nested keys dotted)."""

    def render_part(part: dict[str, Any]) -> list[str]:
        rows: list[list[str]] = []

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for name, inner in value.items():
                    walk(f"{prefix}.{name}" if prefix else str(name), inner)
            else:
                rows.append([prefix, f"{value:.3g}" if isinstance(value, float) else str(value)])

        walk("", part)
        return [f"## {_TITLES.get(key, key)}", "", *_table(["measure", "value"], rows)]

    return render_part


def render(results: dict[str, Any]) -> str:
    meta = results.get("meta", {})
    out = [
        "# PDF Docat benchmarks",
        "",
        f"Run {meta.get('started')} on {meta.get('cpus')} CPUs, commit {meta.get('commit')}, "
        f"{'quick' if meta.get('quick') else 'full'} run, {meta.get('duration_s', 0):.0f} s; "
        f"load average {meta.get('loadavg_start')} → {meta.get('loadavg_end')} "
        "(a shared machine: compare ratios, not absolute numbers).",
        "",
        "1-minute load average as each part started: "
        + ", ".join(
            f"{k.removesuffix('_loadavg')} {v.split()[0]}" for k, v in meta.items() if k.endswith("_loadavg")
        )
        + ".",
        "",
        "## Targets",
        "",
        *_table(
            ["part", "target", "measured", "result"],
            [[t["part"], t["target"], t["measured"], _MARK[t["met"]]] for t in results.get("targets", [])],
        ),
    ]
    sections = {
        "extraction": _extraction,
        "scaling": _scaling,
        "end_to_end": _end_to_end,
        "subscriptions": _subscriptions,
        "graphql": _graphql,
        "memory": _memory,
        "executor": _executor,
    }
    for key in results:
        if key not in sections and key not in ("meta", "targets"):
            sections[key] = _flat(key)
    for key, render_part in sections.items():
        part = results.get(key)
        if part is None:
            continue
        if isinstance(part, dict) and set(part) == {"error"}:
            out += [f"## {key}", "", f"Failed: {part['error']}", ""]
            continue
        out += render_part(part)
    return "\n".join(out).rstrip() + "\n"
