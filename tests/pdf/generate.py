"""PDFs with known content, drawn line by line with PyMuPDF.

Every document is built from the constants below so the tests can compare
what comes back with what was drawn: words in order, headings and levels,
table cells, list items, headers and footers.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pymupdf

A4 = pymupdf.paper_rect("a4")  # 595 x 842 points
BODY = 11.0
LEFT = 72.0
RIGHT = A4.width - 72.0

_VOCAB = (
    "widget river copper lantern orchard signal harbor meadow crystal engine "
    "fabric garden pilot mirror canvas timber planet velvet summit anchor "
    "ribbon marble falcon harvest beacon willow thunder saddle compass quartz "
    "violet ember glacier nectar prism lattice tundra orbit cobalt saffron"
).split()

TITLE = "Quarterly Widget Report"
HEADER = "ACME Corporation Internal"
# Headings as (text, level): level 1 drawn at 18 pt bold, level 2 at 14 pt bold.
HEADINGS = [
    ("Introduction", 1),
    ("Background Details", 2),
    ("Results", 1),
    ("Figures", 2),
    ("Conclusion", 1),
]
LIST_ITEMS = ["First item alpha", "Second item beta", "Third item gamma", "Fourth item delta"]
LIST_MARKERS = ["\u2022 ", "- ", "1. ", "b) "]
TABLE_HEADERS = ["Region", "Units", "Revenue", "Growth"]
TABLE_ROWS = [
    ["North", "1200", "$4,500", "12%"],
    ["South", "980", "$3,100", "-3%"],
    ["East Coast", "1530", "$6,020", "7.5%"],
]
TABLE_CAPTION = "Table 1. Widget counts by region"
FIGURE_CAPTION = "Figure 1: A blue square"
HYPHEN_LINES = ("The results were an exam-", "ple of careful widget work.")


def words(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(_VOCAB) for _ in range(n)]


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
    """Wrap words between left and right; returns the y below the paragraph."""
    line: list[str] = []
    leading = size * 1.35
    for word in text_words:
        trial = " ".join([*line, word])
        if line and pymupdf.get_text_length(trial, fontname=font, fontsize=size) > right - left:
            page.insert_text((left, y), " ".join(line), fontname=font, fontsize=size)
            y += leading
            line = [word]
        else:
            line.append(word)
    if line:
        page.insert_text((left, y), " ".join(line), fontname=font, fontsize=size)
        y += leading
    return y + size * 0.8


def draw_heading(page: pymupdf.Page, y: float, text: str, level: int) -> float:
    size = {1: 18.0, 2: 14.0}[level]
    y += size * 0.6
    page.insert_text((LEFT, y), text, fontname="hebo", fontsize=size)
    return y + size * 1.2


def draw_running(page: pymupdf.Page, number: int, total: int) -> None:
    page.insert_text((LEFT, 40), HEADER, fontname="helv", fontsize=9)
    page.insert_text((LEFT, A4.height - 30), f"Page {number} of {total}", fontname="helv", fontsize=9)


def draw_table(page: pymupdf.Page, y: float) -> float:
    """A fully ruled 4x4 grid with text in every cell."""
    col_w, row_h = 110.0, 22.0
    rows = [TABLE_HEADERS, *TABLE_ROWS]
    x0, y0 = LEFT, y
    x1, y1 = x0 + col_w * len(TABLE_HEADERS), y0 + row_h * len(rows)
    for r in range(len(rows) + 1):
        page.draw_line((x0, y0 + r * row_h), (x1, y0 + r * row_h), width=0.8)
    for c in range(len(TABLE_HEADERS) + 1):
        page.draw_line((x0 + c * col_w, y0), (x0 + c * col_w, y1), width=0.8)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            font = "hebo" if r == 0 else "helv"
            page.insert_text((x0 + c * col_w + 5, y0 + r * row_h + 15), cell, fontname=font, fontsize=10)
    return y1 + 16


def report_pdf(path: Path) -> dict[int, list[str]]:
    """Three pages: title, headings, paragraphs, a list, a ruled table, an image.

    Returns the body words drawn on each page (headers/footers excluded), in order.
    """
    doc = pymupdf.open()
    drawn: dict[int, list[str]] = {1: [], 2: [], 3: []}

    def para(page: pymupdf.Page, n: int, y: float, seed: int) -> float:
        ws = words(seed, n)
        drawn[page.number + 1].extend(ws)
        return draw_paragraph(page, y, ws)

    def head(page: pymupdf.Page, i: int, y: float) -> float:
        text, level = HEADINGS[i]
        drawn[page.number + 1].extend(text.split())
        return draw_heading(page, y, text, level)

    # page 1
    page = doc.new_page(width=A4.width, height=A4.height)
    page.insert_text((LEFT, 100), TITLE, fontname="hebo", fontsize=24)
    drawn[1].extend(TITLE.split())
    y = head(page, 0, 130)
    y = para(page, 90, y, 1)
    for line in HYPHEN_LINES:
        page.insert_text((LEFT, y), line, fontname="helv", fontsize=BODY)
        y += BODY * 1.35
    drawn[1].extend("The results were an example of careful widget work.".split())
    y += 10
    y = head(page, 1, y)
    y = para(page, 60, y, 2)
    for marker, item in zip(LIST_MARKERS, LIST_ITEMS, strict=True):
        page.insert_text((LEFT + 10, y), marker + item, fontname="helv", fontsize=BODY)
        drawn[1].extend((marker + item).split())
        y += BODY * 1.5
    y = para(page, 50, y + 8, 3)

    # page 2
    page = doc.new_page(width=A4.width, height=A4.height)
    y = head(page, 2, 80)
    y = para(page, 70, y, 4)
    y = draw_table(page, y + 6)
    page.insert_text((LEFT, y), TABLE_CAPTION, fontname="helv", fontsize=BODY)
    drawn[2].extend(TABLE_CAPTION.split())
    y = para(page, 80, y + 24, 5)

    # page 3
    page = doc.new_page(width=A4.width, height=A4.height)
    y = head(page, 3, 80)
    y = para(page, 40, y, 6)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 60, 60), False)
    pix.set_rect(pix.irect, (30, 60, 200))
    page.insert_image(pymupdf.Rect(LEFT, y, LEFT + 150, y + 150), pixmap=pix)
    y += 168
    page.insert_text((LEFT, y), FIGURE_CAPTION, fontname="helv", fontsize=BODY)
    drawn[3].extend(FIGURE_CAPTION.split())
    y = head(page, 4, y + 20)
    y = para(page, 60, y, 7)

    for i in range(doc.page_count):
        draw_running(doc[i], i + 1, doc.page_count)
    doc.set_metadata({"title": "report.docx"})  # junk title: page 1 must win
    doc.save(path)
    return drawn


def two_column_pdf(path: Path) -> tuple[list[str], list[str], list[str]]:
    """A full-width heading, then two columns of body text; returns (heading, left, right)."""
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    heading = "Two Column Study".split()
    page.insert_text((LEFT, 80), " ".join(heading), fontname="hebo", fontsize=20)
    mid = A4.width / 2
    left, right = words(11, 160), words(12, 160)
    draw_paragraph(page, 120, left, left=50, right=mid - 12)
    draw_paragraph(page, 120, right, left=mid + 12, right=A4.width - 50)
    doc.save(path)
    return heading, left, right


def scanned_text_page(doc: pymupdf.Document, seed: int, dpi: int = 150) -> list[str]:
    """Draw a text page, render it at `dpi` and append it to `doc` as an image-only page."""
    src = pymupdf.open()
    page = src.new_page(width=A4.width, height=A4.height)
    ws = [w.capitalize() if i % 9 == 0 else w for i, w in enumerate(words(seed, 150))]
    draw_paragraph(page, 90, ws, size=12)
    pix = page.get_pixmap(dpi=dpi)
    target = doc.new_page(width=A4.width, height=A4.height)
    target.insert_image(target.rect, pixmap=pix)
    return ws


def scanned_pdf(path: Path) -> list[str]:
    doc = pymupdf.open()
    ws = scanned_text_page(doc, 21)
    doc.save(path)
    return ws


def mixed_pdf(path: Path) -> tuple[list[str], list[str]]:
    """Page 1 has a text layer, page 2 is an image of text."""
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    text_words = words(31, 120)
    draw_paragraph(page, 90, text_words)
    image_words = scanned_text_page(doc, 32)
    doc.save(path)
    return text_words, image_words


def long_pdf(path: Path, pages: int) -> list[list[str]]:
    """Many pages with a running header and page-number footer."""
    doc = pymupdf.open()
    drawn = []
    for n in range(pages):
        page = doc.new_page(width=A4.width, height=A4.height)
        ws = words(100 + n, 120)
        draw_paragraph(page, 90, ws)
        drawn.append(ws)
        draw_running(page, n + 1, pages)
    doc.save(path)
    return drawn


def page_numbered_pdf(path: Path, pages: int = 2) -> list[str]:
    """Pages as LaTeX sets them: the page number alone, centred, ~15% above the
    bottom edge (outside the outer margin band), nothing else repeated."""
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page(width=A4.width, height=A4.height)
        draw_paragraph(page, 90, words(200 + n, 200))
        page.insert_text((A4.width / 2 - 3, A4.height * 0.85), str(n + 1), fontname="helv", fontsize=BODY)
    doc.save(path)
    return [str(n + 1) for n in range(pages)]


CONTENTS = [("1", "Introduction", "2"), ("2", "Methods", "5"), ("3", "Results", "9")]
LEADER_CONTENTS = [("Appendix", "12"), ("Index", "14")]


def contents_pdf(path: Path) -> list[str]:
    """A contents page in bold body-size type: numbered entries with their page
    numbers flush right (no leaders), then entries with dot leaders; a page of
    body text follows. Returns the entries as they should read."""
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    page.insert_text((LEFT, 90), "Contents", fontname="hebo", fontsize=16)
    y = 130.0
    for number, title, at in CONTENTS:
        page.insert_text((LEFT, y), number, fontname="hebo", fontsize=BODY)
        page.insert_text((LEFT + 18, y), title, fontname="hebo", fontsize=BODY)
        page.insert_text((RIGHT - 12, y), at, fontname="hebo", fontsize=BODY)
        y += 22
    for title, at in LEADER_CONTENTS:
        page.insert_text((LEFT, y), f"{title} " + ". " * 30 + at, fontname="helv", fontsize=BODY)
        y += 18
    page = doc.new_page(width=A4.width, height=A4.height)
    draw_paragraph(page, 90, words(300, 300))
    doc.save(path)
    return [f"{n} {t} {p}" for n, t, p in CONTENTS] + [f"{t} {p}" for t, p in LEADER_CONTENTS]


# Tables ruled by horizontal lines only. Booktabs: \toprule, \midrule, \bottomrule;
# columns aligned l, c, r, l as LaTeX sets them, 6 pt of padding on each side.
BOOKTABS_CAPTION = "Table 2: Widget plants by region"
BOOKTABS_HEADERS = ["Plant", "Output (thousands)", "Staff", "Main product"]
BOOKTABS_ROWS = [
    ["Harbor Works", "8.9", "1,240", "Copper lanterns"],
    ["Meadow", "11.5", "310", "Velvet ribbon"],
    ["Summit Mill", "10.7", "78,866", "Timber"],
    ["Orchard", "5.8", "42", "Quartz prisms"],
]
BOOKTABS_ALIGN = "lcrl"
# Word's "horizontal borders only": a rule above every row and below the last, drawn
# one piece per cell as Word does; the header row is bold.
BORDERS_HEADERS = ["Item", "Quantity", "Notes"]
BORDERS_ROWS = [
    ["Copper wire", "120", "Ships in two weeks"],
    ["Timber beam", "45", "Local supplier"],
    ["Quartz lens", "7", "Fragile"],
]


def _aligned_x(x0: float, x1: float, text: str, align: str, font: str, size: float) -> float:
    width = pymupdf.get_text_length(text, fontname=font, fontsize=size)
    return {"l": x0, "c": (x0 + x1 - width) / 2, "r": x1 - width}[align]


def draw_rule_table(
    page: pymupdf.Page,
    y: float,
    headers: list[str],
    rows: list[list[str]],
    align: str,
    *,
    every_row: bool = False,
    size: float = 10.0,
) -> float:
    """A table with horizontal rules only; returns the y below it.

    Booktabs (every_row False): a 0.8 pt rule above and below, 0.5 pt under the
    header. every_row: a 0.5 pt rule between all rows, drawn per cell."""
    pad = 6.0
    widths = [
        max(
            pymupdf.get_text_length(r[c], fontname="hebo" if i == 0 else "helv", fontsize=size)
            for i, r in enumerate([headers, *rows])
        )
        + 2 * pad
        for c in range(len(headers))
    ]
    edges = [LEFT]
    for w in widths:
        edges.append(edges[-1] + w)
    pitch = size * 1.2

    def rule(at: float, width: float) -> None:
        if every_row:
            for a, b in itertools.pairwise(edges):
                page.draw_rect(pymupdf.Rect(a, at - width / 2, b, at + width / 2), color=None, fill=(0, 0, 0))
        else:
            page.draw_line((edges[0], at), (edges[-1], at), width=width)

    rule(y, 0.8)
    y += 3.0
    for r, row in enumerate([headers, *rows]):
        font = "hebo" if r == 0 else "helv"
        baseline = y + size * 0.9
        for c, text in enumerate(row):
            x = _aligned_x(edges[c] + pad, edges[c + 1] - pad, text, align[c], font, size)
            page.insert_text((x, baseline), text, fontname=font, fontsize=size)
        y += pitch
        if r == 0 or every_row:
            y += 2.0
            rule(y, 0.8 if r == len(rows) else 0.5)
            y += 3.0
    if not every_row:
        y += 2.0
        rule(y, 0.8)
    return y + 14


def rule_tables_pdf(path: Path) -> list[tuple[list[str], list[list[str]]]]:
    """One page: a heading, prose, a booktabs table under its caption, prose, a
    horizontal-borders table, prose. Returns the tables as (headers, rows)."""
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    y = draw_heading(page, 80, "Plant Survey", 1)
    y = draw_paragraph(page, y, words(400, 60))
    page.insert_text((LEFT, y), BOOKTABS_CAPTION, fontname="helv", fontsize=10)
    y = draw_rule_table(page, y + 8, BOOKTABS_HEADERS, BOOKTABS_ROWS, BOOKTABS_ALIGN)
    y = draw_paragraph(page, y + 6, words(401, 50))
    y = draw_rule_table(page, y + 4, BORDERS_HEADERS, BORDERS_ROWS, "lrl", every_row=True)
    draw_paragraph(page, y + 6, words(402, 50))
    doc.save(path)
    return [(BOOKTABS_HEADERS, BOOKTABS_ROWS), (BORDERS_HEADERS, BORDERS_ROWS)]


def rules_without_tables_pdf(path: Path) -> None:
    """Horizontal rules that are no table.

    Page 1: a rule under a heading, prose, a short footnote rule over footnotes.
    Page 2: a header rule, a rule under a two-part title line and a footer rule,
    all of one width, with two columns of prose between.
    Page 3: a ruled algorithm float (top rule, caption, rule, numbered steps, bottom
    rule) and a figure of two number lines of one width with ticks and labels.
    """
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    y = draw_heading(page, 80, "Overview", 1)
    page.draw_line((LEFT, y - 12), (RIGHT, y - 12), width=0.6)
    y = draw_paragraph(page, y + 4, words(500, 120))
    y = draw_paragraph(page, y, words(501, 100))
    page.draw_line((LEFT, 720), (LEFT + 150, 720), width=0.4)
    page.insert_text((LEFT, 734), "1 A footnote about widget counts in winter.", fontname="helv", fontsize=8)
    page.insert_text((LEFT, 746), "2 Another footnote on copper supply.", fontname="helv", fontsize=8)

    page = doc.new_page(width=A4.width, height=A4.height)
    page.insert_text((LEFT, 50), "Widget Journal", fontname="helv", fontsize=9)
    page.draw_line((LEFT, 56), (RIGHT, 56), width=0.5)
    page.insert_text((LEFT, 74), "Copper and Timber", fontname="helv", fontsize=10)
    page.insert_text((RIGHT - 40, 74), "Issue 4", fontname="helv", fontsize=10)
    page.draw_line((LEFT, 80), (RIGHT, 80), width=0.5)
    mid = A4.width / 2
    draw_paragraph(page, 100, words(502, 260), left=LEFT, right=mid - 10)
    draw_paragraph(page, 100, words(503, 260), left=mid + 10, right=RIGHT)
    page.draw_line((LEFT, 780), (RIGHT, 780), width=0.5)
    page.insert_text((LEFT, 792), "Volume 3", fontname="helv", fontsize=9)

    page = doc.new_page(width=A4.width, height=A4.height)
    y = draw_paragraph(page, 80, words(504, 60))
    right = LEFT + 300
    page.draw_line((LEFT, y), (right, y), width=0.8)
    page.insert_text((LEFT + 2, y + 12), "Algorithm 1", fontname="hebo", fontsize=10)
    page.insert_text((LEFT + 62, y + 12), "Sort the widgets", fontname="helv", fontsize=10)
    page.draw_line((LEFT, y + 16), (right, y + 16), width=0.5)
    steps = ["for each widget w do", "    measure w", "    place w by size", "end for", "return widgets"]
    for i, step in enumerate(steps, start=1):
        base = y + 30 + (i - 1) * 12
        page.insert_text((LEFT + 2, base), f"{i}:", fontname="helv", fontsize=10)
        indent = 12 if step.startswith("    ") else 0
        page.insert_text((LEFT + 22 + indent, base), step.strip(), fontname="helv", fontsize=10)
    y = y + 30 + len(steps) * 12 - 6
    page.draw_line((LEFT, y), (right, y), width=0.8)
    y = draw_paragraph(page, y + 20, words(505, 40))
    for n, ticks in enumerate((["0", "1/2", "3/4", "1"], ["0", "1/4", "1/2", "1"])):
        axis = y + 20 + n * 50
        page.insert_text((LEFT + 60, axis - 5), "g1", fontname="helv", fontsize=9)
        page.insert_text((LEFT + 200, axis - 5), "g2", fontname="helv", fontsize=9)
        page.draw_line((LEFT, axis), (LEFT + 300, axis), width=0.8)
        for k, label in enumerate(ticks):
            x = LEFT + k * 100
            page.draw_line((x, axis - 4), (x, axis + 4), width=0.8)
            page.insert_text((x - 3, axis + 14), label, fontname="helv", fontsize=9)
    draw_paragraph(page, y + 140, words(506, 40))
    doc.save(path)


# A LaTeX-like title page: a centred title, centred bylines set larger than the
# body (author, affiliation, date), a centred bold "Abstract" over an indented
# abstract, then numbered sections; a second page carries on.
PAPER_TITLE = "Dynamics of Copper Widgets"
PAPER_BYLINES = ["Ada Lovelace", "Analytical Engine Society, London", "March 3, 2024"]
PAPER_HEADINGS = [
    ("Abstract", 2),
    ("1 Introduction", 1),
    ("1.1 Scope", 2),
    ("2 Methods", 1),
    ("3 Results", 1),
    ("3.1 Measurements", 2),
]


def _centred(page: pymupdf.Page, y: float, text: str, font: str, size: float) -> None:
    width = pymupdf.get_text_length(text, fontname=font, fontsize=size)
    page.insert_text(((A4.width - width) / 2, y), text, fontname=font, fontsize=size)


def title_page_pdf(path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    _centred(page, 120, PAPER_TITLE, "helv", 20)
    author, affiliation, date = PAPER_BYLINES
    _centred(page, 152, author, "helv", 13)
    _centred(page, 167, affiliation, "helv", 13)
    _centred(page, 190, date, "helv", 13)
    _centred(page, 228, "Abstract", "hebo", 12)
    y = draw_paragraph(page, 244, words(600, 70), left=LEFT + 30, right=RIGHT - 30, size=10)
    sections = iter(PAPER_HEADINGS[1:])

    def section(y: float) -> float:
        text, level = next(sections)
        size = {1: 14.0, 2: 12.0}[level]
        page.insert_text((LEFT, y + 18), text, fontname="hebo", fontsize=size)
        return y + 18 + size * 1.3

    y = section(y)
    y = draw_paragraph(page, y, words(601, 110))
    y = section(y)
    y = draw_paragraph(page, y, words(602, 90))
    y = section(y)
    draw_paragraph(page, y, words(603, 90))
    page = doc.new_page(width=A4.width, height=A4.height)
    y = section(60)
    y = draw_paragraph(page, y, words(604, 120))
    y = section(y)
    draw_paragraph(page, y, words(605, 120))
    doc.save(path)


# A title set flush left with a line under it, closer to the title than to the
# text that follows (no centring to go by), then body text and a heading.
NOTE_TITLE = "Notes on Widget Care"
NOTE_SUBTITLE = "Written in the harbor office"
NOTE_HEADING = "Care Steps"


def left_title_pdf(path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    page.insert_text((LEFT, 80), NOTE_TITLE, fontname="hebo", fontsize=18)
    page.insert_text((LEFT, 100), NOTE_SUBTITLE, fontname="heit", fontsize=12)
    y = draw_paragraph(page, 128, words(700, 90), size=10)
    page.insert_text((LEFT, y + 16), NOTE_HEADING, fontname="hebo", fontsize=12)
    draw_paragraph(page, y + 34, words(701, 90), size=10)
    doc.save(path)


# A report set like a word processor's, scanned: a title, headings at two sizes,
# paragraphs, a bulleted and a numbered list. Blocks as (type, level, text), in
# reading order; a paragraph's text is its seed's words.
ScanBlock = tuple[str, int | None, str]
SCAN_TITLE = "Harbor Survey Report"
SCAN_PAGES: list[list[ScanBlock]] = [
    [
        ("TITLE", None, SCAN_TITLE),
        ("HEADING", 1, "Introduction"),
        ("PARAGRAPH", None, "801"),
        ("HEADING", 2, "Field Methods"),
        ("PARAGRAPH", None, "802"),
        ("LIST_ITEM", None, "\u2022 Copper lantern checks"),
        ("LIST_ITEM", None, "\u2022 Meadow signal tests"),
        ("LIST_ITEM", None, "\u2022 Orchard pilot review"),
        ("PARAGRAPH", None, "803"),
        ("HEADING", 1, "Results"),
        ("LIST_ITEM", None, "1. Harbor depth measured"),
        ("LIST_ITEM", None, "2. Beacon range confirmed"),
        ("LIST_ITEM", None, "3. Willow growth recorded"),
        ("PARAGRAPH", None, "804"),
    ],
    # Only level-2 headings here: their level must come from the whole document.
    [
        ("HEADING", 2, "Sampling Notes"),
        ("PARAGRAPH", None, "805"),
        ("HEADING", 2, "Open Questions"),
        ("PARAGRAPH", None, "806"),
    ],
]
_SCAN_SIZES = {"TITLE": 24.0, 1: 18.0, 2: 14.0}


def draw_report_blocks(page: pymupdf.Page, blocks: list[ScanBlock], y: float = 80) -> list[ScanBlock]:
    """Draw `blocks` down the page; returns them with each paragraph's words as its text."""
    drawn: list[ScanBlock] = []
    for kind, level, text in blocks:
        if kind == "PARAGRAPH":
            ws = words(int(text), 45)
            y = draw_paragraph(page, y, ws)
            text = " ".join(ws)
        elif kind in ("TITLE", "HEADING"):
            size = _SCAN_SIZES["TITLE" if kind == "TITLE" else level or 1]
            y += size * 0.7
            page.insert_text((LEFT, y), text, fontname="hebo", fontsize=size)
            y += size * 1.1
        else:  # a list item: its marker at an indent, its text at a hanging indent
            marker, _, item = text.partition(" ")
            font = "symb" if marker == "\u2022" else "helv"
            page.insert_text((LEFT + 10, y), marker, fontname=font, fontsize=BODY)
            page.insert_text((LEFT + 26, y), item, fontname="helv", fontsize=BODY)
            y += BODY * 1.6
            text = item if marker == "\u2022" else text  # a bullet glyph is not content
        drawn.append((kind, level, text))
    return drawn


