"""Run one comparison tool's table finder on every page of a PDF; print JSON.

Runs under bench/.venv-compare's Python, like compare_tools.py: standard
library and the tool only, nothing of the project.

    python compare_tables.py '{"tool": "camelot-stream", "path": "..."}'

Prints {"tool", "version", "seconds", "pages", "tables": {page: [[[cell]]]}}:
every table as rows of cell strings, the first row the header. The first page
is converted once untimed (imports, model load).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from typing import Any

Tables = dict[int, list[list[list[str]]]]
_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}")


def _markdown_tables(text: str) -> list[list[list[str]]]:
    """The pipe tables of a Markdown text (pymupdf4llm's output), separator rows out."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        line = line.strip()
        if line.startswith("|") and line.endswith("|"):
            if not _SEPARATOR.match(line.replace("|", "", 1)) or set(line) - set("|-: "):
                cells = [c.strip().replace("<br>", " ") for c in line[1:-1].split("|")]
                if not all(set(c) <= set("-: ") for c in cells):
                    current.append(cells)
            continue
        if current:
            tables.append(current)
            current = []
    return tables


def _pymupdf4llm() -> tuple[str, Callable[[str, int], Tables]]:
    import pymupdf
    import pymupdf4llm

    pymupdf4llm.use_layout(True)
    version = f"pymupdf4llm {pymupdf4llm.__version__}, PyMuPDF {pymupdf.VersionBind}, layout model"

    def run(path: str, pages: int) -> Tables:
        chunks = pymupdf4llm.to_markdown(
            path, pages=list(range(pages)), page_chunks=True, use_ocr=False, show_progress=False
        )
        return {i + 1: _markdown_tables(c["text"]) for i, c in enumerate(chunks)}

    return version, run


def _pdfplumber() -> tuple[str, Callable[[str, int], Tables]]:
    import pdfplumber

    def run(path: str, pages: int) -> Tables:
        out: Tables = {}
        with pdfplumber.open(path) as pdf:
            for number in range(1, pages + 1):
                page = pdf.pages[number - 1]
                out[number] = [[[c or "" for c in row] for row in t] for t in page.extract_tables()]
                page.close()
        return out

    return f"pdfplumber {pdfplumber.__version__}", run


def _camelot(flavor: str) -> tuple[str, Callable[[str, int], Tables]]:
    import camelot

    def run(path: str, pages: int) -> Tables:
        out: Tables = {n: [] for n in range(1, pages + 1)}
        found = camelot.read_pdf(path, pages=f"1-{pages}", flavor=flavor)
        for table in found:
            rows = [[str(c) for c in row] for row in table.df.values.tolist()]
            out[int(table.page)].append(rows)
        return out

    return f"camelot {camelot.__version__} ({flavor})", run


TOOLS: dict[str, Callable[[], tuple[str, Callable[[str, int], Tables]]]] = {
    "pymupdf4llm": _pymupdf4llm,
    "pdfplumber": _pdfplumber,
    "camelot-stream": lambda: _camelot("stream"),
    "camelot-lattice": lambda: _camelot("lattice"),
}


def main() -> None:
    spec: dict[str, Any] = json.loads(sys.argv[1])
    version, run = TOOLS[spec["tool"]]()
    run(spec["path"], 1)  # warm-up
    t = time.perf_counter()
    tables = run(spec["path"], int(spec["pages"]))
    seconds = time.perf_counter() - t
    json.dump(
        {
            "tool": spec["tool"],
            "version": version,
            "seconds": seconds,
            "pages": spec["pages"],
            "tables": tables,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
