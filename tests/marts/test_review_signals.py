"""review_signals against METRICS.md: the XmR chart of every SIGNAL_SERIES metric as of D over the
values as of D, D-7, ..., D-84. Synthetic portfolio frames (as_of_date and the 18 analysed metrics,
every other metric constant) hold a hand-written series at D-7k; every other day of that metric
holds JUNK, so a chart that read a wrong day would show it. Expected values are worked out by hand
in the comments: centre = mean of the baseline, mR = mean moving range of the baseline, limits
centre +- 2.66 mR, midways centre +- 1.33 mR.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from schemas.tables import REVIEW_SIGNALS, SIGNAL_SERIES, WEEKLY, WEEKLY_CHANGE
from tasks.marts.review_signals import SIGNAL_LOOKBACK, review_signals

D = dt.date(2026, 3, 2)
JUNK = 1_000_000.0  # a metric's value on the days between its weekly values: never read

# A noisy flat baseline, v_1 ... v_12 (weekly), used by several tests:
# 10, 12, 10, 12, ... : centre = (6 x 10 + 6 x 12) / 12 = 132 / 12 = 11; 11 moving ranges of 2 -> mR = 2
# upper = 11 + 2.66 x 2 = 16.32, lower = 11 - 5.32 = 5.68; midways 11 +- 1.33 x 2 = 13.66 and 8.34
NOISY = [10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 10, 12]


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def portfolio(*weekly: tuple[str, dt.date, list[float]], first: dt.date | None = None, last: dt.date = D,
              fill: float = 0.0) -> pd.DataFrame:
    """Every analysed metric at `fill` on every day first (default D - 84) ... last; each (metric, day,
    values) puts values[k] as the metric as of day - 7k, JUNK on that metric's other days."""
    first = first or D - dt.timedelta(days=84)
    out = pd.DataFrame({"as_of_date": days(first, last), **{m: fill for m in SIGNAL_SERIES}})
    for metric in {m for m, _, _ in weekly}:
        out[metric] = JUNK
    for metric, day, values in weekly:
        for k, value in enumerate(values):
            out.loc[out["as_of_date"] == day - dt.timedelta(days=7 * k), metric] = value
    return out


def row(rs: pd.DataFrame, metric: str, day: dt.date = D) -> pd.Series:
    hit = rs[(rs["as_of_date"] == day) & (rs["metric"] == metric)]
    assert len(hit) == 1, (day, metric, hit)
    return hit.iloc[0]


def chart(r: pd.Series) -> tuple:
    return r["value"], r["centre"], r["lower_limit"], r["upper_limit"], r["rule"], r["side"]


def test_one_row_per_date_per_analysed_metric_with_the_declared_columns():
    p = portfolio(fill=7, last=D + dt.timedelta(days=1))
    p["leads_created_30d"] = 3  # not analysed: ignored
    rs = review_signals(p, [D + dt.timedelta(days=1), D])
    assert list(rs.columns) == REVIEW_SIGNALS.names
    # 2 dates x 18 metrics (12 weekly flows, 6 levels), each (as_of_date, metric) once, sorted
    assert len(SIGNAL_SERIES) == 18
    assert len(rs) == 2 * 18
    assert list(rs["as_of_date"]) == [D] * 18 + [D + dt.timedelta(days=1)] * 18
    assert list(rs["metric"]) == sorted(SIGNAL_SERIES) * 2
    assert dict(zip(rs["metric"], rs["series"], strict=False)) == SIGNAL_SERIES
    assert sum(s == WEEKLY for s in SIGNAL_SERIES.values()) == 12
    assert sum(s == WEEKLY_CHANGE for s in SIGNAL_SERIES.values()) == 6
    for c in ("value", "centre", "lower_limit", "upper_limit"):
        assert rs[c].dtype == "float64", c
    assert rs["rule"].dtype == object and rs["side"].dtype == object
    # a constant 7: weekly v_k = 7, centre 7, mR 0 -> limits 7, no rule, v_0 = centre -> no side;
    # weekly_change v_k = 7 - 7 = 0, centre 0, limits 0
    for r in rs.itertuples():
        expected = 7.0 if r.series == WEEKLY else 0.0
        assert (r.value, r.centre, r.lower_limit, r.upper_limit) == (expected,) * 4, r.metric
        assert r.rule is None and r.side is None, r.metric


def test_outside_up_on_a_noisy_flat_series():
    # v_0 = 20 after NOISY: 20 > upper 16.32 -> outside, up (20 > 11)
    rs = review_signals(portfolio(("leads_created_7d", D, [20, *NOISY])), [D])
    value, centre, lower, upper, rule, side = chart(row(rs, "leads_created_7d"))
    assert (value, centre) == (20, 11)
    assert lower == pytest.approx(5.68)
    assert upper == pytest.approx(16.32)
    assert (rule, side) == ("outside", "up")


