"""The table gates: ruled grids pass, loose rules and figures do not; long
horizontal rules with the same ends stack up for the booktabs finder."""

from __future__ import annotations

import random

from jobs.pdf.booktabs import rule_stacks
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


def rule(x0: float, x1: float, y: float) -> PathBox:
    return ("stroke-path", (x0, y - 0.4, x1, y + 0.4))


def test_booktabs_rules_form_one_stack_and_cell_pieces_join() -> None:
    booktabs = [rule(72, 400, 100), rule(72.2, 399.8, 118), rule(72, 400, 200)]
    assert [s.ys for s in rule_stacks(booktabs)] == [(100, 118, 200)]
    # Word draws a border per cell: pieces that touch are one rule.
    pieces = [rule(a, b, y) for y in (300, 320, 340) for a, b in ((72, 150), (150, 260), (260, 400))]
    stacks = rule_stacks(pieces)
    assert [(round(s.x0), round(s.x1), s.ys) for s in stacks] == [(72, 400, (300, 320, 340))]


def test_rules_of_other_widths_or_crossed_by_ticks_form_no_stack() -> None:
    # A rule under a heading and a short footnote rule.
    assert rule_stacks([rule(72, 523, 110), rule(72, 222, 720)]) == []
    # Two number lines of one width with ticks across them: a figure.
    axes = [rule(72, 372, 400), rule(72, 372, 450)]
    ticks: list[PathBox] = [
        ("stroke-path", (x - 0.4, y - 4, x + 0.4, y + 4)) for y in (400, 450) for x in (72, 172, 272, 372)
    ]
    assert len(rule_stacks(axes)) == 1
    assert rule_stacks(axes + ticks) == []
    # Rules of a table found already do not count.
    assert rule_stacks(axes, skip=[(70, 390, 380, 460)]) == []