def scan_into(doc: pymupdf.Document, source: pymupdf.Page, dpi: int) -> None:
    """Append `source` to `doc` as an image-only page rendered at `dpi` (a scan)."""
    pix = source.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    target = doc.new_page(width=source.rect.width, height=source.rect.height)
    target.insert_image(target.rect, pixmap=pix)


def scanned_report_pdf(path: Path, dpi: int = 200) -> list[list[ScanBlock]]:
    """SCAN_PAGES drawn, scanned at `dpi`, with no text layer; returns the blocks per page."""
    src = pymupdf.open()
    doc = pymupdf.open()
    drawn = []
    for blocks in SCAN_PAGES:
        page = src.new_page(width=A4.width, height=A4.height)
        drawn.append(draw_report_blocks(page, blocks))
        scan_into(doc, page, dpi)
    doc.save(path, garbage=3, deflate=True)
    return drawn


def mixed_report_pdf(path: Path, dpi: int = 200) -> list[list[ScanBlock]]:
    """Page 1 of SCAN_PAGES with a text layer, then a scanned page with headings
    at both of page 1's sizes."""
    src = pymupdf.open()
    doc = pymupdf.open()
    text_page = doc.new_page(width=A4.width, height=A4.height)
    first = draw_report_blocks(text_page, SCAN_PAGES[0])
    page = src.new_page(width=A4.width, height=A4.height)
    second = draw_report_blocks(
        page,
        [
            ("HEADING", 1, "Discussion"),
            ("PARAGRAPH", None, "807"),
            ("HEADING", 2, "Earlier Surveys"),
            ("PARAGRAPH", None, "808"),
        ],
    )
    scan_into(doc, page, dpi)
    doc.save(path, garbage=3, deflate=True)
    return [first, second]