def test_outside_down():
    # v_0 = 2 after NOISY: 2 < lower 5.68 -> outside, down (2 < 11); no three_of_four below (8.34):
    # of v_1 ... v_3 = 10, 12, 10 none is below it
    rs = review_signals(portfolio(("hours_7d", D, [2, *NOISY])), [D])
    value, centre, lower, upper, rule, side = chart(row(rs, "hours_7d"))
    assert (value, centre) == (2, 11)
    assert (lower, upper) == (pytest.approx(5.68), pytest.approx(16.32))
    assert (rule, side) == ("outside", "down")


def test_a_flat_baseline_gives_no_rule_whatever_the_jump():
    # baseline 10 x 12: centre 10, every moving range 0 -> mR 0 -> limits 10 and 10; v_0 = 50 would
    # be "outside" by any margin, but a flat baseline gives no limits: rule null; side still up
    rs = review_signals(portfolio(("deals_won_7d", D, [50] + [10] * 12)), [D])
    assert chart(row(rs, "deals_won_7d")) == (50, 10, 10, 10, None, "up")
    # a metric that stayed at 0 (here every metric the test leaves alone): no rule, no side
    assert chart(row(rs, "feedback_responses_7d")) == (0, 0, 0, 0, None, None)


def test_three_of_four_inside_the_limits():
    # baseline 14, 12, 14, 12, 10, 8, 10, 8, 10, 12, 10, 12: sum 52 + 36 + 44 = 132 -> centre 11;
    # 11 moving ranges of 2 -> mR 2: upper 16.32, upper midway 13.66
    # v_0 = 15 < 16.32: not outside; of v_0 ... v_3 = 15, 14, 12, 14 three > 13.66, v_0 among them
    rs = review_signals(portfolio(("bookings_7d", D, [15, 14, 12, 14, 12, 10, 8, 10, 8, 10, 12, 10, 12])), [D])
    value, centre, lower, upper, rule, side = chart(row(rs, "bookings_7d"))
    assert (value, centre) == (15, 11)
    assert upper == pytest.approx(16.32)
    assert (rule, side) == ("three_of_four", "up")


def test_three_of_four_needs_v0_and_the_same_midway():
    p = portfolio(
        # baseline 14, 14, 14, 8, 11, 12, 10, 12, 8, 10, 9, 10: sum 50 + 82 = 132 -> centre 11; moving
        # ranges 0+0+6+3+1+2+2+4+2+1+1 = 22 -> mR 2; midways 13.66 and 8.34. v_1 ... v_3 = 14, 14, 14
        # are beyond the upper midway but v_0 = 12 is not; v_4 = 8 < 11 breaks the run of eight
        ("marketing_spend_7d", D, [12, 14, 14, 14, 8, 11, 12, 10, 12, 8, 10, 9, 10]),
        # baseline 14, 8, 8, 12, 10, 12, 10, 12, 10, 12, 12, 12: sum 30 + 102 = 132 -> centre 11; moving
        # ranges 6+0+4+2+2+2+2+2+2+0+0 = 22 -> mR 2. v_0 = 15 and v_1 = 14 > 13.66 (two), v_2 = v_3 = 8
        # < 8.34 (two, without v_0): no midway has three; 15 < 16.32 not outside; v_2 < 11: no run
        ("labour_cost_7d", D, [15, 14, 8, 8, 12, 10, 12, 10, 12, 10, 12, 12, 12]),
    )
    rs = review_signals(p, [D])
    value, centre, lower, upper, rule, side = chart(row(rs, "marketing_spend_7d"))
    assert (value, centre, upper) == (12, 11, pytest.approx(16.32))
    assert (rule, side) == (None, "up")
    value, centre, lower, upper, rule, side = chart(row(rs, "labour_cost_7d"))
    assert (value, centre, lower, upper) == (15, 11, pytest.approx(5.68), pytest.approx(16.32))
    assert (rule, side) == (None, "up")


