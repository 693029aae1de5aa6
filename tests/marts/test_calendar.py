"""The difference-array sums of tasks/marts/calendar.py on facts small enough to add by hand: counts
as integers, several values of the same facts in one pass (sums_per_day), sums zeroed where no
fact counts, facts of no group left out."""
from __future__ import annotations

import numpy as np

from tasks.marts.calendar import (
    Grid,
    Groups,
    count_in_window,
    in_window,
    raw_total_per_day,
    sum_in_window,
    sums_in_window,
    sums_per_day,
)

# four facts on days 10, 12, 12, 15; in W3 a fact of day d counts for D in [d, d + 2]
DAY = np.array([10, 12, 12, 15])
HOURS = np.array([0.5, 1.25, 2.0, 4.0])  # binary fractions: every sum below is exact in any order
COST = HOURS * 2
BY = Groups(np.array([0, 1, 0, -1]), 2)  # the last fact is in no group
GRID = Grid(12, 5)  # D = 12 … 16


def test_several_values_of_the_same_facts_in_one_pass_per_group():
    hours, cost = sums_in_window(DAY, [HOURS, COST], 3, GRID, BY)
    # group 0: D=12: 0.5 (day 10, its last D) + 2.0 = 2.5; D=13, 14: 2.0; D=15, 16: none
    # group 1: D=12 … 14: 1.25; the day-15 fact (no group) nowhere
    assert hours.tolist() == [[2.5, 2.0, 2.0, 0.0, 0.0], [1.25, 1.25, 1.25, 0.0, 0.0]]
    assert cost.tolist() == [[5.0, 4.0, 4.0, 0.0, 0.0], [2.5, 2.5, 2.5, 0.0, 0.0]]
    assert np.array_equal(hours, sum_in_window(DAY, HOURS, 3, GRID, BY))


def test_counts_are_integers_and_ungrouped_counts_every_fact():
    counts = count_in_window(DAY, 3, GRID)
    # D=12: days 10, 12, 12; D=13, 14: the two of day 12; D=15, 16: day 15
    assert counts.dtype == np.int64 and counts.tolist() == [3, 2, 2, 1, 1]
    assert count_in_window(DAY, 3, GRID, BY).tolist() == [[2, 1, 1, 0, 0], [1, 1, 1, 0, 0]]
    (total,) = sums_in_window(DAY, [HOURS], 3, GRID)
    assert total.tolist() == [3.75, 3.25, 3.25, 4.0, 4.0]  # 0.5 + 1.25 + 2.0; 1.25 + 2.0; 4.0


def test_a_sum_over_no_fact_is_exactly_zero_though_the_running_sum_keeps_a_residue():
    span = in_window(np.array([10, 11]), 1)  # 0.7 counts on D=10 only, 0.1 on D=11 only
    grid = Grid(10, 3)
    raw = raw_total_per_day(span, [0.7, 0.1], grid)
    # the cells are 0.7, 0.1 − 0.7, −0.1: D=11 is 0.7 + (0.1 − 0.7) = 0.09999999999999998 and
    # D=12, where no fact counts, that − 0.1 = −2.7755575615628914e-17
    assert raw.tolist() == [0.7, 0.09999999999999998, -2.7755575615628914e-17]
    (summed,) = sums_per_day(span, [[0.7, 0.1]], grid)
    assert summed.tolist() == [0.7, 0.09999999999999998, 0.0]