def scanned_plain_pdf(path: Path, dpi: int = 150) -> list[str]:
    """A scanned page of body text only, in paragraphs with short last lines, in
    Times (narrower letters, shorter ascenders than Helvetica); returns its words."""
    src = pymupdf.open()
    page = src.new_page(width=A4.width, height=A4.height)
    drawn: list[str] = []
    y = 80.0
    for seed, n in ((811, 70), (812, 23), (813, 95), (814, 14), (815, 60)):
        ws = [w.capitalize() if i % 11 == 0 else w for i, w in enumerate(words(seed, n))]
        y = draw_paragraph(page, y, ws, font="tiro", size=11.5)
        drawn.extend(ws)
    doc = pymupdf.open()
    scan_into(doc, page, dpi)
    doc.save(path, garbage=3, deflate=True)
    return drawn


ABOVE_TABLE = "saddle zulu."


def line_above_table_pdf(path: Path) -> list[str]:
    """A paragraph whose last line sits just above a ruled table; returns the paragraph's words."""
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    drawn = words(5, 60)
    y = draw_paragraph(page, 80, drawn)
    page.insert_text((LEFT, y), ABOVE_TABLE, fontname="helv", fontsize=BODY)
    draw_table(page, y + 4)
    doc.save(path)
    return [*drawn, *ABOVE_TABLE.split()]