def test_eight_in_a_row_neither_outside_nor_three_of_four():
    # baseline 10, 9, 10, 9, 10, 9, 10, 15, 11, 15, 12, 12: sum 67 + 65 = 132 -> centre 11; moving
    # ranges 6 x 1 + 5 + 4 + 4 + 3 + 0 = 22 -> mR 2: lower 5.68, lower midway 8.34
    # v_0 = 9: not < 5.68, not < 8.34 (no three_of_four); v_0 ... v_7 = 9, 10, 9, 10, 9, 10, 9, 10 all < 11
    rs = review_signals(portfolio(("expenses_7d", D, [9, 10, 9, 10, 9, 10, 9, 10, 15, 11, 15, 12, 12])), [D])
    value, centre, lower, upper, rule, side = chart(row(rs, "expenses_7d"))
    assert (value, centre) == (9, 11)
    assert lower == pytest.approx(5.68)
    assert (rule, side) == ("eight_in_a_row", "down")


def test_eight_in_a_row_needs_eight_strictly_on_one_side():
    p = portfolio(
        # baseline 10, 9, 10, 9, 10, 9, 12, 15, 10, 14, 12, 12: sum 57 + 12 + 63 = 132 -> centre 11;
        # moving ranges 5 x 1 + 3 + 3 + 5 + 4 + 2 + 0 = 22 -> mR 2. v_0 ... v_6 = 9, 10, 9, 10, 9, 10, 9
        # < 11 (seven), v_7 = 12 > 11: no run of eight
        ("expenses_7d", D, [9, 10, 9, 10, 9, 10, 9, 12, 15, 10, 14, 12, 12]),
        # baseline 10, 9, 10, 9, 10, 9, 11, 14, 10, 14, 12, 14: sum 57 + 11 + 64 = 132 -> centre 11;
        # moving ranges 5 x 1 + 2 + 3 + 4 + 4 + 2 + 2 = 22 -> mR 2. v_7 = 11 = centre, not below it
        ("hours_7d", D, [9, 10, 9, 10, 9, 10, 9, 11, 14, 10, 14, 12, 14]),
    )
    rs = review_signals(p, [D])
    # v_0 = 9: above lower 5.68 and the lower midway 8.34 -> no rule; side down
    for metric in ("expenses_7d", "hours_7d"):
        value, centre, lower, upper, rule, side = chart(row(rs, metric))
        assert (value, centre, lower) == (9, 11, pytest.approx(5.68)), metric
        assert (rule, side) == (None, "down"), metric


def test_the_first_rule_that_holds_is_reported():
    p = portfolio(
        # baseline 12, 13, 12, 13, 12, 13, 12, 7, 11, 7, 10, 10: sum 87 + 45 = 132 -> centre 11; moving
        # ranges 6 x 1 + 5 + 4 + 4 + 3 + 0 = 22 -> mR 2: upper 16.32. v_0 = 20 > 16.32 (outside) and
        # v_0 ... v_7 = 20, 12, 13, 12, 13, 12, 13, 12 all > 11 (eight_in_a_row): outside comes first
        ("new_customers_7d", D, [20, 12, 13, 12, 13, 12, 13, 12, 7, 11, 7, 10, 10]),
        # baseline 14, 12, 14, 12, 12, 12, 12, 8, 10, 7, 11, 8: sum 88 + 44 = 132 -> centre 11; moving
        # ranges 2+2+2+0+0+0+4+2+3+4+3 = 22 -> mR 2. v_0 = 15 < 16.32; 15, 14, 14 of v_0 ... v_3 > 13.66
        # (three_of_four) and v_0 ... v_7 = 15, 14, 12, 14, 12, 12, 12, 12 all > 11: three_of_four first
        ("deals_created_7d", D, [15, 14, 12, 14, 12, 12, 12, 12, 8, 10, 7, 11, 8]),
    )
    rs = review_signals(p, [D])
    assert chart(row(rs, "new_customers_7d"))[4:] == ("outside", "up")
    assert chart(row(rs, "deals_created_7d"))[4:] == ("three_of_four", "up")


def test_a_steady_ramp_of_a_level_gives_no_signal():
    # customers_total 100 + 5 a week: x_k = 160 - 5k, k = 0 ... 12 (160 ... 100); v_k = x_k - x_(k+1) = 5
    # for k = 0 ... 11: centre 5, mR 0 -> limits 5, no rule; v_0 = 5 = centre -> no side
    rs = review_signals(portfolio(("customers_total", D, [160 - 5 * k for k in range(13)])), [D])
    assert chart(row(rs, "customers_total")) == (5, 5, 5, 5, None, None)
    assert row(rs, "customers_total")["series"] == WEEKLY_CHANGE


