"""The table gate: ruled grids pass, loose rules and figures do not."""

from __future__ import annotations

import random

from jobs.pdf.tables import PathBox, may_hold_table, table_area


def grid(x0: float, y0: float, cols: int, rows: int, w: float = 90, h: float = 18) -> list[PathBox]:
    """A ruled grid drawn one path per rule, as most producers do."""
    paths: list[PathBox] = []
    for r in range(rows + 1):
        y = y0 + r * h
        paths.append(("stroke-path", (x0, y - 0.5, x0 + cols * w, y + 0.5)))
    for c in range(cols + 1):
        x = x0 + c * w
        paths.append(("stroke-path", (x - 0.5, y0, x + 0.5, y0 + rows * h)))
    return paths


def test_ruled_grid_passes_and_its_area_covers_it() -> None:
    paths = grid(72, 300, 4, 4)
    assert may_hold_table(paths)
    area = table_area(paths)
    assert area is not None
    assert area[0] <= 71.5 and area[1] <= 299.5 and area[2] >= 432.5 and area[3] >= 372.5
    assert area[1] > 250  # the text above the table is outside the area


def test_a_grid_drawn_as_one_box_passes() -> None:
    assert may_hold_table([("stroke-path", (72, 300, 400, 420))])


def test_rules_that_close_no_cell_do_not_pass() -> None:
    # Two horizontal separators at the top, two vertical bars far below: no cell.
    loose: list[PathBox] = [
        ("stroke-path", (72, 100, 520, 101)),
        ("stroke-path", (72, 140, 520, 141)),
        ("fill-path", (100, 500, 102, 600)),
        ("fill-path", (300, 500, 302, 600)),
    ]
    assert not may_hold_table(loose)
    assert not may_hold_table(loose[:2] + loose[2:3])


def test_figure_of_curves_does_not_pass_even_with_a_few_crossing_lines() -> None:
    rng = random.Random(7)
    curves: list[PathBox] = []
    for _ in range(1600):
        x, y = rng.uniform(80, 500), rng.uniform(80, 700)
        curves.append(("stroke-path", (x, y, x + rng.uniform(0.5, 6), y + rng.uniform(0.5, 6))))
    axes = grid(100, 100, 3, 3, w=100, h=100)  # plot axes and grid lines
    assert may_hold_table(axes)
    assert not may_hold_table(curves + axes)
    # The same table beside a handful of other drawings still passes.
    assert may_hold_table(curves[:100] + axes)
