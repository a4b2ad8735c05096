"""Tables without full rules, drawn with reportlab, with the cells they must give.

Each `TableSpec` is drawn the way report writers set tables: columns at fixed
x, numbers right-aligned, text left-aligned, either no rule at all, a rule
under the header only, or booktabs-style rules, cells that wrap over several
lines, a header row whose group labels span several columns, and a table that
runs on over a page break. `expected_cells` says what an extractor must return
for each: a spanning label is repeated into every column it spans ("2023 Q1"),
a wrapped cell is one cell with its lines joined by spaces, and a table
continued on the next page carries the columns of its first part.

The same documents feed tests/pdf/test_stream_tables.py and the table-quality
section of the benchmarks (bench/table_quality.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

PAGE_W, PAGE_H = A4
MARGIN = 64.0
BODY = 10.0
FONT = "Helvetica"
BOLD = "Helvetica-Bold"


@dataclass
class TableSpec:
    name: str
    headers: list[str]
    rows: list[list[str]]
    aligns: str  # one of "l", "r" per column
    widths: list[float]
    rules: str = "none"  # "none" | "header" (one rule under the header) | "booktabs" | "grid" (every cell)
    # A header row above `headers`: (label, first column, last column) per group.
    groups: list[tuple[str, int, int]] = field(default_factory=list)
    bold_header: bool = True
    # Rows per page when the table runs over a page break (the first part ends a page).
    split_at: int | None = None

    def expected_headers(self) -> list[str]:
        out = list(self.headers)
        for label, first, last in self.groups:
            for i in range(first, last + 1):
                out[i] = f"{label} {out[i]}".strip()
        return out


@dataclass
class ExpectedTable:
    page: int  # 1-based
    headers: list[str]
    rows: list[list[str]]
    kind: str


def _wrap(text: str, width: float, font: str, size: float) -> list[str]:
    lines: list[str] = []
    line: list[str] = []
    for word in text.split():
        trial = " ".join([*line, word])
        if line and stringWidth(trial, font, size) > width:
            lines.append(" ".join(line))
            line = [word]
        else:
            line.append(word)
    if line:
        lines.append(" ".join(line))
    return lines or [""]


def _cell(c: Canvas, x: float, width: float, y: float, text: str, align: str, font: str) -> None:
    c.setFont(font, BODY)
    if align == "r":
        c.drawRightString(x + width - 4, y, text)
    else:
        c.drawString(x + 4, y, text)


def _rule(c: Canvas, x0: float, x1: float, y: float, width: float = 0.6) -> None:
    c.setLineWidth(width)
    c.line(x0, y, x1, y)


def draw_rows(c: Canvas, spec: TableSpec, rows: list[list[str]], y: float, header: bool) -> float:
    """Draw (header and) rows from baseline `y` downwards (reportlab's y grows upwards);
    returns the y under the table."""
    xs = [MARGIN]
    for w in spec.widths:
        xs.append(xs[-1] + w)
    leading = BODY * 1.25
    pitch = BODY * 1.9
    top = y + BODY * 1.2
    cuts = [top]  # y of every row's top edge, and the bottom edge (grid rules)
    if spec.rules == "booktabs":
        _rule(c, xs[0], xs[-1], top, 1.0)
    if header:
        if spec.groups:
            for label, first, last in spec.groups:
                c.setFont(BOLD if spec.bold_header else FONT, BODY)
                centre = (xs[first] + xs[last + 1]) / 2
                c.drawCentredString(centre, y, label)
            y -= leading * 1.2
        for i, text in enumerate(spec.headers):
            _cell(c, xs[i], spec.widths[i], y, text, spec.aligns[i], BOLD if spec.bold_header else FONT)
        y -= BODY * 0.6
        if spec.rules in ("header", "booktabs"):
            _rule(c, xs[0], xs[-1], y)
        cuts.append(y)
        y -= pitch - BODY * 0.6
    for row in rows:
        wrapped = [_wrap(t, w - 8, FONT, BODY) for t, w in zip(row, spec.widths, strict=True)]
        for i, lines in enumerate(wrapped):
            for k, line in enumerate(lines):
                _cell(c, xs[i], spec.widths[i], y - k * leading, line, spec.aligns[i], FONT)
        y -= pitch + (max(len(w) for w in wrapped) - 1) * leading
        cuts.append(y + pitch - BODY * 0.6)
    if spec.rules == "grid":
        for cut in cuts:
            _rule(c, xs[0], xs[-1], cut)
        for x in xs:
            c.setLineWidth(0.6)
            c.line(x, cuts[0], x, cuts[-1])
    if spec.rules == "booktabs":
        _rule(c, xs[0], xs[-1], y + pitch - BODY * 0.5, 1.0)
    return y


def _paragraph(
    c: Canvas, y: float, text: str, width: float = PAGE_W - 2 * MARGIN, x: float = MARGIN
) -> float:
    c.setFont(FONT, BODY)
    for line in _wrap(text, width, FONT, BODY):
        c.drawString(x, y, line)
        y -= BODY * 1.3
    return y - BODY


_VOCAB = (
    "ledger harbor copper lantern orchard signal meadow crystal engine fabric garden "
    "pilot mirror canvas timber planet velvet summit anchor ribbon marble falcon "
    "harvest beacon willow thunder saddle compass quartz violet ember glacier"
).split()


def prose(seed: int, n: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(_VOCAB) for _ in range(n)) + "."


def _money(rng: random.Random) -> str:
    return f"{rng.randint(1, 99)},{rng.randint(0, 999):03d}.{rng.randint(0, 99):02d}"


def specs() -> list[TableSpec]:
    rng = random.Random(14)
    regions = ["North", "South", "East", "West", "Central", "Coastal", "Highland", "Islands"]
    return [
        TableSpec(
            "ruled",
            ["Account", "Opening", "Closing", "Owner"],
            [[f"{r} fund", _money(rng), _money(rng), rng.choice(_VOCAB).title()] for r in regions[:6]],
            "lrrl",
            [120, 90, 90, 100],
            rules="grid",
        ),
        TableSpec(
            "unruled",
            ["Region", "Units", "Revenue", "Change"],
            [
                [r, str(rng.randint(100, 9999)), _money(rng), f"{rng.uniform(-9, 9):.1f}%"]
                for r in regions[:6]
            ],
            "lrrr",
            [130, 80, 100, 80],
        ),
        TableSpec(
            "header-rule",
            ["Plant", "Output", "Staff", "Main product"],
            [
                [f"{r} Mill", str(rng.randint(10, 999)), str(rng.randint(5, 90)), rng.choice(_VOCAB)]
                for r in regions[:7]
            ],
            "lrrl",
            [120, 80, 70, 130],
            rules="header",
        ),
        TableSpec(
            "booktabs",
            ["Sample", "Mean", "SD", "n"],
            [
                [
                    f"Group {c}",
                    f"{rng.uniform(1, 50):.2f}",
                    f"{rng.uniform(0, 5):.2f}",
                    str(rng.randint(8, 99)),
                ]
                for c in "ABCDE"
            ],
            "lrrr",
            [110, 80, 80, 60],
            rules="booktabs",
        ),
        TableSpec(
            "multi-line",
            ["Item", "Description", "Price"],
            [
                ["Anchor", "A heavy iron anchor for small harbor boats and calm water", "120.00"],
                ["Lantern", "Brass lantern", "45.50"],
                ["Compass", "Marine compass with a lit dial, a brass case and a spare glass", "89.90"],
                ["Saddle", "Leather saddle", "310.00"],
            ],
            "llr",
            [90, 200, 70],
            rules="header",
        ),
        TableSpec(
            "spanning",
            ["Region", "Q1", "Q2", "Q1", "Q2"],
            [[r, *(str(rng.randint(10, 99)) for _ in range(4))] for r in regions[:5]],
            "lrrrr",
            [110, 60, 60, 60, 60],
            rules="header",
            groups=[("2023", 1, 2), ("2024", 3, 4)],
        ),
        TableSpec(
            "continued",
            ["Code", "Station", "Depth", "Reading"],
            [
                [
                    f"S{i:03d}",
                    rng.choice(_VOCAB).title(),
                    str(rng.randint(1, 400)),
                    f"{rng.uniform(0, 99):.2f}",
                ]
                for i in range(1, 19)
            ],
            "llrr",
            [70, 140, 70, 80],
            rules="header",
            split_at=10,
        ),
    ]


def table_corpus_pdf(path: Path) -> list[ExpectedTable]:
    """One page per table (the continued one on two), prose above and below each."""
    c = Canvas(str(path), pagesize=A4)
    expected: list[ExpectedTable] = []
    page = 1
    for n, spec in enumerate(specs()):
        headers = spec.expected_headers()
        if spec.split_at is None:
            y = _paragraph(c, PAGE_H - MARGIN, prose(100 + n, 60))
            y = draw_rows(c, spec, spec.rows, y - BODY, header=True)
            _paragraph(c, y - BODY, prose(200 + n, 50))
            expected.append(ExpectedTable(page, headers, spec.rows, spec.name))
        else:
            first, rest = spec.rows[: spec.split_at], spec.rows[spec.split_at :]
            y = _paragraph(c, PAGE_H - MARGIN, prose(100 + n, 240))
            y = _paragraph(c, y, prose(300 + n, 200))
            draw_rows(c, spec, first, y - BODY, header=True)
            expected.append(ExpectedTable(page, headers, first, spec.name))
            c.showPage()
            page += 1
            y = draw_rows(c, spec, rest, PAGE_H - MARGIN, header=False)
            _paragraph(c, y - BODY, prose(200 + n, 50))
            expected.append(ExpectedTable(page, headers, rest, spec.name))
        c.showPage()
        page += 1
    c.save()
    return expected


# Pages that hold no table: prose, a bulleted list whose bullets are separate
# strings at their own x, a table of contents, and two columns of text.
LIST_ITEMS = [
    "Check the anchor chain before every trip",
    "Keep the lantern glass clean and dry",
    "Store the compass away from iron",
    "Oil the saddle leather once a month",
]
CONTENTS = [("Introduction", "1"), ("Harbor survey", "4"), ("Copper ledger", "9"), ("Summary", "15")]


def no_table_pdf(path: Path) -> list[str]:
    """Prose, a list, contents and two-column text; returns every word drawn, in order."""
    c = Canvas(str(path), pagesize=A4)
    drawn: list[str] = []
    # Page 1: prose, then a list with bullets drawn apart from their text.
    text = prose(1, 150)
    drawn += text.split()
    y = _paragraph(c, PAGE_H - MARGIN, text)
    for item in LIST_ITEMS:
        c.setFont("Symbol", BODY)
        c.drawString(MARGIN + 6, y, "\u2022")
        c.setFont(FONT, BODY)
        c.drawString(MARGIN + 20, y, item)
        drawn += item.split()
        y -= BODY * 1.6
    text = prose(2, 80)
    drawn += text.split()
    _paragraph(c, y - BODY, text)
    c.showPage()
    # Page 2: a table of contents, page numbers flush right, with and without leaders.
    y = PAGE_H - MARGIN
    c.setFont(BOLD, 14)
    c.drawString(MARGIN, y, "Contents")
    drawn.append("Contents")
    y -= 30
    for i, (title, number) in enumerate(CONTENTS):
        c.setFont(FONT, BODY)
        c.drawString(MARGIN, y, title)
        if i % 2:
            x = MARGIN + stringWidth(title, FONT, BODY) + 6
            c.drawString(x, y, " ." * int((PAGE_W - MARGIN - 30 - x) / stringWidth(" .", FONT, BODY)))
        c.drawRightString(PAGE_W - MARGIN, y, number)
        drawn += [*title.split(), number]
        y -= BODY * 2
    c.showPage()
    # Page 3: two columns of prose.
    width = (PAGE_W - 2 * MARGIN - 24) / 2
    for k, x in enumerate((MARGIN, MARGIN + width + 24)):
        text = prose(10 + k, 260)
        drawn += text.split()
        _paragraph(c, PAGE_H - MARGIN, text, width=width, x=x)
    c.showPage()
    c.save()
    return drawn


__all__ = ["ExpectedTable", "TableSpec", "no_table_pdf", "prose", "specs", "table_corpus_pdf"]
