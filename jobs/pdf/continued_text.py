"""A sentence broken off by a column or page break, read as one paragraph.

The blocks keep the geometry they were drawn with (a block is one box on one
page: the translated PDF redacts and rewrites exactly that box), so a sentence
that runs from the foot of a column or page into the next stays two blocks.
The reading formats (Markdown, plain text) join them: a paragraph that ends
without a full stop, followed (headers and footers aside) by a paragraph that
starts in lower case, continues in it; end-of-line hyphenation is undone.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?:;\u2026\u3002\uff01\uff1f][\"'\u201d\u2019\u00bb)\]]*$")
_HYPHENATED = re.compile(r"[^\W\d_][-\u00ad\u2010]$")


def sentence_ends(text: str) -> bool:
    return _SENTENCE_END.search(text.rstrip()) is not None


def starts_lower(text: str) -> bool:
    first = text.lstrip()[:1]
    return first.isalpha() and first.islower()


def continues(before: str, after: str) -> bool:
    """Whether paragraph `after` goes on with the sentence `before` broke off."""
    return bool(before) and not sentence_ends(before) and starts_lower(after)


def joined(before: str, after: str) -> str:
    if _HYPHENATED.search(before[-2:]):
        return before[:-1] + after
    return f"{before} {after}"


__all__ = ["continues", "joined", "sentence_ends", "starts_lower"]
