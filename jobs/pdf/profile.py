"""Document-wide statistics that one page alone cannot give.

Heading levels need the whole document's font sizes (a 14 pt bold line is a
level-1 heading in one document and level 3 in another), and running
headers/footers are only recognizable as lines that repeat across pages. A
cheap first pass collects both into a small picklable `DocumentProfile` that
every worker process gets with its chunk of pages.

Huge documents are sampled: the first pages plus an even spread, so the first
pass costs a bounded number of page reads whatever the page count.

A sample without any text layer (a scanned document) says nothing about type
sizes. Given the job's options, the profile then OCRs a sampled scan (one,
or two when the first holds too little text) and learns the sizes from it, so
every scanned page gets its heading levels from the same scale. The reading
travels in the profile and the extraction takes it instead of OCRing that
page again.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from jobs.pdf.kept_document import open_document
from jobs.pdf.layout import (
    DICT_FLAGS,
    Line,
    margin_zones,
    merge_fragments,
    page_lines,
    reading_order,
    running_key,
)
from jobs.pdf.ocr_sizes import OcrPage, read_ocr_page
from jobs.pdf.options import ExtractOptions
from jobs.pdf.title_page import title_page_lines

MAX_SAMPLE_PAGES = 40
# A heading style is at least this much bigger than body text (or bold).
HEADING_SIZE_RATIO = 1.12
# A title is at least this much bigger than body text.
TITLE_SIZE_RATIO = 1.25
MAX_HEADING_CHARS = 160
# Bold lines at body size this long on average are paragraphs set in bold.
_BOLD_PARAGRAPH_CHARS = 50
# Scanned pages OCRed for a profile that found no text layer.
MAX_OCR_SAMPLE_PAGES = 2

Style = tuple[float, bool]  # (font size rounded to 0.5 pt, bold)


@dataclass(frozen=True, slots=True)
class DocumentProfile:
    body_size: float | None = None
    heading_styles: tuple[Style, ...] = ()  # ranked: index 0 is level 1
    title_style: Style | None = None  # the dominant large text of page 1
    running: frozenset[str] = field(default_factory=frozenset)  # running_key()s of headers/footers
    sampled_pages: int = 0
    # Scanned pages the profile OCRed: (page, OCR language, reading), for the extraction to reuse.
    ocr_readings: tuple[tuple[int, str, OcrPage], ...] = ()

    def ocr_reading(self, page: int, language: str) -> OcrPage | None:
        """The OCR of `page` in `language` if the profile made it."""
        for number, lang, reading in self.ocr_readings:
            if number == page and lang == language:
                return reading
        return None

    def is_heading_style(self, style: Style) -> bool:
        if self.body_size is None:
            return False
        size, bold = style
        if size >= self.body_size * HEADING_SIZE_RATIO:
            return True
        return bold and size >= self.body_size * 0.98

    def heading_level(self, style: Style) -> int | None:
        """1..6 for a heading style, None for body text.

        Styles the sample never saw are ranked among the known ones, so a
        huge document's rare 16 pt heading still lands between 18 and 14 pt.
        """
        if not self.is_heading_style(style):
            return None
        if style in self.heading_styles:
            return min(self.heading_styles.index(style) + 1, 6)
        bigger = sum(1 for s in self.heading_styles if s > style)
        return min(bigger + 1, 6)


def sample_pages(page_numbers: Sequence[int], limit: int = MAX_SAMPLE_PAGES) -> list[int]:
    """The first pages (title, first headers) plus an even spread of the rest."""
    pages = sorted(set(page_numbers))
    if len(pages) <= limit:
        return pages
    head = pages[:5]
    rest = pages[5:]
    step = len(rest) / (limit - len(head))
    spread = [rest[int(i * step)] for i in range(limit - len(head))]
    return sorted(set(head + spread))


@dataclass(slots=True)
class _Stats:
    chars: Counter[Style] = field(default_factory=Counter)
    lines: Counter[Style] = field(default_factory=Counter)
    running: Counter[str] = field(default_factory=Counter)
    first_page: list[Line] = field(default_factory=list)
    first_page_body: list[Line] = field(default_factory=list)  # margins out, in reading order
    pages_per_style: dict[Style, set[int]] = field(default_factory=dict)


def _collect(stats: _Stats, number: int, lines: list[Line], page_width: float, page_height: float) -> None:
    keys = set()
    body: list[Line] = []
    for line, zone in zip(lines, margin_zones(lines, page_height), strict=True):
        if zone:
            keys.add(running_key(line.text))
            continue  # headers/footers say nothing about body or heading sizes
        body.append(line)
        stats.chars[line.style] += len(line.text)
        stats.lines[line.style] += 1
        stats.pages_per_style.setdefault(line.style, set()).add(number)
    stats.running.update(keys)
    if number == 1:
        stats.first_page = lines
        stats.first_page_body = merge_fragments(reading_order(body, lambda ln: ln.bbox, page_width))


def build_profile(stats: _Stats, sampled: int) -> DocumentProfile:
    if not stats.chars:
        return DocumentProfile(sampled_pages=sampled)
    by_size: Counter[float] = Counter()
    for (size, _), n in stats.chars.items():
        by_size[size] += n
    body_size = by_size.most_common(1)[0][0]
    body_chars = by_size[body_size]
    probe = DocumentProfile(body_size=body_size)

    # Title: the largest text on page 1, if it is clearly bigger than body text.
    title_style: Style | None = None
    first = [ln for ln in stats.first_page if ln.size >= body_size * TITLE_SIZE_RATIO]
    if first:
        top = max(first, key=lambda ln: ln.size)
        title_style = top.style

    # Authors, affiliations and dates under the title: styles used for nothing
    # else take no heading level (they would push the real levels down).
    bylines = title_page_lines(stats.first_page_body, title_style, probe.is_heading_style)
    byline_chars: Counter[Style] = Counter()
    for i in bylines:
        byline_chars[stats.first_page_body[i].style] += len(stats.first_page_body[i].text)

    candidates = []
    for style, chars in stats.chars.items():
        if byline_chars[style] >= chars:
            continue
        lines = stats.lines[style]
        if not probe.is_heading_style(style) or chars / lines > MAX_HEADING_CHARS:
            continue
        if style[0] == body_size and chars > body_chars * 0.3 and chars / lines > _BOLD_PARAGRAPH_CHARS:
            # Bold body text used throughout, in lines as long as a paragraph's, is
            # emphasis. Short bold lines are headings however many there are (a form,
            # a short memo: its headings may be a third of its text).
            continue
        if style == title_style and stats.pages_per_style.get(style) == {1}:
            continue  # used only for the title: keep it out of the levels
        candidates.append(style)
    candidates.sort(reverse=True)  # bigger first, bold before regular at one size

    threshold = max(2, (sampled + 1) // 2)
    running = frozenset(k for k, n in stats.running.items() if n >= threshold)
    return DocumentProfile(
        body_size=body_size,
        heading_styles=tuple(candidates[:6]),
        title_style=title_style,
        running=running,
        sampled_pages=sampled,
    )


def profile_page(number: int, lines: list[Line], page_width: float, page_height: float) -> DocumentProfile:
    """The profile one page's lines would give on their own (a scanned page
    with nothing else to go by)."""
    stats = _Stats()
    _collect(stats, number, lines, page_width, page_height)
    return build_profile(stats, 1)


def _reads_by_ocr(page: pymupdf.Page, engine: str) -> bool:
    """For a page without a text layer: whether the extraction OCRs it (as extract_page decides)."""
    return engine == "OCR" or (engine == "AUTO" and bool(page.get_image_info()))


def profile_document(
    path: str | Path,
    password: str | None,
    page_numbers: Sequence[int],
    keep_open: bool | None = None,
    options: ExtractOptions | None = None,
) -> DocumentProfile:
    """First pass over (a sample of) the 1-based `page_numbers`; `keep_open` as for
    `extract_pages` (in a pool process the first chunk then finds the file open).

    With `options`, a sample without any text layer is learnt from OCR instead
    (see the module docstring); without, scanned pages are left to themselves.
    """
    pages = sample_pages(page_numbers)
    if 1 not in pages:
        pages = [1, *pages]  # page 1 holds the title even when not processed
    selected = set(page_numbers)
    stats = _Stats()
    scans: list[int] = []
    readings: list[tuple[int, str, OcrPage]] = []
    with open_document(path, password, keep_open) as doc:
        for number in pages:
            if number > doc.page_count:
                continue
            try:
                page = doc.load_page(number - 1)
                lines = page_lines(page.get_text("dict", flags=DICT_FLAGS))
            except pymupdf.mupdf.FzErrorBase:
                continue  # unreadable: the extraction skips it with a warning

            if not lines and number in selected:
                scans.append(number)
            _collect(stats, number, lines, page.rect.width, page.rect.height)
        if options is not None and options.engine in ("AUTO", "OCR") and not stats.chars:
            for number in scans:
                page = doc.load_page(number - 1)
                if not _reads_by_ocr(page, options.engine):
                    continue
                reading = read_ocr_page(page, options.ocr_language, DICT_FLAGS)
                readings.append((number, options.ocr_language, reading))
                if reading.body_size is not None:
                    # A page with too little text (a cover) would make its largest line the body size.
                    _collect(stats, number, list(reading.lines), page.rect.width, page.rect.height)
                    break
                if len(readings) >= MAX_OCR_SAMPLE_PAGES:
                    break
    profile = build_profile(stats, len(pages))
    return dataclasses.replace(profile, ocr_readings=tuple(readings)) if readings else profile


__all__ = ["DocumentProfile", "Style", "profile_document", "profile_page", "sample_pages"]
