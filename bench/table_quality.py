"""Table quality: how well each extractor gives back tables whose cells are known.

    python -m bench.table_quality [--no-compare]

The corpus is generated (tests/pdf/table_corpus.py): ruled, header-rule-only,
booktabs, unruled, wrapped cells, spanning group headers, and a table
continued on the next page; one table per page among prose. For each
expected table, the best-matching table found on its page is scored:

- cell F1: the cells (header and body, text normalised) as a multiset, F1 of
  found against expected; a missing table scores 0;
- shape exact: the same number of rows (header included) and columns;
- all cells exact: the same grid, cell for cell;
- found: some table on the page shares at least half of the cells.

Docat runs here; pymupdf4llm, pdfplumber and camelot (stream, lattice) run
in bench/.venv-compare through compare_tables.py. Speed is seconds per page
for the whole corpus, imports and warm-up excluded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.compare_env import BENCH, PYTHON, ensure_venv
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from tests.pdf.table_corpus import ExpectedTable, table_corpus_pdf

Grid = list[list[str]]
TOOLS = ("pymupdf4llm", "pdfplumber", "camelot-stream", "camelot-lattice")


def _norm(cell: str) -> str:
    return " ".join(cell.split()).lower()


def cell_f1(expected: Grid, got: Grid) -> float:
    want = Counter(_norm(c) for row in expected for c in row if c.strip())
    have = Counter(_norm(c) for row in got for c in row if c.strip())
    hits = sum((want & have).values())
    if not hits:
        return 0.0
    precision, recall = hits / sum(have.values()), hits / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def score(expected: Sequence[ExpectedTable], found: dict[int, list[Grid]]) -> dict[str, Any]:
    per_table: list[dict[str, Any]] = []
    for want in expected:
        grid = [want.headers, *want.rows]
        candidates = found.get(want.page, [])
        best = max(candidates, key=lambda g: cell_f1(grid, g), default=[])
        f1 = cell_f1(grid, best)
        norm = [[_norm(c) for c in row] for row in best]
        per_table.append(
            {
                "kind": want.kind,
                "page": want.page,
                "cell_f1": round(f1, 3),
                "shape_exact": len(best) == len(grid) and all(len(r) == len(grid[0]) for r in best),
                "all_cells_exact": norm == [[_norm(c) for c in row] for row in grid],
                "found": f1 >= 0.5,
            }
        )
    n = len(per_table) or 1
    return {
        "cell_f1": round(sum(t["cell_f1"] for t in per_table) / n, 3),
        "shape_exact": round(sum(t["shape_exact"] for t in per_table) / n, 3),
        "all_cells_exact": round(sum(t["all_cells_exact"] for t in per_table) / n, 3),
        "found_pct": round(100 * sum(t["found"] for t in per_table) / n, 1),
        "tables": per_table,
    }


def docat_tables(path: Path) -> tuple[dict[int, list[Grid]], float, int]:
    run_pipeline(path, ExtractOptions(engine="TEXT", pages=(1,)))  # warm-up
    t = time.perf_counter()
    content = run_pipeline(path, ExtractOptions(engine="TEXT"))
    seconds = time.perf_counter() - t
    found: dict[int, list[Grid]] = {}
    for block in content.blocks:
        if block.table:
            found.setdefault(block.page, []).append([block.table.headers, *block.table.rows])
    return found, seconds, content.page_count


def tool_tables(tool: str, path: Path, pages: int) -> dict[str, Any]:
    spec = json.dumps({"tool": tool, "path": str(path), "pages": pages})
    proc = subprocess.run(
        [str(PYTHON), str(BENCH / "compare_tables.py"), spec], capture_output=True, timeout=900, cwd=BENCH
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode(errors="replace")[-400:])
    out = proc.stdout.decode()
    data: dict[str, Any] = json.loads(out[out.index('{"tool"') :])
    data["tables"] = {int(k): v for k, v in data["tables"].items()}
    return data


def run(compare: bool = True) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tables.pdf"
        expected = table_corpus_pdf(path)
        found, seconds, pages = docat_tables(path)
        results: dict[str, Any] = {
            "docat": {
                **score(expected, found),
                "s_per_page": round(seconds / pages, 5),
                "version": "this tree",
            }
        }
        problem = ensure_venv() if compare else "comparison skipped"
        for tool in TOOLS if problem is None else ():
            try:
                data = tool_tables(tool, path, pages)
            except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
                results[tool] = {"error": str(exc)[-300:]}
                continue
            results[tool] = {
                **score(expected, data["tables"]),
                "s_per_page": round(data["seconds"] / pages, 5),
                "version": data["version"],
            }
        if problem is not None:
            results["note"] = problem
        return results


def report(results: dict[str, Any]) -> str:
    lines = [
        "| tool | cell F1 | shape exact | all cells exact | found % | s/page |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for tool, r in results.items():
        if not isinstance(r, dict):
            continue
        if "error" in r:
            lines.append(f"| {tool} | error: {r['error'][:60]} | | | | |")
            continue
        cells = (r["cell_f1"], r["shape_exact"], r["all_cells_exact"], r["found_pct"], r["s_per_page"])
        lines.append(f"| {tool} | " + " | ".join(str(c) for c in cells) + " |")
    kinds = sorted({t["kind"] for r in results.values() if isinstance(r, dict) for t in r.get("tables", [])})
    lines += [
        "",
        "cell F1 by kind:",
        "",
        "| tool | " + " | ".join(kinds) + " |",
        "|---" * (len(kinds) + 1) + "|",
    ]
    for tool, r in results.items():
        if isinstance(r, dict) and "tables" in r:
            by: dict[str, list[float]] = {}
            for t in r["tables"]:
                by.setdefault(t["kind"], []).append(t["cell_f1"])
            lines.append(f"| {tool} | " + " | ".join(f"{sum(by[k]) / len(by[k]):.2f}" for k in kinds) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-compare", action="store_true", help="docat only, no comparison venv")
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args(argv)
    results = run(compare=not args.no_compare)
    print(report(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
