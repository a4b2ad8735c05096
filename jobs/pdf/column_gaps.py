"""Where columns part: the whitespace that runs down a block of rows.

Shared by the rule-delimited tables (booktabs.py) and the whitespace-aligned
ones (stream_tables.py), which differ in what a row's ink is, not in how the
gaps between columns are found.
"""

from __future__ import annotations

from collections.abc import Sequence


def gap_middles(rows: Sequence[Sequence[tuple[float, float]]], min_gap: float) -> list[float]:
    """x positions between columns: the middle of every gap at least `min_gap` wide that no
    row puts ink in; each row is given as the x spans (x0, x1) of its ink."""
    spans = [span for row in rows for span in row]
    if not spans:
        return []
    lo = min(x0 for x0, _ in spans)
    hi = max(x1 for _, x1 in spans)
    size = int(hi - lo) + 2
    depth = [0] * (size + 1)  # difference array: spans inking each 1 pt bin
    for x0, x1 in spans:
        depth[int(x0 - lo)] += 1
        depth[int(x1 - lo) + 1] -= 1
    bounds: list[float] = []
    ink = 0
    gap_start: int | None = None
    for i in range(size):
        ink += depth[i]
        if ink == 0 and gap_start is None:
            gap_start = i
        elif ink and gap_start is not None:
            if i - gap_start >= min_gap:
                bounds.append(lo + (gap_start + i) / 2)
            gap_start = None
    return bounds
