"""A table that runs on over a page break, linked to its first part.

Pages are extracted apart (in different processes, chunk by chunk), so the
second part of a table knows nothing of the first: without a header of its
own, its first data row would be taken as its header. `link_continued_tables`
runs when the pages are put together: a table that opens a page right after
a table that closed the previous one, with the same number of columns and a
header that was only guessed, takes the first part's header and gives its
guessed header back to its rows. A part that repeats the header is already
right. Calling it again changes nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from jobs.pdf.content import ContentBlock, PageContent, TableData

_MARGINS = ("HEADER", "FOOTER")


def table_text(table: TableData) -> str:
    """A table block's text: its rows, cells parted by " | "."""
    return "\n".join(" | ".join(r) for r in [table.headers, *table.rows])


def _last_body(page: PageContent) -> ContentBlock | None:
    return next((b for b in reversed(page.blocks) if b.type not in _MARGINS), None)


def _first_body(page: PageContent) -> ContentBlock | None:
    return next((b for b in page.blocks if b.type not in _MARGINS), None)


def link_continued_tables(pages: Sequence[PageContent]) -> None:
    """Give each continued table (see the module docstring) its first part's header,
    in place; `pages` sorted by page number."""
    for before, after in itertools.pairwise(pages):
        if after.page != before.page + 1:
            continue
        first, second = _last_body(before), _first_body(after)
        if first is None or second is None or first.table is None or second.table is None:
            continue
        head, rest = first.table, second.table
        if not rest.header_guessed or len(head.headers) != len(rest.headers):
            continue
        if rest.headers != head.headers:
            rest.rows.insert(0, rest.headers)
            rest.headers = list(head.headers)
        rest.header_guessed = False
        second.text = table_text(rest)


__all__ = ["link_continued_tables", "table_text"]
