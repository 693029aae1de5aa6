"""The XmR rule of the pack's "What changed" (tasks/review/xmr.py) on hand-built weekly series:
limits from the 12 weeks before the latest, mean ± 2.66 × mean moving range, a signal when the
latest week lies outside them."""
from __future__ import annotations

import math

import pytest

from tasks.review.sections import tone
from tasks.review.xmr import MIN_BASELINE, xmr

# 12 quiet weeks around 100, the baseline of the first tests
QUIET = [100, 102, 99, 101, 98, 100, 103, 99, 101, 100, 102, 98]


def test_a_step_change_is_a_signal():
    # baseline mean = 1203 / 12 = 100.25
    # moving ranges |102-100| |99-102| |101-99| |98-101| |100-98| |103-100| |99-103| |101-99| |100-101|
    #   |102-100| |98-102| = 2 3 2 3 2 3 4 2 1 2 4, sum 28, mean 28 / 11 = 2.54545…
    # limits 100.25 ± 2.66 × 2.54545… = 100.25 ± 6.77091… → 93.47909… … 107.02091…
    # the latest week, 130, is above the upper limit
    x = xmr([*QUIET, 130])
    assert x.mean == pytest.approx(100.25)
    assert x.mean_moving_range == pytest.approx(28 / 11)
    assert (x.lower, x.upper) == (pytest.approx(100.25 - 2.66 * 28 / 11), pytest.approx(100.25 + 2.66 * 28 / 11))
    assert x.upper == pytest.approx(107.0209, abs=1e-4)
    assert x.signal == "above" and x.enough and x.baseline == 12
    assert x.change == 130 - 98  # week over week: the latest against the week before


def test_a_step_down_is_a_signal_below():
    assert xmr([*QUIET, 90]).signal == "below"  # 90 < 93.479…


def test_a_noisy_flat_series_is_no_signal():
    # a series that swings widely but has no trend: mean = 1213 / 12 = 101.0833…
    # moving ranges 10 18 13 8 11 14 9 4 12 21 14, sum 134, mean 134 / 11 = 12.1818…
    # limits 101.0833… ± 2.66 × 12.1818… = 101.0833… ± 32.4036… → 68.6797… … 133.4870…
    # the latest week, 113, is the highest of the series, and still inside
    noisy = [100, 110, 92, 105, 97, 108, 94, 103, 99, 111, 90, 104]
    x = xmr([*noisy, 113])
    assert x.mean == pytest.approx(1213 / 12) and x.mean_moving_range == pytest.approx(134 / 11)
    assert x.lower == pytest.approx(68.6797, abs=1e-4) and x.upper == pytest.approx(133.4870, abs=1e-4)
    assert x.signal is None and x.enough


def test_a_point_just_inside_the_limits_is_no_signal_and_just_outside_is_one():
    upper = 100.25 + 2.66 * 28 / 11
    assert xmr([*QUIET, upper - 1e-9]).signal is None
    assert xmr([*QUIET, upper + 1e-9]).signal == "above"


def test_unpublished_weeks_are_left_out_of_the_limits():
    # the same quiet weeks with two gaps: the moving ranges join the published values in order
    gappy = [100, math.nan, 102, 99, 101, 98, math.nan, 100, 103, 99, 101, 100]
    x = xmr([*gappy, 130])
    assert x.baseline == 10 and x.signal == "above"
    assert x.mean == pytest.approx(1003 / 10)
    assert x.mean_moving_range == pytest.approx((2 + 3 + 2 + 3 + 2 + 3 + 4 + 2 + 1) / 9)


def test_too_little_history_or_no_latest_value_is_not_enough():
    short = xmr([math.nan] * 7 + [100, 101, 99, 100, 102, 150])  # 5 values before the latest
    assert MIN_BASELINE == 6 and short.baseline == 5 and not short.enough and short.signal is None
    assert math.isnan(short.mean)
    assert not xmr([*QUIET, math.nan]).enough  # the latest week not published


def test_a_series_that_never_moved_signals_any_change():
    # no variation at all: the limits close on the mean, so any other value is outside them
    assert xmr([5.0] * 13).signal is None
    assert xmr([5.0] * 12 + [6.0]).signal == "above"


@pytest.mark.parametrize(("direction", "change", "expected"), [
    ("higher", 1, "good"), ("higher", -1, "bad"), ("lower", 1, "bad"), ("lower", -1, "good"),
    ("neutral", 1, "neutral"), ("higher", 0, "neutral"), ("higher", None, "neutral")])
def test_a_move_is_read_by_the_metrics_direction(direction, change, expected):
    assert tone(direction, change) == expected
