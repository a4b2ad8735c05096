"""Run one comparison tool on pages of a PDF; print timings and outputs as JSON.

This file runs under bench/.venv-compare's Python (PyMuPDF 2.0, pymupdf4llm,
pdfplumber), never under the project's venv, so it imports nothing from the
project: standard library and the tool only.

    python compare_tools.py '{"tool": "pymupdf4llm", "path": "...", "pages": 30, "budget": 20}'

The first page is converted once untimed (imports, the layout model's ONNX
session), then the second page alone gives a per-page estimate, and the run
takes as many pages as fit the time budget (at least `min_pages`, at most
`pages`). Pages/s is pages over the timed seconds.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

PageOut = dict[str, Any]  # {"page": 1-based, "text": str, "tables": [[[cell]]] | None}


def _pymupdf4llm(layout: bool) -> tuple[str, Callable[[str, list[int]], list[PageOut]]]:
    import pymupdf
    import pymupdf4llm

    pymupdf4llm.use_layout(layout)
    version = f"pymupdf4llm {pymupdf4llm.__version__}, PyMuPDF {pymupdf.VersionBind}" + (
        ", layout model" if layout else ", no layout"
    )

    def run(path: str, pages: list[int]) -> list[PageOut]:
        # OCR off: the corpus is born-digital, and OCR would measure Tesseract.
        chunks = pymupdf4llm.to_markdown(
            path, pages=[p - 1 for p in pages], page_chunks=True, use_ocr=False, show_progress=False
        )
        return [{"page": p, "text": c["text"], "tables": None} for p, c in zip(pages, chunks, strict=True)]

    return version, run


def _pdfplumber() -> tuple[str, Callable[[str, list[int]], list[PageOut]]]:
    import pdfplumber

    version = f"pdfplumber {pdfplumber.__version__}"

    def run(path: str, pages: list[int]) -> list[PageOut]:
        out = []
        with pdfplumber.open(path) as pdf:
            for number in pages:
                page = pdf.pages[number - 1]
                text = page.extract_text() or ""
                tables = page.extract_tables()
                out.append({"page": number, "text": text, "tables": tables})
                page.close()  # drops the page's cached objects: memory stays flat
        return out

    return version, run


TOOLS = {
    "pymupdf4llm": lambda: _pymupdf4llm(layout=True),
    "pymupdf4llm-nolayout": lambda: _pymupdf4llm(layout=False),
    "pdfplumber": _pdfplumber,
}


def main() -> None:
    spec = json.loads(sys.argv[1])
    path, max_pages, budget = spec["path"], int(spec["pages"]), float(spec["budget"])
    min_pages = int(spec.get("min_pages", 5))
    started = time.perf_counter()
    version, run = TOOLS[spec["tool"]]()
    run(path, [1])  # warm-up: imports, model load, font caches
    warmup = time.perf_counter() - started

    t = time.perf_counter()
    run(path, [2])
    per_page = max(time.perf_counter() - t, 1e-4)
    pages = max(min_pages, min(max_pages, int(budget / per_page)))

    t, cpu = time.perf_counter(), time.process_time()
    outputs = run(path, list(range(1, pages + 1)))
    seconds, cpu_seconds = time.perf_counter() - t, time.process_time() - cpu
    json.dump(
        {
            "tool": spec["tool"],
            "version": version,
            "pages": pages,
            "seconds": seconds,
            "pages_per_s": pages / seconds,
            # CPU of every thread of this process: steadier than wall time on a busy machine
            "cpu_pages_per_s": pages / max(cpu_seconds, 1e-6),
            "warmup_s": warmup,
            "outputs": outputs,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
