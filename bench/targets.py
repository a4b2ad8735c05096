"""The issue's targets, checked against one run's results.

Each check returns a row: what the target is, what was measured, and whether
it was met (None when the part did not produce the number).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(slots=True)
class Check:
    part: str
    target: str
    measured: str
    met: bool | None


def _get(results: dict[str, Any], *path: str) -> Any:
    node: Any = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _ratio(results: dict[str, Any], corpus: str, other: str) -> float | None:
    value = _get(results, "extraction", "ratios", f"{corpus}: ours / {other}")
    return float(value) if value is not None else None


def _at_least(part: str, target: str, value: float | None, floor: float, fmt: str) -> Check:
    if value is None:
        return Check(part, target, "not measured", None)
    return Check(part, target, fmt.format(value), value >= floor)


def _at_most(part: str, target: str, value: float | None, ceiling: float, fmt: str) -> Check:
    if value is None:
        return Check(part, target, "not measured", None)
    return Check(part, target, fmt.format(value), value <= ceiling)


def _subscriptions(results: dict[str, Any]) -> list[Check]:
    sub = results.get("subscriptions") or {}
    met = sub.get("targets_met")
    summary = sub.get("summary") or ("skipped" if sub.get("skipped") else "see the subscriptions section")
    return [Check("4", "subscriptions (a) and (b): p99 <= 100 ms, none missed", str(summary), met)]


def _scaling(name: str, entry: dict[str, Any]) -> Check:
    check = _at_least("2", f"{name}: 2 processes >= 1.7x one", entry.get("speedup"), 1.7, "{:.2f}x wall")
    critical = entry.get("critical_path_speedup")
    if critical is not None and check.met is not None:
        check.measured += f" (CPU critical path {critical:.2f}x)"
    return check


CHECKS: list[Callable[[dict[str, Any]], list[Check]]] = [
    lambda r: [
        _at_least(
            "1",
            "tables: ours >= 5x pymupdf4llm (layout) pages/s",
            _ratio(r, "tables", "pymupdf4llm"),
            5.0,
            "{:.1f}x",
        ),
        _at_least(
            "1",
            'text-only: ours >= 40% of raw get_text("dict")',
            _ratio(r, "text", "raw get_text(dict)"),
            0.40,
            "{:.0%}",
        ),
    ],
    lambda r: [
        _scaling(name, entry) for name, entry in (r.get("scaling") or {}).items() if isinstance(entry, dict)
    ],
    lambda r: [
        _at_most(
            "3",
            f"{mode}: upload->COMPLETED overhead over extraction <= 30 ms p50 (1 page)",
            _get(r, "end_to_end", mode, "overhead_p50_ms_1_page"),
            30.0,
            "{:.1f} ms",
        )
        for mode in ("embedded", "postgres_redis_arq")
    ],
    _subscriptions,
    lambda r: [
        _at_least(
            "5",
            "documents(first: 20) >= 40% of the trivial query's requests/s",
            _get(r, "graphql", "documents_over_trivial"),
            0.40,
            "{:.0%}",
        ),
        _at_least(
            "5",
            "trivial query >= 25% of a plain Starlette JSON endpoint",
            _get(r, "graphql", "trivial_over_plain"),
            0.25,
            "{:.0%}",
        ),
    ],
    lambda r: [
        _at_most(
            "6",
            "worker peak RSS (process tree), 1,000-page document <= 400 MB",
            _get(r, "memory", "worker", "peak_rss_mb"),
            400.0,
            "{:.0f} MB",
        ),
        _at_most(
            "6",
            "API RSS growth during a 100 MB upload <= 30 MB",
            _get(r, "memory", "api_upload", "growth_mb"),
            30.0,
            "{:.1f} MB",
        ),
    ],
]


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[Check] = []
    for check in CHECKS:
        try:
            rows.extend(check(results))
        except (TypeError, ValueError, KeyError):
            continue
    return [asdict(row) for row in rows]
