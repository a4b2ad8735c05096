"""Comparing word sequences: how much of what was drawn came back, in order."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_ALNUM = re.compile(r"\w")


def tokens(text: str | Iterable[str]) -> list[str]:
    """Words with at least one letter or digit, trailing/leading punctuation kept."""
    words = text.split() if isinstance(text, str) else [w for t in text for w in t.split()]
    return [w for w in words if _ALNUM.search(w)]


def in_order_ratio(expected: list[str], got: list[str]) -> float:
    """Share of expected words found in `got` in the same order (longest common subsequence)."""
    if not expected:
        return 1.0
    matcher = difflib.SequenceMatcher(a=expected, b=got, autojunk=False)
    return sum(m.size for m in matcher.get_matching_blocks()) / len(expected)