def graph_paper_pdf(path: Path) -> list[str]:
    """Text over a 99 x 77 grid of thin rules covering the page (graph paper)."""
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    for i in range(78):
        page.draw_line((40, 40 + i * 10), (40 + 99 * 5.2, 40 + i * 10), width=0.3)
    for j in range(100):
        page.draw_line((40 + j * 5.2, 40), (40 + j * 5.2, 40 + 77 * 10), width=0.3)
    drawn = words(9, 120)
    draw_paragraph(page, 100, drawn)
    doc.save(path)
    return drawn


def _small_pdf(texts: list[str]) -> pymupdf.Document:
    doc = pymupdf.open()
    for text in texts:
        doc.new_page(width=A4.width, height=A4.height).insert_text(
            (LEFT, 100), text, fontname="helv", fontsize=BODY
        )
    return doc


def headerless_pdf(path: Path) -> str:
    """A PDF whose "%PDF-1.7" line was replaced by junk; MuPDF reads it all the same."""
    text = "Headless harbor report"
    raw = _small_pdf([text]).tobytes()
    path.write_bytes(b"junk before the body\n" + raw[raw.index(b"\n") + 1 :])
    return text


def page_tree_cycle_pdf(path: Path) -> list[str]:
    """Three pages; the second is a page-tree node that lists itself (a cycle)."""
    texts = ["Page one harbor", "Page two ledger", "Page three lantern"]
    doc = _small_pdf(texts)
    second = doc[1].xref
    doc.xref_set_key(second, "Type", "/Pages")
    doc.xref_set_key(second, "Kids", f"[{second} 0 R]")
    doc.xref_set_key(second, "Count", "1")
    doc.save(path)
    return texts


