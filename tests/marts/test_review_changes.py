"""review_changes against METRICS.md: one row per as-of date per portfolio metric, with the value as
of D, the value as of D-7 (computed whether or not D-7 was ever part of a run), their difference and
the difference relative to abs(value_7d_ago). Expected values are worked out by hand from the spec,
on typed valid rows (staging's part is covered end to end in test_portfolio_daily).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from builders import PORTFOLIO_METRICS, as_date, as_of, valid_dataset

from tasks.marts.build import build_marts
from tasks.marts.facts import build_facts
from tasks.marts.portfolio_daily import portfolio_daily
from tasks.marts.review_changes import LOOKBACK, review_changes

METRICS = PORTFOLIO_METRICS


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def isnull(x) -> bool:
    return x is None or pd.isna(x)


def changes(valid, start: str, end: str | None = None) -> pd.DataFrame:
    """review_changes as the run computes it: from portfolio_daily over the dates and the 7 days before."""
    grid = as_of(start, end)
    return review_changes(portfolio_daily(build_facts(valid, "UTC"), grid.shifted(LOOKBACK)), list(grid.dates.date))


def portfolio(valid, day: str) -> pd.DataFrame:
    return portfolio_daily(build_facts(valid, "UTC"), as_of(day)).set_index("as_of_date")


def row(rc: pd.DataFrame, day: str, metric: str) -> pd.Series:
    hit = rc[(rc["as_of_date"] == d(day)) & (rc["metric"] == metric)]
    assert len(hit) == 1, (day, metric, hit)
    return hit.iloc[0]


def valid_week():
    """As of D = 2026-02-10 and D-7 = 2026-02-03 (dates below are UTC noon)."""
    return valid_dataset(
        leads=[{"created_at": "2026-02-01T12:00:00Z"}, {"created_at": "2026-02-01T12:00:00Z"},
               {"created_at": "2026-02-05T12:00:00Z"}, {"created_at": "2026-02-10T12:00:00Z"}],
        deals=[
            {"deal_id": "X1", "account_id": "A1", "stage": "won", "amount": "1000",
             "created_at": "2025-06-01T00:00:00Z", "closed_at": "2026-01-10T12:00:00Z"},
            {"deal_id": "R1", "account_id": "A1", "deal_type": "renewal", "stage": "won", "amount": "400",
             "created_at": "2025-06-01T00:00:00Z", "closed_at": "2026-02-05T12:00:00Z"},
            {"deal_id": "N1", "account_id": "A2", "stage": "discovery", "amount": "50",
             "created_at": "2026-02-05T12:00:00Z"},
        ],
        projects=[{"project_id": "P1", "deal_id": "X1", "status": "delivered", "start_date": "2026-01-01",
                   "actual_end_date": "2026-02-01"}],
        # default rate card: 100/hour -> 15 h = 1500
        time_entries=[{"project_id": "P1", "work_date": "2026-01-20", "hours": "15"}],
        expenses=[{"project_id": "P1", "expense_date": "2026-02-08", "amount": "500"}],
    )


def test_one_row_per_portfolio_metric_per_date():
    out = build_marts(valid_week(), "UTC", as_date("2026-02-08"), as_date("2026-02-10"))
    rc = out["review_changes"]
    assert set(rc.columns) >= {"as_of_date", "metric", "value", "value_7d_ago", "change", "change_pct"}
    # 3 dates x 41 metrics (26, the three of the customer's voice and the twelve weekly flows of
    # contract v3) = 123 rows, each (as_of_date, metric) once
    assert len(rc) == 3 * 41
    assert not rc.duplicated(["as_of_date", "metric"]).any()
    assert set(rc["as_of_date"]) == {d("2026-02-08"), d("2026-02-09"), d("2026-02-10")}
    for day, grp in rc.groupby("as_of_date"):
        assert sorted(grp["metric"]) == sorted(METRICS), day
    # the lookback dates needed for value_7d_ago are not output rows of portfolio_daily either
    p = out["portfolio_daily"]
    assert list(p["as_of_date"]) == [d("2026-02-08"), d("2026-02-09"), d("2026-02-10")]


def test_value_and_value_7d_ago_agree_with_portfolio_daily():
    # value = the metric as of D (the portfolio row of D); value_7d_ago = the metric as of D-7,
    # which is computed although 2026-02-03 is not in this run: compare with a run of 02-03 alone
    rc, p = changes(valid_week(), "2026-02-10"), portfolio(valid_week(), "2026-02-10")
    ago = portfolio(valid_week(), "2026-02-03")
    for m in METRICS:
        r = row(rc, "2026-02-10", m)
        now, before = p.loc[d("2026-02-10"), m], ago.loc[d("2026-02-03"), m]
        if isnull(now):
            assert isnull(r["value"]), m
        else:
            assert r["value"] == pytest.approx(float(now)), m
        if isnull(before):
            assert isnull(r["value_7d_ago"]), m
        else:
            assert r["value_7d_ago"] == pytest.approx(float(before)), m


def test_value_7d_ago_hand_computed_for_a_date_never_run():
    rc = changes(valid_week(), "2026-02-10")
    r = row(rc, "2026-02-10", "leads_created_30d")
    # D=02-10: W30 = 01-12..02-10: leads of 02-01, 02-01, 02-05, 02-10 -> 4
    # D-7=02-03: W30 = 01-05..02-03: leads of 02-01, 02-01 -> 2 (02-05 and 02-10 are after 02-03)
    # change 4 - 2 = 2; change_pct 2 / |2| = 1.0
    assert r["value"] == 4
    assert r["value_7d_ago"] == 2
    assert r["change"] == pytest.approx(2)
    assert r["change_pct"] == pytest.approx(1.0)


def test_several_dates_each_with_its_own_week_ago():
    rc = changes(valid_week(), "2026-02-09", "2026-02-10")
    # D=02-09: W30 = 01-11..02-09: 02-01, 02-01, 02-05 -> 3; D-7=02-02: W30 = 01-04..02-02: 2 leads
    # change 1; change_pct 1/2 = 0.5
    r = row(rc, "2026-02-09", "leads_created_30d")
    assert (r["value"], r["value_7d_ago"]) == (3, 2)
    assert r["change"] == pytest.approx(1)
    assert r["change_pct"] == pytest.approx(0.5)
    r = row(rc, "2026-02-10", "leads_created_30d")
    assert (r["value"], r["value_7d_ago"]) == (4, 2)


def test_negative_change_pct():
    rc = changes(valid_week(), "2026-02-10")
    r = row(rc, "2026-02-10", "bookings_30d")
    # D=02-10, W30 = 01-12..02-10: R1 (won 02-05, 400) -> 400; X1 (won 01-10) is out
    # D-7=02-03, W30 = 01-05..02-03: X1 (1000) -> 1000
    # change 400 - 1000 = -600; change_pct -600 / 1000 = -0.6
    assert r["value"] == pytest.approx(400)
    assert r["value_7d_ago"] == pytest.approx(1000)
    assert r["change"] == pytest.approx(-600)
    assert r["change_pct"] == pytest.approx(-0.6)
    # open_pipeline_amount: at 02-03 R1 (won 02-05, after that D) is still open -> 400 (N1 not yet
    # created); at 02-10 R1 is closed, N1 (50) open -> 50. change -350; change_pct -350/400 = -0.875
    r = row(rc, "2026-02-10", "open_pipeline_amount")
    assert (r["value"], r["value_7d_ago"]) == (50, 400)
    assert r["change"] == pytest.approx(-350)
    assert r["change_pct"] == pytest.approx(-0.875)
    # deals_won_30d: 1 (R1) vs 1 (X1) -> change 0, change_pct 0/1 = 0.0
    r = row(rc, "2026-02-10", "deals_won_30d")
    assert (r["value"], r["value_7d_ago"]) == (1, 1)
    assert r["change"] == 0
    assert r["change_pct"] == 0


def test_change_pct_divides_by_abs_of_a_negative_week_ago_value():
    rc = changes(valid_week(), "2026-02-10")
    r = row(rc, "2026-02-10", "delivered_margin_pct_90d")
    # P1 delivered 02-01 (in W90 of both dates), contract value 1000 (X1 won 01-10)
    # D-7=02-03: cost to date = 15 h x 100 = 1500 -> (1000 - 1500) / 1000 = -0.5
    # D=02-10: + expense of 02-08 (500) -> 2000 -> (1000 - 2000) / 1000 = -1.0
    # change -1.0 - (-0.5) = -0.5; change_pct -0.5 / abs(-0.5) = -1.0
    assert r["value"] == pytest.approx(-1.0)
    assert r["value_7d_ago"] == pytest.approx(-0.5)
    assert r["change"] == pytest.approx(-0.5)
    assert r["change_pct"] == pytest.approx(-1.0)


def test_change_pct_null_when_value_7d_ago_is_zero():
    rc = changes(valid_week(), "2026-02-10")
    # deals_created_30d: D=02-10 (01-12..02-10): N1 (02-05) -> 1; D-7=02-03 (01-05..02-03): none -> 0
    # change 1; change_pct 1/0 -> null
    r = row(rc, "2026-02-10", "deals_created_30d")
    assert (r["value"], r["value_7d_ago"]) == (1, 0)
    assert r["change"] == pytest.approx(1)
    assert isnull(r["change_pct"])
    # expenses_30d: the 02-08 expense (500) is in W30 of 02-10, after 02-03 -> 500, 0, 500, null
    r = row(rc, "2026-02-10", "expenses_30d")
    assert (r["value"], r["value_7d_ago"]) == (500, 0)
    assert r["change"] == pytest.approx(500)
    assert isnull(r["change_pct"])
    # lead_conversion_rate_90d: 0/4 now, 0/2 a week ago -> 0 and 0: change 0, change_pct 0/0 -> null
    r = row(rc, "2026-02-10", "lead_conversion_rate_90d")
    assert (r["value"], r["value_7d_ago"]) == (0, 0)
    assert r["change"] == 0
    assert isnull(r["change_pct"])


def test_null_value_7d_ago_gives_null_change():
    rc = changes(valid_week(), "2026-02-10")
    # renewal_rate_90d: D=02-10: R1 (renewal) won 02-05 -> 1/1 = 1.0;
    # D-7=02-03: no renewal deal closed by then -> 0/0 -> null; change and change_pct -> null
    r = row(rc, "2026-02-10", "renewal_rate_90d")
    assert r["value"] == pytest.approx(1.0)
    assert isnull(r["value_7d_ago"])
    assert isnull(r["change"])
    assert isnull(r["change_pct"])
