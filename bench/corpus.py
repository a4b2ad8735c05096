"""The benchmark corpus: deterministic PDFs drawn with PyMuPDF, with what was drawn.

Every page of one corpus has the same kind of content (seeded words, so no
two pages are equal), which makes pages/s measured on the first N pages
representative of the whole file: the slow comparison tools only need a
head of each corpus.

Each generator writes the PDF and returns a `Truth` the structure scores
(`bench.structure`) compare every tool's output with. Files are cached under
bench/out/corpus by name and parameters; generation is deterministic, so a
cached file equals a fresh one.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pymupdf

OUT = Path(__file__).resolve().parent / "out" / "corpus"
CORPUS_VERSION = 2  # bump when a generator changes: cached files are keyed by it

Grid = list[list[str]]  # a table as drawn: header row first

# The page geometry and vocabulary of the suite's generated PDFs (tests/pdf/generate.py), kept
# here too so the benchmark stands on its own: its numbers must not move when a test changes.
A4 = pymupdf.paper_rect("a4")  # 595 x 842 points
BODY = 11.0
LEFT = 72.0
RIGHT = A4.width - 72.0
HEADER = "ACME Corporation Internal"
_VOCAB = (
    "widget river copper lantern orchard signal harbor meadow crystal engine "
    "fabric garden pilot mirror canvas timber planet velvet summit anchor "
    "ribbon marble falcon harvest beacon willow thunder saddle compass quartz "
    "violet ember glacier nectar prism lattice tundra orbit cobalt saffron"
).split()


def words(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(_VOCAB) for _ in range(n)]


def draw_running(page: pymupdf.Page, number: int, total: int) -> None:
    """The running header and footer every corpus page has."""
    page.insert_text((LEFT, 40), HEADER, fontname="helv", fontsize=9)
    page.insert_text((LEFT, A4.height - 30), f"Page {number} of {total}", fontname="helv", fontsize=9)


@dataclass(slots=True)
class Truth:
    """What each page holds, 1-based pages as keys (JSON turns them into strings)."""

    kind: str
    pages: int
    headings: dict[int, list[str]] = field(default_factory=dict)
    tables: dict[int, list[Grid]] = field(default_factory=dict)
    # two-column pages: the first and last words of the left column, the first of the right
    columns: dict[int, tuple[str, str, str]] = field(default_factory=dict)


def _doc_page(doc: pymupdf.Document) -> pymupdf.Page:
    return doc.new_page(width=A4.width, height=A4.height)


@functools.cache
def _width(word: str, font: str, size: float) -> float:
    return float(pymupdf.get_text_length(word, fontname=font, fontsize=size))


def draw_paragraph(
    page: pymupdf.Page,
    y: float,
    text_words: list[str],
    *,
    left: float = LEFT,
    right: float = RIGHT,
    size: float = BODY,
    font: str = "helv",
) -> float:
    """Like tests.pdf.generate.draw_paragraph, but one insert_text per paragraph
    and cached word widths: ~50x faster, which matters for 1,000-page files."""
    space = _width(" ", font, size)
    lines: list[str] = []
    line: list[str] = []
    width = 0.0
    for word in text_words:
        w = _width(word, font, size)
        if line and width + space + w > right - left:
            lines.append(" ".join(line))
            line, width = [word], w
        else:
            width += (space if line else 0.0) + w
            line.append(word)
    if line:
        lines.append(" ".join(line))
    page.insert_text((left, y), "\n".join(lines), fontname=font, fontsize=size, lineheight=1.35)
    return y + len(lines) * size * 1.35 + size * 0.8


def draw_heading(page: pymupdf.Page, y: float, text: str, level: int) -> float:
    size = {1: 18.0, 2: 14.0}[level]
    y += size * 0.6
    page.insert_text((LEFT, y), text, fontname="hebo", fontsize=size)
    return y + size * 1.2


def text_pdf(path: Path, pages: int) -> Truth:
    """Dense single-column text: a heading and ~45 lines a page, running header and footer."""
    truth = Truth("text", pages)
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        page = _doc_page(doc)
        heading = f"Section {n} {words(5000 + n, 2)[0].capitalize()}"
        y = draw_heading(page, 70, heading, 1)
        y = draw_paragraph(page, y, words(10_000 + n, 240))
        draw_heading(page, y, f"Part {n}.2 Notes", 2)
        draw_paragraph(page, y + 30, words(20_000 + n, 150))
        truth.headings[n] = [heading, f"Part {n}.2 Notes"]
        draw_running(page, n, pages)
    doc.save(path, garbage=3, deflate=True)
    return truth


def _cells(rng: random.Random, rows: int, cols: int) -> Grid:
    """A header row and `rows` rows: a label column, then numbers, money and percents."""
    vocab = words(rng.randrange(1_000_000), 40)
    headers = ["Item", *[f"{vocab[c].capitalize()} {c}" for c in range(1, cols)]]
    grid = [headers]
    for r in range(rows):
        row = [f"{vocab[(r + 7) % 40].capitalize()} {r + 1}"]
        for c in range(1, cols):
            kind = c % 3
            value = rng.randrange(100, 99_999)
            row.append(
                f"{value:,}" if kind == 1 else f"${value / 100:,.2f}" if kind == 2 else f"{value % 100}%"
            )
        grid.append(row)
    return grid


def draw_grid(page: pymupdf.Page, y: float, grid: Grid, col_w: float = 90.0, row_h: float = 18.0) -> float:
    """A fully ruled grid (one path per rule, as most producers draw them); returns the y below it."""
    cols = len(grid[0])
    x0, x1, y1 = LEFT, LEFT + col_w * cols, y + row_h * len(grid)
    shape = page.new_shape()
    for r in range(len(grid) + 1):
        shape.draw_line((x0, y + r * row_h), (x1, y + r * row_h))
        shape.finish(width=0.7)
    for c in range(cols + 1):
        shape.draw_line((x0 + c * col_w, y), (x0 + c * col_w, y1))
        shape.finish(width=0.7)
    shape.commit()
    # One insert_text per column (rows are lines of it); the header row is bold.
    for c in range(cols):
        x = x0 + c * col_w + 4
        page.insert_text((x, y + 12.5), grid[0][c], fontname="hebo", fontsize=9)
        body = "\n".join(row[c] for row in grid[1:])
        page.insert_text((x, y + row_h + 12.5), body, fontname="helv", fontsize=9, lineheight=row_h / 9)
    return y1 + 14


def tables_pdf(path: Path, pages: int) -> Truth:
    """Table-heavy: per page a heading, a paragraph and two ruled 5-column tables with captions."""
    truth = Truth("tables", pages)
    rng = random.Random(42)
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        page = _doc_page(doc)
        heading = f"Results {n}"
        y = draw_heading(page, 70, heading, 1)
        y = draw_paragraph(page, y, words(30_000 + n, 70))
        grids = [_cells(rng, 8, 5), _cells(rng, 10, 5)]
        for i, grid in enumerate(grids):
            y = draw_grid(page, y + 4, grid)
            page.insert_text((LEFT, y), f"Table {n}.{i + 1}. Measured values", fontname="helv", fontsize=10)
            y = draw_paragraph(page, y + 22, words(40_000 + n * 10 + i, 40))
        truth.headings[n] = [heading]
        truth.tables[n] = grids
        draw_running(page, n, pages)
    doc.save(path, garbage=3, deflate=True)
    return truth


def two_column_pdf(path: Path, pages: int) -> Truth:
    """A full-width heading, then two justified-looking columns of body text per page."""
    truth = Truth("two_column", pages)
    mid = A4.width / 2
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        page = _doc_page(doc)
        heading = f"Study {n} Overview"
        page.insert_text((LEFT, 80), heading, fontname="hebo", fontsize=18)
        left, right = words(50_000 + n, 260), words(60_000 + n, 260)
        draw_paragraph(page, 115, left, left=50, right=mid - 12)
        draw_paragraph(page, 115, right, left=mid + 12, right=A4.width - 50)
        truth.headings[n] = [heading]
        truth.columns[n] = (" ".join(left[:6]), " ".join(left[-6:]), " ".join(right[:6]))
        draw_running(page, n, pages)
    doc.save(path, garbage=3, deflate=True)
    return truth


def unique_pdf(path: Path, pages: int, seed: int) -> None:
    """A small text document whose bytes differ per seed (uploads must not hit the sha256 cache)."""
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        page = _doc_page(doc)
        y = draw_heading(page, 70, f"Upload {seed} page {n}", 1)
        draw_paragraph(page, y, words(seed * 1000 + n, 300))
    doc.save(path, garbage=3, deflate=True)


def large_upload_pdf(path: Path, megabytes: int) -> None:
    """~`megabytes` MB: one line of text and an incompressible ~1 MB image per page.

    The image is seeded noise (deflate cannot shrink it), so the file size is
    known; the text keeps AUTO from OCRing the pages if the server processes it.
    """
    rng = random.Random(7)
    side = 590  # 590 * 590 * 3 bytes ~ 1.0 MB of samples
    doc = pymupdf.open()
    for n in range(megabytes):
        page = _doc_page(doc)
        page.insert_text((LEFT, 60), f"Large upload page {n + 1}", fontname="helv", fontsize=11)
        pix = pymupdf.Pixmap(pymupdf.csRGB, side, side, rng.randbytes(side * side * 3), False)
        page.insert_image(pymupdf.Rect(LEFT, 80, RIGHT, 80 + (RIGHT - LEFT)), pixmap=pix)
    doc.save(path, deflate=True)


_GENERATORS: dict[str, Callable[[Path, int], Truth]] = {
    "text": text_pdf,
    "tables": tables_pdf,
    "two_column": two_column_pdf,
}
CORPORA = tuple(_GENERATORS)


def corpus(kind: str, pages: int) -> tuple[Path, Truth]:
    """The `kind` corpus with `pages` pages, generated once and cached."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{kind}-{pages}-v{CORPUS_VERSION}.pdf"
    truth_path = path.with_suffix(".json")
    if path.exists() and truth_path.exists():
        return path, load_truth(truth_path)
    tmp = path.with_suffix(".tmp")
    truth = _GENERATORS[kind](tmp, pages)
    truth_path.write_text(json.dumps(asdict(truth)))
    tmp.rename(path)
    return path, truth


def cached(name: str, make: Callable[[Path], None]) -> Path:
    """Any other generated file, cached by name."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}-v{CORPUS_VERSION}.pdf"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        make(tmp)
        tmp.rename(path)
    return path


def load_truth(path: Path) -> Truth:
    raw = json.loads(path.read_text())
    return Truth(
        kind=raw["kind"],
        pages=raw["pages"],
        headings={int(k): v for k, v in raw["headings"].items()},
        tables={int(k): v for k, v in raw["tables"].items()},
        columns={int(k): (v[0], v[1], v[2]) for k, v in raw["columns"].items()},
    )