def test_a_noisy_ramp_of_a_level_gives_no_signal():
    # x_0 ... x_12 = 161, 155, 149, 145, 139, 135, 129, 125, 119, 115, 109, 105, 100
    # v_0 ... v_11 = 6, 6, 4, 6, 4, 6, 4, 6, 4, 6, 4, 5; baseline v_1 ... v_11 sums to 30 + 20 + 5 = 55
    # -> centre 5; moving ranges 9 x 2 + |4 - 5| = 19 over 10 -> mR 1.9; limits 5 +- 2.66 x 1.9 = 5 +- 5.054;
    # upper midway 5 + 1.33 x 1.9 = 7.527. v_0 = 6: inside, below the midway; v_2 = 4 < 5: no run
    x = [161, 155, 149, 145, 139, 135, 129, 125, 119, 115, 109, 105, 100]
    rs = review_signals(portfolio(("active_projects", D, x)), [D])
    value, centre, lower, upper, rule, side = chart(row(rs, "active_projects"))
    assert (value, centre) == (6, pytest.approx(5))
    assert lower == pytest.approx(-0.054)
    assert upper == pytest.approx(10.054)
    assert (rule, side) == (None, "up")


def test_weekly_change_charts_the_differences_over_11_baseline_weeks():
    # x_0 ... x_12 = 93, 83, 81, 77, 75, 71, 69, 65, 63, 59, 57, 55, 50
    # v_0 ... v_11 = 10, 2, 4, 2, 4, 2, 4, 2, 4, 2, 2, 5; baseline v_1 ... v_11: sum 33 over 11 -> centre 3
    # (the first 10 alone would give 28 / 10 = 2.8; the levels themselves a centre near 65);
    # moving ranges 8 x 2 + 0 + 3 = 19 over 10 -> mR 1.9; upper 3 + 5.054 = 8.054, lower -2.054
    # v_0 = 10 > 8.054 -> outside, up. x_13 (D-91) is not in the frame and is not needed.
    x = [93, 83, 81, 77, 75, 71, 69, 65, 63, 59, 57, 55, 50]
    rs = review_signals(portfolio(("open_pipeline_count", D, x)), [D])
    value, centre, lower, upper, rule, side = chart(row(rs, "open_pipeline_count"))
    assert value == 10
    assert centre == pytest.approx(3)
    assert lower == pytest.approx(-2.054)
    assert upper == pytest.approx(8.054)
    assert (rule, side) == ("outside", "up")


def test_several_dates_each_read_their_own_weeks():
    # D reads D, D-7, ..., D-84; D+1 reads D+1, D-6, ..., D-83: the other date's days, never its own
    d1 = D + dt.timedelta(days=1)
    p = portfolio(("leads_qualified_7d", D, [20, *NOISY]), ("leads_qualified_7d", d1, [2, *NOISY]), last=d1)
    rs = review_signals(p, [D, d1])
    # D: as test_outside_up; D+1: as test_outside_down
    assert chart(row(rs, "leads_qualified_7d", D)) == (20, 11, pytest.approx(5.68), pytest.approx(16.32), "outside", "up")
    assert chart(row(rs, "leads_qualified_7d", d1)) == (2, 11, pytest.approx(5.68), pytest.approx(16.32), "outside", "down")
    # and D's rows are those of a call for D alone
    alone = review_signals(p, [D])
    pd.testing.assert_frame_equal(rs[rs["as_of_date"] == D].reset_index(drop=True), alone)


def test_the_portfolio_must_reach_back_84_days():
    # x_12 is as of D - 84, for both series (weekly_change: v_11 = x_11 - x_12)
    assert SIGNAL_LOOKBACK == 84
    review_signals(portfolio(first=D - dt.timedelta(days=84)), [D])
    # D - 84 = 2025-12-08, the one day missing
    with pytest.raises(ValueError, match="2025-12-08"):
        review_signals(portfolio(first=D - dt.timedelta(days=83)), [D])


def test_a_missing_value_gives_no_rule_and_no_side():
    p = portfolio(("projects_delivered_7d", D, [20, *NOISY]), ("deals_won_7d", D, [np.nan, *NOISY]))
    p.loc[p["as_of_date"] == D - dt.timedelta(days=14), "projects_delivered_7d"] = np.nan  # v_2
    rs = review_signals(p, [D])
    # a NaN in the baseline: centre and limits NaN, every comparison false
    value, centre, lower, upper, rule, side = chart(row(rs, "projects_delivered_7d"))
    assert value == 20
    assert np.isnan(centre) and np.isnan(lower) and np.isnan(upper)
    assert (rule, side) == (None, None)
    # a NaN v_0: the NOISY baseline's centre and limits, but no rule and no side
    value, centre, lower, upper, rule, side = chart(row(rs, "deals_won_7d"))
    assert np.isnan(value)
    assert (centre, lower, upper) == (11, pytest.approx(5.68), pytest.approx(16.32))
    assert (rule, side) == (None, None)