def broken_xref_pdf(path: Path) -> str:
    """A PDF whose xref offset points nowhere: MuPDF repairs it and complains."""
    text = "Repaired harbor ledger"
    raw = _small_pdf([text]).tobytes(garbage=0, deflate=False)
    start = raw.rindex(b"startxref")
    path.write_bytes(raw[:start] + b"startxref\n999999\n%%EOF\n")
    return text


def ruled_footnotes_pdf(path: Path) -> list[list[str]]:
    """A fully ruled table whose amounts carry raised footnote digits; returns its rows
    as they must come back."""
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    rows = [
        ("Item", "Amount", ""),
        ("Rent", "273.87", "1"),
        ("Food", "9.75", "2"),
        ("Fuel", "83,190.55", "3"),
    ]
    top = 100.0
    for r, (item, amount, note) in enumerate(rows):
        y = top + r * 20
        page.insert_text((80, y + 14), item, fontname="helv", fontsize=10)
        page.insert_text((250 - pymupdf.get_text_length(amount, fontsize=10), y + 14), amount, fontsize=10)
        if note:
            page.insert_text((250.5, y + 10), note, fontname="helv", fontsize=6)
    for r in range(len(rows) + 1):
        page.draw_line((72, top + r * 20), (300, top + r * 20))
    for x in (72, 180, 300):
        page.draw_line((x, top), (x, top + len(rows) * 20))
    doc.save(path)
    supers = str.maketrans("123", "¹²³")
    return [[item, amount + note.translate(supers)] for item, amount, note in rows]
