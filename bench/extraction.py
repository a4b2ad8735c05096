"""Part 1: extraction pages/s in one process, ours against the floor and the alternatives.

- ours: `run_pipeline` inline (inspect, profile, extract with structure and
  tables) plus `to_markdown`, so it ends where pymupdf4llm ends: Markdown;
- raw: open the file and `get_text("dict")` every page, nothing else (the
  floor: no pipeline built on PyMuPDF can read text faster);
- pymupdf4llm 2.0 (layout model, and without it) and pdfplumber (text +
  tables), each in the comparison venv, on as many first pages as fit a
  time budget (the pages of a corpus are alike, so the rate carries over).

Ours and raw alternate within each repetition and keep their best, so a
noisy neighbour on this shared machine hurts both alike. Every tool's output
is scored against what was drawn (`bench.structure`): Markdown for ours and
pymupdf4llm, plain text and table lists for pdfplumber.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pymupdf

from bench.compare_env import ensure_venv, run_tool
from bench.corpus import CORPORA, Truth, corpus
from bench.procs import ROOT
from bench.structure import PageOutput, score
from jobs.pdf.content import ExtractedContent
from jobs.pdf.markdown import to_markdown
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline

COMPARED = ("pymupdf4llm", "pymupdf4llm-nolayout", "pdfplumber")
# A real 117-page pdflatex document from the shared corpus (text, figures, no ruled tables).
REAL_DOCUMENT = ROOT.parent / "shared/corpus/sample-files/009-pdflatex-geotopo/GeoTopo-komprimiert.pdf"


Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process)


def _clock() -> Timing:
    return time.perf_counter(), time.process_time()


def _since(start: Timing) -> Timing:
    return time.perf_counter() - start[0], time.process_time() - start[1]


def time_raw(path: Path, pages: int | None = None) -> Timing:
    start = _clock()
    with pymupdf.open(path) as doc:
        for number in range(pages or doc.page_count):
            doc[number].get_text("dict")
    return _since(start)


def time_ours(path: Path, pages: int | None = None) -> tuple[Timing, ExtractedContent]:
    options = ExtractOptions(pages=tuple(range(1, pages + 1)) if pages else None)
    start = _clock()
    content = run_pipeline(path, options)
    to_markdown(content)
    return _since(start), content


def our_outputs(content: ExtractedContent) -> list[PageOutput]:
    """Our Markdown page by page, scored exactly like pymupdf4llm's."""
    by_page: dict[int, list[Any]] = {}
    for block in content.blocks:
        by_page.setdefault(block.page, []).append(block)
    return [
        PageOutput(page, to_markdown(replace(content, title=None, blocks=blocks)), None, None)
        for page, blocks in sorted(by_page.items())
    ]


def tool_outputs(result: dict[str, Any]) -> list[PageOutput]:
    plain = result["tool"] == "pdfplumber"
    return [PageOutput(o["page"], o["text"], o["tables"], [] if plain else None) for o in result["outputs"]]


def _entry(version: str, pages: int, timings: list[Timing], scores: Any) -> dict[str, Any]:
    return {
        "version": version,
        "pages": pages,
        "pages_per_s": pages / min(t[0] for t in timings),
        "cpu_pages_per_s": pages / max(min(t[1] for t in timings), 1e-6),
        "scores": scores,
    }


def _measure(path: Path, truth: Truth, pages: int, reps: int, first: int | None = None) -> dict[str, Any]:
    """Ours and raw on `path` (its first `first` pages, or all), best of `reps` each."""
    raw: list[Timing] = []
    ours: list[Timing] = []
    content = None
    for _ in range(reps):
        raw.append(time_raw(path, first))
        timing, content = time_ours(path, first)
        ours.append(timing)
    assert content is not None
    tools = {
        "raw get_text(dict)": _entry(f"PyMuPDF {pymupdf.VersionBind}", pages, raw, None),
        "ours": _entry(
            f"jobs.pdf on PyMuPDF {pymupdf.VersionBind}", pages, ours, score(truth, our_outputs(content))
        ),
    }
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return {"path": str(path), "file": str(shown), "pages": pages, "tools": tools, "_truth": truth}


def _compare(result: dict[str, Any], tool: str, max_pages: int, budget: float) -> None:
    truth: Truth = result["_truth"]
    try:
        out = run_tool(tool, Path(result["path"]), max_pages, budget)
    except Exception as exc:  # a tool that breaks is reported, not fatal
        result["tools"][tool] = {"error": str(exc)[-300:]}
        return
    result["tools"][tool] = {
        "version": out["version"],
        "pages": out["pages"],
        "pages_per_s": out["pages_per_s"],
        "cpu_pages_per_s": out["cpu_pages_per_s"],
        "warmup_s": out["warmup_s"],
        "scores": score(truth, tool_outputs(out)),
    }


def run(quick: bool) -> dict[str, Any]:
    pages = 60 if quick else 200
    reps = 2 if quick else 3
    budget = 4.0 if quick else 8.0  # seconds of timed work per slow tool and corpus
    max_slow_pages = 20 if quick else 40
    problem = ensure_venv()
    results: dict[str, Any] = {"corpora": {}, "notes": []}
    for kind in CORPORA:
        path, truth = corpus(kind, pages)
        result = _measure(path, truth, pages, reps)
        if problem is None:
            for tool in COMPARED:
                _compare(result, tool, max_slow_pages, budget)
        result.pop("_truth")
        result["path"] = result.pop("file")
        results["corpora"][kind] = result
    if REAL_DOCUMENT.exists():
        # A real pdflatex book: pages differ, so every tool gets the same first pages.
        first = 10 if quick else 20
        result = _measure(REAL_DOCUMENT, Truth("real", first), first, reps, first)
        if problem is None:
            for tool in COMPARED:
                _compare(result, tool, first, budget=1e9)
        result.pop("_truth")
        result["path"] = result.pop("file")
        results["corpora"][f"real: {REAL_DOCUMENT.name}, first {first} pages"] = result
    if problem:
        results["notes"].append(f"pymupdf4llm and pdfplumber skipped: {problem}")
    results["ratios"] = ratios(results["corpora"])
    return results


def _rate(corpus_result: dict[str, Any], tool: str, key: str = "pages_per_s") -> float | None:
    entry = corpus_result["tools"].get(tool) or {}
    rate = entry.get(key)
    return float(rate) if rate else None


def ratios(corpora: dict[str, Any]) -> dict[str, Any]:
    """ours / other, by wall time (what the targets read) and by CPU time (steadier here)."""
    out: dict[str, Any] = {}
    for kind, result in corpora.items():
        for other in ("raw get_text(dict)", *COMPARED):
            for key, suffix in (("pages_per_s", ""), ("cpu_pages_per_s", " (CPU)")):
                ours, theirs = _rate(result, "ours", key), _rate(result, other, key)
                if ours and theirs:
                    out[f"{kind}: ours / {other}{suffix}"] = ours / theirs
    return out
