"""Structure scores: how much of what was drawn each tool gives back.

Speed is only half of "5x faster at equal or better structure", so every tool's
output on the timed pages is scored against the corpus `Truth`:

- tables: drawn tables whose every cell (header row included) came back
  exactly, in a table of the same shape;
- headings: drawn headings the tool marked as headings (Markdown `#` lines,
  our TITLE/HEADING blocks; plain-text tools mark none, so they get no score);
- column order (two-column pages): the left column's first words, then its
  last words, then the right column's first words, each found unbroken
  (text that reads across both columns interleaves them and fails).

Each score is a fraction in 0..1; None where a tool has no such notion.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bench.corpus import Grid, Truth

_MD_DECOR = re.compile(r"\*\*|__|<br>|`")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_MD_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}")
_SPACE = re.compile(r"\s+")


def norm(text: str) -> str:
    return _SPACE.sub(" ", _MD_DECOR.sub(" ", text)).strip()


@dataclass(slots=True)
class PageOutput:
    """One page as any tool returned it."""

    page: int
    text: str  # Markdown or plain text, in the tool's reading order
    tables: list[Grid] | None  # None: read them from the Markdown in `text`
    headings: list[str] | None  # None: read `#` lines from `text`; [] for tools without headings


def markdown_tables(markdown: str) -> list[Grid]:
    """Pipe tables of a Markdown text as grids (header row first)."""
    tables: list[Grid] = []
    current: Grid = []
    for line in [*markdown.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("|"):
            if not _MD_SEPARATOR.match(stripped):
                current.append([norm(c) for c in stripped.strip("|").split("|")])
            continue
        if current:
            tables.append(current)
            current = []
    return tables


def markdown_headings(markdown: str) -> list[str]:
    return [norm(m.group(1)) for line in markdown.splitlines() if (m := _MD_HEADING.match(line.strip()))]


def _grid_key(grid: Iterable[Iterable[str | None]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(norm(c or "") for c in row) for row in grid)


def score_tables(truth: Truth, outputs: list[PageOutput]) -> float | None:
    expected = found = 0
    for out in outputs:
        drawn = truth.tables.get(out.page, [])
        if not drawn:
            continue
        got = out.tables if out.tables is not None else markdown_tables(out.text)
        keys = {_grid_key(g) for g in got}
        expected += len(drawn)
        found += sum(1 for g in drawn if _grid_key(g) in keys)
    return found / expected if expected else None


def score_headings(truth: Truth, outputs: list[PageOutput]) -> float | None:
    expected = found = 0
    for out in outputs:
        heads = out.headings if out.headings is not None else markdown_headings(out.text)
        marked = {norm(h) for h in heads}
        for heading in truth.headings.get(out.page, []):
            expected += 1
            found += norm(heading) in marked
    if all(o.headings == [] for o in outputs):
        return None  # the tool has no notion of headings
    return found / expected if expected else None


def score_columns(truth: Truth, outputs: list[PageOutput]) -> float | None:
    pages = ok = 0
    for out in outputs:
        if out.page not in truth.columns:
            continue
        pages += 1
        left_first, left_last, right_first = truth.columns[out.page]
        text = norm(out.text)
        a, b, c = text.find(left_first), text.find(left_last), text.find(right_first)
        ok += 0 <= a < b < c
    return ok / pages if pages else None


def score(truth: Truth, outputs: list[PageOutput]) -> dict[str, Any]:
    return {
        "tables": score_tables(truth, outputs),
        "headings": score_headings(truth, outputs),
        "column_order": score_columns(truth, outputs),
    }
