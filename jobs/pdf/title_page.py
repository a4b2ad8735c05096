"""The lines under a document's title that are set large but are no headings:
authors, affiliations, dates.

LaTeX's \\maketitle and most report templates set them bigger than body text,
so by size alone they are headings. Their layout gives them away: they follow
the title on page 1 before any body text, carry no section number, and

- under a centred title, are centred and short themselves; or
- under any title, start where it starts, and are closer to the title and to
  each other than to what follows them: a heading sits close to the text it
  introduces, a byline close to the title it belongs to.

Under a centred title, the last centred line stays a heading when it is bold
and sits closer to what follows than to what precedes it ("Abstract" over the
abstract).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from jobs.pdf.layout import Line, has_letter

Style = tuple[float, bool]

# "1 Introduction", "2.3 Methods", "IV. Results", "A. Proofs": a section, not a byline.
_NUMBERED = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVXLC]{1,5}\.|[A-Z]\.)\s+[^\W\d_]")
# A byline is at most this share of the text width; body lines fill it.
_SHORT = 0.75


def title_page_lines(
    lines: Sequence[Line], title_style: Style | None, is_heading_style: Callable[[Style], bool]
) -> set[int]:
    """Indices of the byline lines in `lines`: page 1's lines in reading order,
    headers and footers removed. Empty when the page has no title."""
    if title_style is None or not lines:
        return set()
    start = next((i for i, ln in enumerate(lines) if ln.style == title_style and has_letter(ln.text)), None)
    if start is None:
        return set()
    end = start
    while end + 1 < len(lines) and lines[end + 1].style == title_style:
        end += 1
    title = lines[start : end + 1]

    left = min(ln.bbox[0] for ln in lines)
    right = max(ln.bbox[2] for ln in lines)
    width = max(right - left, 1.0)
    if any(ln.bbox[2] - ln.bbox[0] > width * _SHORT for ln in lines[:start]):
        return set()  # body text above it: large type further down, not a title page
    tolerance = max(4.0, width * 0.015)
    middle = (left + right) / 2

    def centred(ln: Line) -> bool:
        return abs((ln.bbox[0] + ln.bbox[2]) / 2 - middle) <= tolerance

    # Centred: every title line centred, at least one of them clear of the left edge
    # (a title that fills the width is both centred and flush left).
    centred_title = all(centred(ln) for ln in title) and any(ln.bbox[0] > left + tolerance for ln in title)
    title_left = min(ln.bbox[0] for ln in title)

    zone: list[int] = []
    for i in range(end + 1, len(lines)):
        ln = lines[i]
        if _NUMBERED.match(ln.text) or ln.bbox[2] - ln.bbox[0] > width * _SHORT:
            break
        if centred_title:
            if not centred(ln):
                break
        elif not (is_heading_style(ln.style) and abs(ln.bbox[0] - title_left) <= tolerance):
            break
        zone.append(i)
    if not zone:
        return set()

    # gaps[k]: the space above zone line k (above the first: below the title);
    # gaps[len(zone)]: below the last zone line, to the next line (none: the page ends).
    chain = [lines[end], *(lines[i] for i in zone)]
    gaps = [b.bbox[1] - a.bbox[3] for a, b in itertools.pairwise(chain)]
    after = zone[-1] + 1
    gaps.append(lines[after].bbox[1] - lines[zone[-1]].bbox[3] if after < len(lines) else float("inf"))

    if centred_title:
        last = lines[zone[-1]]
        if last.bold and is_heading_style(last.style) and gaps[-1] < gaps[-2]:
            zone = zone[:-1]  # a centred heading over what follows
        return set(zone)
    # Not centred: the longest run that is closer to the title than to what follows it.
    for k in range(len(zone), 0, -1):
        if max(gaps[:k]) < gaps[k]:
            return set(zone[:k])
    return set()


__all__ = ["title_page_lines"]
