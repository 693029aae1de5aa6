"""portfolio_daily against METRICS.md, on small hand-built datasets of typed valid rows (one test
goes through staging, end to end).

Every expected value below is worked out by hand from the definitions in
/work/shared/spec/METRICS.md (not from the implementation); the comment next to each
assertion shows the arithmetic. Windows used throughout (Wn = D-(n-1) .. D, both ends in):

    W7  ending 2026-02-24 = 2026-02-18 .. 2026-02-24   (2026-02-17 is one day out)
    W7  ending 2026-03-03 = 2026-02-25 .. 2026-03-03   (the next week: no day in common)
    W30 ending 2026-02-24 = 2026-01-26 .. 2026-02-24   (2026-01-25 is one day out)
    W30 ending 2026-02-25 = 2026-01-27 .. 2026-02-25
    W30 ending 2026-03-01 = 2026-01-31 .. 2026-03-01
    W90 ending 2026-04-30 = 2026-01-31 .. 2026-04-30   (2026-01-30 is one day out)
    W90 ending 2026-05-01 = 2026-02-01 .. 2026-05-01
    W90 ending 2026-03-01 = 2025-12-02 .. 2026-03-01
    W90 ending 2026-03-05 = 2025-12-06 .. 2026-03-05
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from builders import PORTFOLIO_METRICS, as_of, dataset, marts, valid_dataset

from tasks.marts.facts import build_facts
from tasks.marts.portfolio_daily import portfolio_daily

METRICS = PORTFOLIO_METRICS
COUNTS = ["leads_created_30d", "leads_qualified_30d", "deals_created_30d", "open_pipeline_count",
          "deals_won_30d", "new_customers_30d", "customers_total", "key_accounts_total", "active_projects",
          "projects_delivered_90d", "milestones_overdue", "feedback_responses_90d",
          "leads_created_7d", "leads_qualified_7d", "deals_created_7d", "deals_won_7d", "new_customers_7d",
          "projects_delivered_7d", "feedback_responses_7d"]
SUMS = ["open_pipeline_amount", "bookings_30d", "marketing_spend_30d", "hours_30d", "labour_cost_30d",
        "expenses_30d", "bookings_7d", "marketing_spend_7d", "hours_7d", "labour_cost_7d", "expenses_7d"]
NULLABLE = ["lead_qualification_rate_90d", "lead_conversion_rate_90d", "win_rate_90d",
            "avg_sales_cycle_days_90d", "median_sales_cycle_days_90d", "cac_30d", "renewal_rate_90d",
            "on_time_delivery_rate_90d", "delivered_margin_pct_90d", "nps_90d", "team_score_avg_90d"]


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def ts(day: str, time: str = "12:00:00") -> str:
    """A UTC timestamp at noon of `day` (noon: unambiguous event date in UTC tests)."""
    return f"{day}T{time}Z"


def portfolio(valid, start: str, end: str | None = None, tz: str = "UTC") -> pd.DataFrame:
    return portfolio_daily(build_facts(valid, tz), as_of(start, end)).set_index("as_of_date")


def staged_portfolio(raw, start: str, end: str | None = None, tz: str = "UTC") -> pd.DataFrame:
    """From raw text rows, through staging (Great Expectations) and every mart."""
    return marts(raw, start, end, tz)["portfolio_daily"].set_index("as_of_date")


def value(p: pd.DataFrame, day: str, metric: str):
    return p.loc[d(day), metric]


def isnull(x) -> bool:
    return x is None or pd.isna(x)


def won(closed: str, created: str = "2025-06-01T00:00:00Z", **kw) -> dict:
    return {"stage": "won", "closed_at": closed, "created_at": created, **kw}


def lost(closed: str, created: str = "2025-06-01T00:00:00Z", **kw) -> dict:
    return {"stage": "lost", "closed_at": closed, "created_at": created, **kw}


# ---------------------------------------------------------------------------------------------
# shape


def test_one_row_per_date_with_the_catalogue_columns():
    p = portfolio_daily(build_facts(valid_dataset(), "UTC"), as_of("2026-02-20", "2026-02-26"))
    assert list(p.columns) == ["as_of_date"] + METRICS
    # as-of dates start..end inclusive, one row each: 02-20 .. 02-26 = 7 rows
    assert list(p["as_of_date"]) == [d("2026-02-20") + dt.timedelta(days=i) for i in range(7)]


def test_empty_sources_sums_and_counts_are_zero_ratios_and_means_null():
    # no rows at all: "a sum over no rows is 0; a mean or median over no rows is null";
    # every ratio has a zero (or null) denominator -> null
    p = portfolio(valid_dataset(), "2026-02-24")
    row = p.loc[d("2026-02-24")]
    for m in COUNTS:
        assert row[m] == 0, m
    for m in SUMS:
        assert row[m] == 0, m
    for m in NULLABLE:
        assert isnull(row[m]), m


def test_counts_are_integers():
    p = portfolio(valid_dataset(leads=[{"created_at": ts("2026-02-01")}]), "2026-02-24")
    for m in COUNTS:
        assert pd.api.types.is_integer_dtype(p[m]), (m, p[m].dtype)


# ---------------------------------------------------------------------------------------------
# leads


def test_leads_created_30d_window_boundaries_and_backfill():
    valid = valid_dataset(leads=[
        {"created_at": ts("2026-01-25", "23:59:59")},  # L1
        {"created_at": ts("2026-01-26", "00:00:00")},  # L2
        {"created_at": ts("2026-02-24", "23:59:59")},  # L3
        {"created_at": ts("2026-02-25", "00:00:00")},  # L4
    ])
    p = portfolio(valid, "2026-02-24", "2026-02-25")
    # W30 ending 02-24 = 01-26..02-24: L2, L3 in; L1 (01-25) one day out; L4 (02-25) after D -> 2
    assert value(p, "2026-02-24", "leads_created_30d") == 2
    # W30 ending 02-25 = 01-27..02-25: L3, L4 in; L2 (01-26) now one day out -> 2
    assert value(p, "2026-02-25", "leads_created_30d") == 2
    # the fact dated 02-25 must not count for 02-24 even though both are in one run
    p1 = portfolio(valid, "2026-02-24")
    assert value(p1, "2026-02-24", "leads_created_30d") == 2


def test_leads_created_30d_event_date_in_business_time_zone():
    valid = valid_dataset(leads=[
        {"created_at": "2026-03-01T23:30:00Z"},        # Shanghai: 2026-03-02 07:30
        {"created_at": "2026-03-01T15:59:00Z"},        # Shanghai: 2026-03-01 23:59
        {"created_at": "2026-03-02T00:30:00+08:00"},   # = 2026-03-01T16:30Z; Shanghai 03-02
        {"created_at": "2026-03-01T20:00:00"},         # no offset = UTC; Shanghai 03-02 04:00
    ])
    sh = portfolio(valid, "2026-03-01", "2026-03-02", tz="Asia/Shanghai")
    # in Shanghai only the 15:59Z lead is dated 03-01 -> 1 at D=03-01; all four by 03-02 -> 4
    assert value(sh, "2026-03-01", "leads_created_30d") == 1
    assert value(sh, "2026-03-02", "leads_created_30d") == 4
    utc = portfolio(valid, "2026-03-01", tz="UTC")
    # in UTC all four are dated 03-01 (the +08:00 one is 03-01T16:30Z)
    assert value(utc, "2026-03-01", "leads_created_30d") == 4


def test_leads_qualified_30d_counts_by_qualified_date_not_created_date():
    old = "2025-10-01T00:00:00Z"  # created long before the window
    valid = valid_dataset(leads=[
        {"created_at": old, "qualified_at": ts("2026-01-25")},  # Q1: one day before W30
        {"created_at": old, "qualified_at": ts("2026-01-26")},  # Q2: first day of W30
        {"created_at": old, "qualified_at": ts("2026-02-24")},  # Q3: D
        {"created_at": old, "qualified_at": ts("2026-02-25")},  # Q4: after D
        {"created_at": ts("2026-02-10")},                       # not qualified
    ])
    p = portfolio(valid, "2026-02-24", "2026-02-25")
    # W30 ending 02-24 = 01-26..02-24: Q2, Q3 -> 2
    assert value(p, "2026-02-24", "leads_qualified_30d") == 2
    # W30 ending 02-25 = 01-27..02-25: Q3, Q4 -> 2 ; leads_created_30d there: only the 02-10 lead -> 1
    assert value(p, "2026-02-25", "leads_qualified_30d") == 2
    assert value(p, "2026-02-25", "leads_created_30d") == 1


def test_lead_qualification_rate_90d_cohort_created_in_w90_qualified_by_d():
    valid = valid_dataset(leads=[
        {"created_at": ts("2026-01-31"), "qualified_at": ts("2026-02-05")},  # C1 in cohort, qualified
        {"created_at": ts("2026-03-01"), "qualified_at": ts("2026-05-01")},  # C2 in cohort, qualified after D
        {"created_at": ts("2026-03-10")},                                    # C3 in cohort, never
        {"created_at": ts("2026-04-30"), "qualified_at": ts("2026-04-30", "18:00:00")},  # C4 qualified on D
        {"created_at": ts("2026-01-30"), "qualified_at": ts("2026-02-01")},  # out: created one day before W90
        {"created_at": ts("2026-05-01"), "qualified_at": ts("2026-05-01")},  # out: created after D
    ])
    p = portfolio(valid, "2026-04-30", "2026-05-01")
    # W90 ending 04-30 = 01-31..04-30: cohort C1, C2, C3, C4 = 4; qualified by 04-30: C1, C4 = 2 -> 2/4
    assert value(p, "2026-04-30", "lead_qualification_rate_90d") == pytest.approx(0.5)
    # W90 ending 05-01 = 02-01..05-01: cohort C2, C3, C4, the 05-01 lead = 4 (C1 created 01-31 is out);
    # qualified by 05-01: C2, C4, the 05-01 lead = 3 -> 3/4
    assert value(p, "2026-05-01", "lead_qualification_rate_90d") == pytest.approx(0.75)


def test_lead_rates_zero_numerator_is_zero_and_empty_cohort_is_null():
    valid = valid_dataset(leads=[{"created_at": ts("2026-03-01")}, {"created_at": ts("2025-12-01"),
                                                             "qualified_at": ts("2026-03-02"),
                                                             "converted_at": ts("2026-03-03")}])
    p = portfolio(valid, "2026-02-28", "2026-04-30")
    # D=02-28: W90 = 2025-12-01..02-28: cohort = the 12-01 lead only (the 03-01 lead is after D);
    # qualified/converted by 02-28: none (03-02 / 03-03 are after D) -> 0/1 = 0.0, not null
    assert value(p, "2026-02-28", "lead_qualification_rate_90d") == 0
    assert value(p, "2026-02-28", "lead_conversion_rate_90d") == 0
    assert not isnull(value(p, "2026-02-28", "lead_qualification_rate_90d"))
    # D=04-30: W90 = 01-31..04-30: cohort = the 03-01 lead, not qualified -> 0/1 = 0.0
    assert value(p, "2026-04-30", "lead_qualification_rate_90d") == 0
    # no lead created in W90 ending 2026-11-30 (= 2026-09-02..11-30) -> 0 denominator -> null
    p2 = portfolio(valid, "2026-11-30")
    assert isnull(value(p2, "2026-11-30", "lead_qualification_rate_90d"))
    assert isnull(value(p2, "2026-11-30", "lead_conversion_rate_90d"))


def test_lead_conversion_rate_90d():
    valid = valid_dataset(leads=[
        {"created_at": ts("2026-02-01"), "qualified_at": ts("2026-02-02"), "converted_at": ts("2026-02-10")},  # V1
        {"created_at": ts("2026-02-01"), "qualified_at": ts("2026-02-02"), "converted_at": ts("2026-05-02")},  # V2
        {"created_at": ts("2026-04-01"), "qualified_at": ts("2026-04-02")},                                    # V3
        {"created_at": ts("2026-01-30"), "converted_at": ts("2026-02-01")},  # out of the W90 cohort
    ])
    p = portfolio(valid, "2026-04-30")
    # W90 ending 04-30 = 01-31..04-30: cohort V1, V2, V3 = 3; converted by 04-30: V1 only -> 1/3
    assert value(p, "2026-04-30", "lead_conversion_rate_90d") == pytest.approx(1 / 3)
    # qualified by 04-30: V1, V2, V3 -> 3/3
    assert value(p, "2026-04-30", "lead_qualification_rate_90d") == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# deals


def test_deals_created_30d_any_stage_boundaries():
    valid = valid_dataset(deals=[
        {"created_at": ts("2026-01-25")},                                    # out (one day before)
        {"created_at": ts("2026-01-26")},                                    # in, open
        won(ts("2026-02-01"), created=ts("2026-01-27")),                     # in, won
        lost(ts("2026-02-24"), created=ts("2026-02-24")),                    # in, lost, on D
        {"created_at": ts("2026-02-25")},                                    # after D
    ])
    p = portfolio(valid, "2026-02-24")
    # W30 ending 02-24 = 01-26..02-24: created 01-26, 01-27, 02-24 -> 3 (stage does not matter)
    assert value(p, "2026-02-24", "deals_created_30d") == 3


def test_deals_created_30d_business_time_zone():
    valid = valid_dataset(deals=[{"created_at": "2026-01-25T16:00:00Z"},   # Shanghai 01-26 00:00 -> in
                         {"created_at": "2026-02-24T16:00:00Z"}])  # Shanghai 02-25 00:00 -> after D
    p = portfolio(valid, "2026-02-24", tz="Asia/Shanghai")
    # W30 ending 02-24 = 01-26..02-24 (Shanghai dates): first in, second dated 02-25 -> 1
    assert value(p, "2026-02-24", "deals_created_30d") == 1


def test_open_pipeline_count_and_amount_over_several_dates():
    valid = valid_dataset(deals=[
        {"deal_id": "D1", "stage": "discovery", "created_at": ts("2026-01-10"), "amount": "100"},
        won(ts("2026-01-20"), created=ts("2026-01-10"), deal_id="D2", amount="200"),
        won(ts("2026-02-05"), created=ts("2026-01-10"), deal_id="D3", amount="400"),
        lost(ts("2026-01-15"), created=ts("2026-01-10"), deal_id="D4", amount="800"),
        {"deal_id": "D5", "stage": "proposal", "created_at": ts("2026-02-02"), "amount": "1600"},
        {"deal_id": "D6", "stage": "negotiation", "created_at": "2026-02-01T23:00:00Z", "amount": "3200"},
    ])
    p = portfolio(valid, "2026-02-01", "2026-02-05")
    # D=02-01: open = exists (created <= D) and not closed by D
    #   D1 open; D2 won 01-20 closed; D3 won 02-05 > D -> still open; D4 lost 01-15 closed;
    #   D5 created 02-02 does not exist yet; D6 created 02-01T23:00Z exists -> D1, D3, D6
    assert value(p, "2026-02-01", "open_pipeline_count") == 3
    assert value(p, "2026-02-01", "open_pipeline_amount") == pytest.approx(100 + 400 + 3200)  # 3700
    # D=02-04: D1, D3, D5, D6 -> 4; 100+400+1600+3200 = 5300
    assert value(p, "2026-02-04", "open_pipeline_count") == 4
    assert value(p, "2026-02-04", "open_pipeline_amount") == pytest.approx(5300)
    # D=02-05: D3 is won on D (date(closed_at) <= D) -> closed: D1, D5, D6 -> 3; 100+1600+3200 = 4900
    assert value(p, "2026-02-05", "open_pipeline_count") == 3
    assert value(p, "2026-02-05", "open_pipeline_amount") == pytest.approx(4900)


def test_open_pipeline_business_time_zone_west_of_utc():
    valid = valid_dataset(deals=[
        {"stage": "discovery", "created_at": "2026-02-01T03:00:00Z", "amount": "100"},  # NY: 01-31 22:00
        won("2026-02-01T04:00:00Z", created="2026-01-10T12:00:00Z", amount="10"),       # NY: closed 01-31
    ])
    ny = portfolio(valid, "2026-01-31", tz="America/New_York")
    # New York dates: first deal exists on 01-31 and is open; the won deal is closed on 01-31 -> 1, 100
    assert value(ny, "2026-01-31", "open_pipeline_count") == 1
    assert value(ny, "2026-01-31", "open_pipeline_amount") == pytest.approx(100)
    utc = portfolio(valid, "2026-01-31", tz="UTC")
    # UTC dates: the first deal is created 02-01 (not yet), the won deal closes 02-01 (> D) -> open: 1, 10
    assert value(utc, "2026-01-31", "open_pipeline_count") == 1
    assert value(utc, "2026-01-31", "open_pipeline_amount") == pytest.approx(10)


def test_open_pipeline_empty_is_zero():
    valid = valid_dataset(deals=[won(ts("2026-01-20"), amount="500")])
    p = portfolio(valid, "2026-02-01")
    # the only deal is won by D -> no open deals: count 0, Σ over no rows = 0
    assert value(p, "2026-02-01", "open_pipeline_count") == 0
    assert value(p, "2026-02-01", "open_pipeline_amount") == 0


def test_deals_won_and_bookings_30d_boundaries_and_lost_excluded():
    valid = valid_dataset(deals=[
        won(ts("2026-01-25"), amount="1000"),   # one day before W30
        won(ts("2026-01-26"), amount="200"),    # first day
        won(ts("2026-02-24"), amount="300"),    # D
        lost(ts("2026-02-10"), amount="5000"),  # lost: never a booking
        won(ts("2026-02-25"), amount="7000"),   # after D
        {"stage": "negotiation", "amount": "9000"},
    ])
    p = portfolio(valid, "2026-02-24", "2026-02-25")
    # W30 ending 02-24 = 01-26..02-24: won 01-26 (200), 02-24 (300) -> 2, 500
    assert value(p, "2026-02-24", "deals_won_30d") == 2
    assert value(p, "2026-02-24", "bookings_30d") == pytest.approx(500)
    # W30 ending 02-25 = 01-27..02-25: won 02-24 (300), 02-25 (7000) -> 2, 7300
    assert value(p, "2026-02-25", "deals_won_30d") == 2
    assert value(p, "2026-02-25", "bookings_30d") == pytest.approx(7300)


def test_bookings_30d_business_time_zone_and_empty():
    valid = valid_dataset(deals=[won("2026-01-25T16:30:00Z", amount="200"),   # Shanghai 01-26 00:30 -> in
                         won("2026-02-24T16:30:00Z", amount="300")])  # Shanghai 02-25 00:30 -> after D
    sh = portfolio(valid, "2026-02-24", tz="Asia/Shanghai")
    # W30 ending 02-24 (Shanghai dates) = 01-26..02-24: only the first -> 1, 200
    assert value(sh, "2026-02-24", "deals_won_30d") == 1
    assert value(sh, "2026-02-24", "bookings_30d") == pytest.approx(200)
    utc = portfolio(valid, "2026-02-24")
    # UTC: first is 01-25 (out), second 02-24 (in) -> 1, 300
    assert value(utc, "2026-02-24", "bookings_30d") == pytest.approx(300)
    # W30 ending 2026-06-30: no deal won in it -> count 0, bookings Σ over no rows = 0
    later = portfolio(valid, "2026-06-30")
    assert value(later, "2026-06-30", "deals_won_30d") == 0
    assert value(later, "2026-06-30", "bookings_30d") == 0


def test_win_rate_90d_boundaries_and_several_dates():
    valid = valid_dataset(deals=[
        won(ts("2026-01-31")),   # W1
        won(ts("2026-04-30")),   # W2
        lost(ts("2026-02-15")),  # X1
        lost(ts("2026-01-30")),  # out for both dates
        won(ts("2026-01-30")),   # out for both dates
        lost(ts("2026-05-01")),  # X2: after 04-30, in W90 ending 05-01
        {"stage": "proposal"},   # open: neither won nor closed
    ])
    p = portfolio(valid, "2026-04-30", "2026-05-01")
    # W90 ending 04-30 = 01-31..04-30: won W1, W2 = 2; closed W1, W2, X1 = 3 -> 2/3
    assert value(p, "2026-04-30", "win_rate_90d") == pytest.approx(2 / 3)
    # W90 ending 05-01 = 02-01..05-01: won W2 = 1; closed W2, X1, X2 = 3 -> 1/3
    assert value(p, "2026-05-01", "win_rate_90d") == pytest.approx(1 / 3)


def test_win_rate_90d_all_lost_is_zero_none_closed_is_null():
    valid = valid_dataset(deals=[lost(ts("2026-03-01")), lost(ts("2026-03-02")), {"stage": "discovery"}])
    p = portfolio(valid, "2026-03-31")
    # W90 ending 03-31 contains 2 lost, 0 won -> 0/2 = 0.0 (not null)
    assert value(p, "2026-03-31", "win_rate_90d") == 0
    assert not isnull(value(p, "2026-03-31", "win_rate_90d"))
    # D=2026-02-28: nothing closed by then (the open deal is not closed) -> 0/0 -> null
    p2 = portfolio(valid, "2026-02-28")
    assert isnull(value(p2, "2026-02-28", "win_rate_90d"))


def test_sales_cycle_mean_and_median_even_count():
    valid = valid_dataset(deals=[
        won(ts("2026-01-31"), created=ts("2026-01-01")),   # S1: 30 days, closed on W90 start
        won(ts("2026-02-11"), created=ts("2026-02-01")),   # S2: 10
        won(ts("2026-03-21"), created=ts("2026-03-01")),   # S3: 20
        won(ts("2026-04-30"), created=ts("2026-01-20")),   # S4: 01-20 -> 04-30 = 100
        won(ts("2026-01-30"), created=ts("2026-01-29")),   # S5: 1, closed one day before W90
        lost(ts("2026-04-01"), created=ts("2026-03-31")),  # S6: lost, not a sales cycle
        won(ts("2026-05-01"), created=ts("2026-04-26")),   # S7: 5, after 04-30
    ])
    p = portfolio(valid, "2026-04-30", "2026-05-01")
    # D=04-30, W90 = 01-31..04-30: S1..S4 = 30, 10, 20, 100
    #   mean = 160/4 = 40; median of 10, 20, 30, 100 = (20+30)/2 = 25
    assert value(p, "2026-04-30", "avg_sales_cycle_days_90d") == pytest.approx(40)
    assert value(p, "2026-04-30", "median_sales_cycle_days_90d") == pytest.approx(25)
    # D=05-01, W90 = 02-01..05-01: S2, S3, S4, S7 = 10, 20, 100, 5 (S1 closed 01-31 now out)
    #   mean = 135/4 = 33.75; median of 5, 10, 20, 100 = (10+20)/2 = 15
    assert value(p, "2026-05-01", "avg_sales_cycle_days_90d") == pytest.approx(33.75)
    assert value(p, "2026-05-01", "median_sales_cycle_days_90d") == pytest.approx(15)


def test_sales_cycle_odd_count_and_no_won_deal_is_null():
    valid = valid_dataset(deals=[
        won(ts("2026-03-02"), created=ts("2026-03-01")),  # 1
        won(ts("2026-03-06"), created=ts("2026-03-01")),  # 5
        won(ts("2026-03-31"), created=ts("2026-03-01")),  # 30
        lost(ts("2026-03-10"), created=ts("2026-03-01")),
    ])
    p = portfolio(valid, "2026-03-31")
    # 1, 5, 30: mean 36/3 = 12; median 5
    assert value(p, "2026-03-31", "avg_sales_cycle_days_90d") == pytest.approx(12)
    assert value(p, "2026-03-31", "median_sales_cycle_days_90d") == pytest.approx(5)
    # D=03-01: nothing won by then (the first win is 03-02) -> mean/median over no rows -> null
    p2 = portfolio(valid, "2026-03-01")
    assert isnull(value(p2, "2026-03-01", "avg_sales_cycle_days_90d"))
    assert isnull(value(p2, "2026-03-01", "median_sales_cycle_days_90d"))


def test_sales_cycle_uses_event_dates_in_business_time_zone():
    valid = valid_dataset(deals=[won("2026-03-02T01:00:00Z", created="2026-03-01T23:00:00Z")])
    # UTC: created 03-01, closed 03-02 -> 1 day (though only 2 hours apart)
    utc = portfolio(valid, "2026-03-10")
    assert value(utc, "2026-03-10", "avg_sales_cycle_days_90d") == pytest.approx(1)
    # Shanghai: created 03-02 07:00, closed 03-02 09:00 -> 0 days
    sh = portfolio(valid, "2026-03-10", tz="Asia/Shanghai")
    assert value(sh, "2026-03-10", "avg_sales_cycle_days_90d") == pytest.approx(0)
    assert value(sh, "2026-03-10", "median_sales_cycle_days_90d") == pytest.approx(0)


# ---------------------------------------------------------------------------------------------
# marketing, customers


def test_marketing_spend_30d_boundaries_dates_not_converted():
    valid = valid_dataset(marketing_spend=[
        {"spend_date": "2026-01-25", "amount": "1000"},  # one day out
        {"spend_date": "2026-01-26", "amount": "10"},
        {"spend_date": "2026-02-24", "amount": "20.5"},
        {"spend_date": "2026-02-25", "amount": "40"},    # after D
    ])
    # a *_date is taken as it is, whatever the business time zone
    p = portfolio(valid, "2026-02-24", "2026-02-25", tz="Asia/Shanghai")
    # W30 ending 02-24 = 01-26..02-24: 10 + 20.5 = 30.5
    assert value(p, "2026-02-24", "marketing_spend_30d") == pytest.approx(30.5)
    # W30 ending 02-25 = 01-27..02-25: 20.5 + 40 = 60.5
    assert value(p, "2026-02-25", "marketing_spend_30d") == pytest.approx(60.5)
    # W30 ending 2026-01-20 = 2025-12-22..2026-01-20: nothing -> Σ over no rows = 0
    assert value(portfolio(valid, "2026-01-20"), "2026-01-20", "marketing_spend_30d") == 0


def _customers_valid():
    return valid_dataset(
        deals=[
            won(ts("2025-12-01"), account_id="A"), won(ts("2026-02-10"), account_id="A"),
            won(ts("2026-02-01"), account_id="B"),
            lost(ts("2026-02-01"), account_id="C"),
            won(ts("2026-01-25"), account_id="D"), won(ts("2026-02-20"), account_id="D"),
            won(ts("2026-02-25"), account_id="E"),
            won(ts("2026-02-25"), account_id="E2"),
            won(ts("2026-01-26"), account_id="F"), won(ts("2026-02-24"), account_id="F"),
            lost(ts("2026-01-05"), account_id="G"), won(ts("2026-02-05"), account_id="G", deal_type="renewal"),
            {"account_id": "H", "stage": "negotiation"},
        ],
        marketing_spend=[
            {"spend_date": "2026-01-25", "amount": "1000"},  # out of both windows
            {"spend_date": "2026-02-01", "amount": "300"},
            {"spend_date": "2026-02-24", "amount": "300"},
        ],
    )


def test_new_customers_30d_first_won_deal_in_window():
    p = portfolio(_customers_valid(), "2026-02-24", "2026-02-25")
    # first won deal per account: A 2025-12-01, B 02-01, D 01-25, E 02-25, E2 02-25, F 01-26, G 02-05
    # (C only lost, H only open: not customers)
    # W30 ending 02-24 = 01-26..02-24: B, F, G -> 3 (A and D had an earlier won deal; E, E2 after D)
    assert value(p, "2026-02-24", "new_customers_30d") == 3
    # W30 ending 02-25 = 01-27..02-25: B, E, E2, G -> 4 (F's first win 01-26 is now one day out)
    assert value(p, "2026-02-25", "new_customers_30d") == 4


def test_cac_30d():
    p = portfolio(_customers_valid(), "2026-02-24", "2026-02-25")
    # spend in W30 ending 02-24 (01-26..02-24): 300 + 300 = 600; new customers 3 -> 200
    assert value(p, "2026-02-24", "marketing_spend_30d") == pytest.approx(600)
    assert value(p, "2026-02-24", "cac_30d") == pytest.approx(200)
    # W30 ending 02-25: spend 600; new customers 4 -> 150
    assert value(p, "2026-02-25", "cac_30d") == pytest.approx(150)


def test_cac_30d_null_without_new_customers_zero_without_spend():
    valid = valid_dataset(marketing_spend=[{"spend_date": "2026-02-10", "amount": "500"}],
                  deals=[won(ts("2026-03-20"), account_id="A")])
    p = portfolio(valid, "2026-02-24")
    # spend 500, new customers 0 -> 500/0 -> null
    assert value(p, "2026-02-24", "marketing_spend_30d") == pytest.approx(500)
    assert value(p, "2026-02-24", "new_customers_30d") == 0
    assert isnull(value(p, "2026-02-24", "cac_30d"))
    # D=03-31: W30 = 03-02..03-31: spend 0 (Σ over no rows), new customers 1 (A) -> 0/1 = 0.0
    p2 = portfolio(valid, "2026-03-31")
    assert value(p2, "2026-03-31", "cac_30d") == 0
    assert not isnull(value(p2, "2026-03-31", "cac_30d"))


def test_new_customers_business_time_zone():
    valid = valid_dataset(deals=[won("2026-02-24T16:30:00Z", account_id="A")])  # Shanghai: 02-25 00:30
    assert value(portfolio(valid, "2026-02-24"), "2026-02-24", "new_customers_30d") == 1
    sh = portfolio(valid, "2026-02-24", "2026-02-25", tz="Asia/Shanghai")
    # in Shanghai the deal is won on 02-25: not a customer at 02-24
    assert value(sh, "2026-02-24", "new_customers_30d") == 0
    assert value(sh, "2026-02-24", "customers_total") == 0
    assert value(sh, "2026-02-25", "new_customers_30d") == 1
    assert value(sh, "2026-02-25", "customers_total") == 1


def test_customers_total_and_key_accounts_total():
    valid = valid_dataset(deals=[
        won(ts("2026-01-10"), account_id="A1", is_key_account=True),
        won(ts("2026-01-20"), account_id="A1", is_key_account=False),
        won(ts("2026-01-15"), account_id="A2"),                                    # flag missing = false
        lost(ts("2026-01-10"), account_id="A3", is_key_account=True),           # lost: not a customer
        won(ts("2026-01-05"), account_id="A4", is_key_account=False),
        {"account_id": "A4", "stage": "discovery", "is_key_account": True},      # open deal's flag
        won(ts("2026-02-10"), account_id="A5", is_key_account=True),
        won(ts("2026-01-12"), account_id="A6", is_key_account=False),
        won(ts("2026-02-05"), account_id="A6", deal_type="expansion", is_key_account=True),
    ])
    p = portfolio(valid, "2026-02-01", "2026-02-10")
    # D=02-01: accounts with a deal won by D: A1, A2, A4, A6 -> 4 (A5 wins 02-10, A3 only lost)
    #   key: a won-by-D deal with is_key_account true: A1 (01-10) -> 1
    #   (A3's flag is on a lost deal, A4's on an open deal, A6's on a deal won after D)
    assert value(p, "2026-02-01", "customers_total") == 4
    assert value(p, "2026-02-01", "key_accounts_total") == 1
    # D=02-10: A1, A2, A4, A5, A6 -> 5; key: A1, A5 (won 02-10, flagged), A6 (won 02-05, flagged) -> 3
    assert value(p, "2026-02-10", "customers_total") == 5
    assert value(p, "2026-02-10", "key_accounts_total") == 3
    # D=02-04: as at 02-01 -> 4 and 1
    assert value(p, "2026-02-04", "customers_total") == 4
    assert value(p, "2026-02-04", "key_accounts_total") == 1


def test_renewal_rate_90d_only_renewal_deals():
    valid = valid_dataset(deals=[
        won(ts("2026-02-01"), deal_type="renewal"),
        won(ts("2026-04-30"), deal_type="renewal"),
        lost(ts("2026-03-01"), deal_type="renewal"),
        lost(ts("2026-01-30"), deal_type="renewal"),   # one day before W90
        {"deal_type": "renewal", "stage": "negotiation"},
        won(ts("2026-03-01"), deal_type="new"),
        lost(ts("2026-03-02"), deal_type="new"),
        lost(ts("2026-03-03"), deal_type="new"),
        lost(ts("2026-03-04"), deal_type="expansion"),
    ])
    p = portfolio(valid, "2026-04-30")
    # W90 ending 04-30 = 01-31..04-30, renewal deals only: won 02-01, 04-30 = 2; closed +lost 03-01 = 3 -> 2/3
    assert value(p, "2026-04-30", "renewal_rate_90d") == pytest.approx(2 / 3)
    # (all deal types: won 02-01, 04-30, 03-01 = 3; closed = those 3 + lost 03-01, 03-02, 03-03, 03-04
    #  = 7 -> 3/7: the rates differ)
    assert value(p, "2026-04-30", "win_rate_90d") == pytest.approx(3 / 7)


def test_renewal_rate_90d_null_without_closed_renewals():
    valid = valid_dataset(deals=[won(ts("2026-03-01"), deal_type="new"), lost(ts("2026-03-02"), deal_type="expansion"),
                         {"deal_type": "renewal", "stage": "proposal"}])
    p = portfolio(valid, "2026-03-31")
    # no renewal deal closed in W90 -> 0/0 -> null (while win_rate_90d = 1/2)
    assert isnull(value(p, "2026-03-31", "renewal_rate_90d"))
    assert value(p, "2026-03-31", "win_rate_90d") == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------------
# projects


def test_active_projects_states():
    valid = valid_dataset(projects=[
        {"project_id": "P1", "status": "active", "start_date": "2026-01-01"},
        {"project_id": "P2", "status": "on_hold", "start_date": "2026-01-01"},
        {"project_id": "P3", "status": "planned", "start_date": "2026-01-01"},   # never has a state
        {"project_id": "P4", "status": "active", "start_date": "2026-02-15"},
        {"project_id": "P5", "status": "delivered", "start_date": "2026-01-01", "actual_end_date": "2026-02-01"},
        {"project_id": "P6", "status": "cancelled", "start_date": "2026-01-01", "actual_end_date": "2026-02-01"},
        {"project_id": "P7", "status": "delivered", "start_date": "2026-01-01", "actual_end_date": "2026-01-20"},
        {"project_id": "P8", "status": "active", "start_date": "2026-02-01"},
    ])
    p = portfolio(valid, "2026-01-31", "2026-02-15")
    # D=01-31: P1, P2 (on_hold counts), P5 and P6 (actual_end 02-01 > D) -> 4
    #   P3 planned never; P4, P8 not started; P7 delivered 01-20
    assert value(p, "2026-01-31", "active_projects") == 4
    # D=02-01: P1, P2, P8 (start_date = D) -> 3; P5 delivered on D and P6 cancelled on D are not active
    assert value(p, "2026-02-01", "active_projects") == 3
    # D=02-14: same as 02-01 -> 3 ; D=02-15: + P4 (start = D) -> 4
    assert value(p, "2026-02-14", "active_projects") == 3
    assert value(p, "2026-02-15", "active_projects") == 4


def test_projects_delivered_90d_and_on_time_delivery_rate():
    valid = valid_dataset(projects=[
        {"project_id": "Q1", "status": "delivered", "actual_end_date": "2026-01-31", "planned_end_date": "2026-01-31"},
        {"project_id": "Q2", "status": "delivered", "actual_end_date": "2026-03-10", "planned_end_date": "2026-03-15"},
        {"project_id": "Q3", "status": "delivered", "actual_end_date": "2026-04-30", "planned_end_date": "2026-04-29"},
        {"project_id": "Q4", "status": "delivered", "actual_end_date": "2026-01-30", "planned_end_date": "2026-02-28"},
        {"project_id": "Q5", "status": "cancelled", "actual_end_date": "2026-03-01", "planned_end_date": "2026-03-31"},
        {"project_id": "Q6", "status": "delivered", "actual_end_date": "2026-05-01", "planned_end_date": "2026-04-15"},
        {"project_id": "Q7", "status": "active"},
        {"project_id": "Q8", "status": "planned", "planned_end_date": "2026-03-01"},
    ])
    p = portfolio(valid, "2026-04-30", "2026-05-01")
    # D=04-30, W90 = 01-31..04-30: delivered Q1 (01-31), Q2, Q3 (04-30) -> 3
    #   (Q4 01-30 one day out; Q5 cancelled; Q6 delivered after D)
    #   on time (actual <= planned): Q1 (equal), Q2 -> 2/3 ; Q3 is a day late
    assert value(p, "2026-04-30", "projects_delivered_90d") == 3
    assert value(p, "2026-04-30", "on_time_delivery_rate_90d") == pytest.approx(2 / 3)
    # D=05-01, W90 = 02-01..05-01: Q2, Q3, Q6 -> 3; on time: Q2 -> 1/3
    assert value(p, "2026-05-01", "projects_delivered_90d") == 3
    assert value(p, "2026-05-01", "on_time_delivery_rate_90d") == pytest.approx(1 / 3)
    # D=2026-01-29: none delivered by then -> 0 and null
    p2 = portfolio(valid, "2026-01-29")
    assert value(p2, "2026-01-29", "projects_delivered_90d") == 0
    assert isnull(value(p2, "2026-01-29", "on_time_delivery_rate_90d"))


def test_milestones_overdue_only_for_active_projects():
    valid = valid_dataset(
        projects=[
            {"project_id": "P1", "status": "active", "start_date": "2026-01-01"},
            {"project_id": "P2", "status": "delivered", "start_date": "2026-01-01", "actual_end_date": "2026-01-25"},
            {"project_id": "P3", "status": "planned", "start_date": ""},
            {"project_id": "P4", "status": "on_hold", "start_date": "2026-01-01"},
            {"project_id": "P5", "status": "active", "start_date": "2026-02-10"},
        ],
        milestones=[
            {"milestone_id": "M1", "project_id": "P1", "due_date": "2026-01-31"},
            {"milestone_id": "M2", "project_id": "P1", "due_date": "2026-02-01"},
            {"milestone_id": "M3", "project_id": "P1", "due_date": "2026-01-15", "completed_date": "2026-01-20"},
            {"milestone_id": "M4", "project_id": "P1", "due_date": "2026-01-15", "completed_date": "2026-02-05"},
            {"milestone_id": "M5", "project_id": "P1", "due_date": "2026-01-10", "completed_date": "2026-02-01"},
            {"milestone_id": "M6", "project_id": "P2", "due_date": "2026-01-10"},
            {"milestone_id": "M7", "project_id": "P3", "due_date": "2026-01-10"},
            {"milestone_id": "M8", "project_id": "P4", "due_date": "2026-01-20"},
            {"milestone_id": "M9", "project_id": "P5", "due_date": "2026-01-20"},
        ],
    )
    p = portfolio(valid, "2026-01-20", "2026-02-10")
    # overdue at D: due_date < D and not completed by D (completed_date <= D); project active at D
    # D=01-20: active P1, P2 (ends 01-25 > D), P4. M4 (due 01-15, done 02-05 > D), M5 (due 01-10,
    #   done 02-01 > D), M6 (P2 still active) -> 3. M3 done on D; M8 due = D (not < D); M1, M2 not due
    assert value(p, "2026-01-20", "milestones_overdue") == 3
    # D=02-01: active P1, P4 (P2 delivered, P3 planned, P5 not started).
    #   M1 (due 01-31), M4 (done 02-05 > D), M8 -> 3. M2 due = D; M5 completed on D
    assert value(p, "2026-02-01", "milestones_overdue") == 3
    # D=02-02: + M2 (due 02-01 < D) -> 4
    assert value(p, "2026-02-02", "milestones_overdue") == 4
    # D=02-05: M4 completed on D -> M1, M2, M8 -> 3
    assert value(p, "2026-02-05", "milestones_overdue") == 3
    # D=02-10: P5 starts on D -> active: M1, M2, M8, M9 -> 4
    assert value(p, "2026-02-10", "milestones_overdue") == 4


# ---------------------------------------------------------------------------------------------
# effort and costs


def test_hours_and_labour_cost_30d_with_rate_card_history():
    # end to end (raw text -> staging -> marts): staging gives each entry the rate valid on its work_date
    raw = dataset(
        projects=[{"project_id": "P1"}],
        rate_card=[
            {"role": "engineer", "valid_from": "2020-01-01", "hourly_cost": "100"},
            {"role": "engineer", "valid_from": "2026-02-01", "hourly_cost": "150"},
            {"role": "engineer", "valid_from": "2026-03-01", "hourly_cost": "999"},
            {"role": "consultant", "valid_from": "2020-01-01", "hourly_cost": "200"},
        ],
        time_entries=[
            {"role": "engineer", "work_date": "2026-01-25", "hours": "8"},      # E1 one day out
            {"role": "engineer", "work_date": "2026-01-26", "hours": "2"},      # E2 @100 = 200
            {"role": "engineer", "work_date": "2026-01-31", "hours": "4"},      # E3 @100 = 400
            {"role": "engineer", "work_date": "2026-02-01", "hours": "3"},      # E4 @150 (valid_from = work_date) = 450
            {"role": "consultant", "work_date": "2026-02-24", "hours": "1.5"},  # E5 @200 = 300
            {"role": "engineer", "work_date": "2026-02-25", "hours": "10"},     # E6 @150 = 1500, after D
        ],
    )
    # *_date values are not converted to the business time zone
    p = staged_portfolio(raw, "2026-02-24", "2026-03-01", tz="Asia/Shanghai")
    # W30 ending 02-24 = 01-26..02-24: E2..E5: hours 2+4+3+1.5 = 10.5; cost 200+400+450+300 = 1350
    assert value(p, "2026-02-24", "hours_30d") == pytest.approx(10.5)
    assert value(p, "2026-02-24", "labour_cost_30d") == pytest.approx(1350)
    # W30 ending 03-01 = 01-31..03-01: E3, E4, E5, E6: 4+3+1.5+10 = 18.5 hours;
    #   cost 400+450+300+1500 = 2650 (the rate follows work_date, so the 03-01 rate of 999 applies to none)
    assert value(p, "2026-03-01", "hours_30d") == pytest.approx(18.5)
    assert value(p, "2026-03-01", "labour_cost_30d") == pytest.approx(2650)
    # W30 ending 2026-01-20: no entry -> Σ over no rows = 0
    p2 = staged_portfolio(raw, "2026-01-20")
    assert value(p2, "2026-01-20", "hours_30d") == 0
    assert value(p2, "2026-01-20", "labour_cost_30d") == 0


def test_expenses_30d_boundaries():
    valid = valid_dataset(projects=[{"project_id": "P1"}], expenses=[
        {"expense_date": "2026-01-25", "amount": "1000"},  # one day out
        {"expense_date": "2026-01-26", "amount": "25"},
        {"expense_date": "2026-02-24", "amount": "75.25"},
        {"expense_date": "2026-02-25", "amount": "400"},   # after D
    ])
    p = portfolio(valid, "2026-02-24", "2026-02-25")
    # W30 ending 02-24 = 01-26..02-24: 25 + 75.25 = 100.25
    assert value(p, "2026-02-24", "expenses_30d") == pytest.approx(100.25)
    # W30 ending 02-25 = 01-27..02-25: 75.25 + 400 = 475.25
    assert value(p, "2026-02-25", "expenses_30d") == pytest.approx(475.25)
    assert value(portfolio(valid, "2026-01-20"), "2026-01-20", "expenses_30d") == 0


def test_delivered_margin_pct_90d_cost_to_date_and_contract_value_at_d():
    valid = valid_dataset(
        deals=[
            won(ts("2026-01-10"), deal_id="X1", amount="10000"),
            won(ts("2026-03-04"), deal_id="X2", amount="5000"),   # won after D1 = 03-01
            won(ts("2026-01-10"), deal_id="X4", amount="100000"),
            won(ts("2025-10-01"), created="2025-09-01T00:00:00Z", deal_id="X5", amount="7000"),
            won(ts("2026-01-10"), deal_id="X6", amount="1000"),
        ],
        projects=[
            {"project_id": "P1", "deal_id": "X1", "status": "delivered", "actual_end_date": "2026-02-20"},
            {"project_id": "P2", "deal_id": "X2", "status": "delivered", "actual_end_date": "2026-02-25"},
            {"project_id": "P3", "deal_id": "", "status": "delivered", "actual_end_date": "2026-02-22"},
            {"project_id": "P4", "deal_id": "NOPE", "status": "delivered", "actual_end_date": "2026-02-22"},
            {"project_id": "P5", "deal_id": "X4", "status": "active"},
            {"project_id": "P6", "deal_id": "X5", "status": "delivered", "start_date": "2025-11-01",
             "actual_end_date": "2025-12-01"},
            {"project_id": "P7", "deal_id": "X6", "status": "cancelled", "actual_end_date": "2026-02-20"},
        ],
        # default rate card: 100/hour for every role
        time_entries=[
            {"project_id": "P1", "work_date": "2026-02-10", "hours": "10"},  # 1000
            {"project_id": "P1", "work_date": "2026-03-03", "hours": "5"},   # 500, after delivery and after D1
            {"project_id": "P2", "work_date": "2026-02-20", "hours": "10"},  # 1000
            {"project_id": "P3", "work_date": "2026-02-20", "hours": "10"},  # no contract value: excluded
            {"project_id": "P4", "work_date": "2026-02-20", "hours": "10"},  # no valid deal: excluded
            {"project_id": "P5", "work_date": "2026-02-20", "hours": "10"},  # not delivered: excluded
            {"project_id": "P7", "work_date": "2026-02-20", "hours": "10"},  # cancelled: excluded
        ],
        expenses=[
            {"project_id": "P1", "expense_date": "2026-02-15", "amount": "500"},
            {"project_id": "P1", "expense_date": "2026-03-05", "amount": "200"},  # after D1, = D2
            {"project_id": "P6", "expense_date": "2026-02-15", "amount": "7000"},  # P6 delivered out of W90
        ],
    )
    p = portfolio(valid, "2026-03-01", "2026-03-05")
    # D1=03-01, W90 = 2025-12-02..03-01: delivered P1 (02-20), P2 (02-25), P3, P4 (02-22); P6 (12-01) out,
    #   P7 cancelled. With a contract value at D1: P1 only (X2 won 03-04 > D1; P3 no deal; P4 invalid deal)
    #   P1 cost to 03-01: labour 10h x 100 = 1000 + expense 500 = 1500 -> (10000 - 1500) / 10000 = 0.85
    assert value(p, "2026-03-01", "projects_delivered_90d") == 4
    assert value(p, "2026-03-01", "delivered_margin_pct_90d") == pytest.approx(0.85)
    # D=03-03: P1 cost grows by the 03-03 entry (5h x 100 = 500) -> 2000; X2 not yet won
    #   -> (10000 - 2000) / 10000 = 0.8
    assert value(p, "2026-03-03", "delivered_margin_pct_90d") == pytest.approx(0.8)
    # D2=03-05, W90 = 2025-12-06..03-05: P1 and P2 (X2 won 03-04 <= D2: contract 5000)
    #   contract Σ = 10000 + 5000 = 15000
    #   cost to date: P1 = 1000 + 500 (labour) + 500 + 200 (expenses) = 2200; P2 = 1000 -> Σ 3200
    #   -> (15000 - 3200) / 15000 = 11800 / 15000 = 0.78666...
    assert value(p, "2026-03-05", "delivered_margin_pct_90d") == pytest.approx(11800 / 15000)


def test_delivered_margin_pct_90d_null_without_contract_value_or_zero_contract():
    valid = valid_dataset(
        deals=[{"deal_id": "X1", "stage": "proposal", "amount": "5000"},
               won(ts("2026-01-10"), deal_id="X2", amount="0")],
        projects=[{"project_id": "P1", "deal_id": "X1", "status": "delivered", "actual_end_date": "2026-02-20"},
                  {"project_id": "P2", "deal_id": "X2", "status": "delivered", "actual_end_date": "2026-02-20"}],
        expenses=[{"project_id": "P2", "expense_date": "2026-02-10", "amount": "10"}],
    )
    p = portfolio(valid, "2026-03-01")
    # P1's deal is not won -> no contract value; P2's contract value is 0 -> Σ contract value = 0
    #   -> ratio with a zero denominator -> null
    assert value(p, "2026-03-01", "projects_delivered_90d") == 2
    assert isnull(value(p, "2026-03-01", "delivered_margin_pct_90d"))
    # only P1 (no contract value): no project in the ratio -> null as well
    valid2 = valid_dataset(deals=valid["deals"].iloc[:1], projects=valid["projects"].iloc[:1])
    assert isnull(value(portfolio(valid2, "2026-03-01"), "2026-03-01", "delivered_margin_pct_90d"))


def test_delivered_margin_pct_can_be_negative():
    valid = valid_dataset(
        deals=[won(ts("2026-01-10"), deal_id="X1", amount="1000")],
        projects=[{"project_id": "P1", "deal_id": "X1", "status": "delivered", "actual_end_date": "2026-02-01"}],
        time_entries=[{"project_id": "P1", "work_date": "2026-01-20", "hours": "15"}],  # 15 x 100 = 1500
    )
    p = portfolio(valid, "2026-02-03")
    # (1000 - 1500) / 1000 = -0.5
    assert value(p, "2026-02-03", "delivered_margin_pct_90d") == pytest.approx(-0.5)


# ---------------------------------------------------------------------------------------------
# the customer's voice: feedback_responses_90d, nps_90d, team_score_avg_90d


def test_nps_90d_promoters_passives_detractors_and_the_window():
    # W90 ending 04-30 = 01-31 .. 04-30; W90 ending 05-01 = 02-01 .. 05-01
    valid = valid_dataset(feedback=[
        {"feedback_id": "c1", "score": "10", "submitted_at": ts("2026-02-01")},  # promoter
        {"feedback_id": "c2", "score": "9", "submitted_at": ts("2026-04-30")},   # promoter, on D
        {"feedback_id": "c3", "score": "8", "submitted_at": ts("2026-03-01")},   # passive
        {"feedback_id": "c4", "score": "7", "submitted_at": ts("2026-03-01")},   # passive
        {"feedback_id": "c5", "score": "6", "submitted_at": ts("2026-03-01")},   # detractor
        {"feedback_id": "c6", "score": "0", "submitted_at": ts("2026-03-01")},   # detractor
        {"feedback_id": "c9", "score": "9", "submitted_at": ts("2026-01-31")},   # promoter, first day of W90(04-30)
        {"feedback_id": "c7", "score": "3", "submitted_at": ts("2026-01-30")},   # one day before W90(04-30)
        {"feedback_id": "c8", "score": "5", "submitted_at": ts("2026-05-01")},   # after 04-30; in W90(05-01)
    ])
    p = portfolio(valid, "2026-04-30", "2026-05-01")
    # 04-30: c1, c2, c3, c4, c5, c6, c9 = 7 responses; promoters c1, c2, c9 = 3; detractors c5, c6 = 2
    # NPS = 100 x (3 - 2) / 7 = 14.2857...
    assert value(p, "2026-04-30", "feedback_responses_90d") == 7
    assert value(p, "2026-04-30", "nps_90d") == pytest.approx(100 / 7)
    # 05-01: c9 (01-31) left, c8 (05-01, a 5: detractor) came in: 7 responses; promoters c1, c2 = 2;
    # detractors c5, c6, c8 = 3 -> NPS = 100 x (2 - 3) / 7 = -14.2857...
    assert value(p, "2026-05-01", "feedback_responses_90d") == 7
    assert value(p, "2026-05-01", "nps_90d") == pytest.approx(-100 / 7)
    # no team response at all: the mean over no rows is null
    assert isnull(value(p, "2026-04-30", "team_score_avg_90d"))


def test_team_responses_are_not_customer_responses():
    valid = valid_dataset(feedback=[
        {"respondent": "customer", "score": "10", "submitted_at": ts("2026-03-01")},
        {"respondent": "partner", "score": "0", "submitted_at": ts("2026-03-01")},     # team (partners included)
        {"respondent": "engineer", "score": "2", "submitted_at": ts("2026-03-02")},    # team
        {"respondent": "customer_success", "score": "9", "submitted_at": ts("2026-03-03")},  # team
        {"respondent": "sales", "score": "1", "submitted_at": ts("2025-12-01")},      # team, before W90(03-05)
    ])
    p = portfolio(valid, "2026-03-05")  # W90 = 12-06 .. 03-05
    assert value(p, "2026-03-05", "feedback_responses_90d") == 1  # the customer's only
    assert value(p, "2026-03-05", "nps_90d") == pytest.approx(100.0)  # 100 x (1 - 0) / 1
    # team: partner 0, engineer 2, customer_success 9 -> (0 + 2 + 9) / 3 = 3.6667; the sales one is out
    assert value(p, "2026-03-05", "team_score_avg_90d") == pytest.approx(11 / 3)


def test_nps_of_only_passives_is_zero_and_of_no_response_null():
    valid = valid_dataset(feedback=[{"score": "7", "submitted_at": ts("2026-03-01")},
                                    {"score": "8", "submitted_at": ts("2026-03-01")}])
    p = portfolio(valid, "2026-03-01", "2026-06-01")
    assert value(p, "2026-03-01", "nps_90d") == 0.0  # 100 x (0 - 0) / 2
    # 06-01: W90 = 03-04 .. 06-01, no response: count 0, NPS null (no responses)
    assert value(p, "2026-06-01", "feedback_responses_90d") == 0
    assert isnull(value(p, "2026-06-01", "nps_90d"))


def test_responses_whatever_their_project_count_in_the_portfolio():
    # a response on a project that does not exist is kept "as if it had no project": the portfolio
    # counts it like one with no project and one on a valid project
    valid = valid_dataset(projects=[{"project_id": "P1"}], feedback=[
        {"project_id": "P1", "score": "10", "submitted_at": ts("2026-03-01")},
        {"project_id": "GHOST", "score": "0", "submitted_at": ts("2026-03-01")},
        {"score": "9", "submitted_at": ts("2026-03-01")},
    ])
    p = portfolio(valid, "2026-03-01")
    assert value(p, "2026-03-01", "feedback_responses_90d") == 3
    assert value(p, "2026-03-01", "nps_90d") == pytest.approx(100 / 3)  # 100 x (2 - 1) / 3


def test_responses_near_local_midnight_take_the_business_time_zone_date():
    # Asia/Shanghai is UTC+8. D = 04-30, W90 = 01-31 .. 04-30 (local dates)
    valid = valid_dataset(feedback=[
        # 01-30T17:00Z = 01-31 01:00 local: in W90 (in UTC it is 01-30, one day out)
        {"feedback_id": "early", "score": "10", "submitted_at": "2026-01-30T17:00:00Z"},
        # 04-30T16:30Z = 05-01 00:30 local: after D (in UTC it is 04-30, in W90)
        {"feedback_id": "late", "score": "0", "submitted_at": "2026-04-30T16:30:00Z"},
        # team: 04-30T15:59Z = 04-30 23:59 local, in; 04-30T16:00Z = 05-01 00:00 local, out
        {"respondent": "engineer", "score": "4", "submitted_at": "2026-04-30T15:59:00Z"},
        {"respondent": "engineer", "score": "10", "submitted_at": "2026-04-30T16:00:00Z"},
    ])
    local = portfolio(valid, "2026-04-30", tz="Asia/Shanghai")
    assert value(local, "2026-04-30", "feedback_responses_90d") == 1  # early only
    assert value(local, "2026-04-30", "nps_90d") == pytest.approx(100.0)  # 100 x (1 - 0) / 1
    assert value(local, "2026-04-30", "team_score_avg_90d") == pytest.approx(4.0)  # 4 / 1
    utc = portfolio(valid, "2026-04-30")
    assert value(utc, "2026-04-30", "feedback_responses_90d") == 1  # late only
    assert value(utc, "2026-04-30", "nps_90d") == pytest.approx(-100.0)  # 100 x (0 - 1) / 1
    assert value(utc, "2026-04-30", "team_score_avg_90d") == pytest.approx(7.0)  # (4 + 10) / 2


# ---------------------------------------------------------------------------------------------
# backfill consistency


# ---------------------------------------------------------------------------------------------
# the weekly flows (*_7d): W7 ending 02-24 = 02-18 .. 02-24; W7 ending 03-03 = 02-25 .. 03-03


def test_weekly_flows_of_leads_and_deals_at_the_window_edges():
    valid = valid_dataset(
        leads=[{"created_at": ts("2026-02-17", "23:59:59")},  # one day before W7(02-24)
               {"created_at": ts("2026-02-18", "00:00:00"), "qualified_at": ts("2026-02-25", "00:00:00")},
               {"created_at": ts("2026-02-24", "23:59:59"), "qualified_at": ts("2026-02-24", "23:59:59")}],
        deals=[{"deal_id": "D1", "account_id": "A1", "created_at": ts("2026-02-18"), "amount": 100.0},
               won(ts("2026-02-24"), created=ts("2026-01-01"), deal_id="D2", account_id="A2", amount=250.0),
               won(ts("2026-02-25"), created=ts("2026-02-25"), deal_id="D3", account_id="A2", amount=40.0),
               lost(ts("2026-02-20"), created=ts("2026-02-19"), deal_id="D4", account_id="A3")])
    p = portfolio(valid, "2026-02-24", "2026-03-03")
    # 02-24: created 02-18 and 02-24 in, 02-17 out -> 2; qualified: only the one at 02-24 -> 1
    assert value(p, "2026-02-24", "leads_created_7d") == 2
    assert value(p, "2026-02-24", "leads_qualified_7d") == 1
    # 03-03 (02-25..03-03): no lead created; qualified 02-25 -> 1 (its creation 02-18 does not matter)
    assert value(p, "2026-03-03", "leads_created_7d") == 0
    assert value(p, "2026-03-03", "leads_qualified_7d") == 1
    # deals created in W7(02-24): D1 02-18, D4 02-19 -> 2 (D2 created 01-01 out); W7(03-03): D3 -> 1
    assert value(p, "2026-02-24", "deals_created_7d") == 2
    assert value(p, "2026-03-03", "deals_created_7d") == 1
    # won in W7(02-24): D2 (02-24) -> 1, bookings 250; D4 lost is not won. W7(03-03): D3 -> 1, 40
    assert value(p, "2026-02-24", "deals_won_7d") == 1 and value(p, "2026-02-24", "bookings_7d") == 250
    assert value(p, "2026-03-03", "deals_won_7d") == 1 and value(p, "2026-03-03", "bookings_7d") == 40
    # new customers: A2's first win 02-24 is in W7(02-24) -> 1; on 03-03 A2's second win (02-25) is
    # no first win -> 0
    assert value(p, "2026-02-24", "new_customers_7d") == 1
    assert value(p, "2026-03-03", "new_customers_7d") == 0
    # the seven days before W7(02-24) end on 02-17: the lead of 02-17 -> 1 (weeks do not overlap)
    assert value(portfolio(valid, "2026-02-17"), "2026-02-17", "leads_created_7d") == 1


def test_weekly_flows_of_spend_delivery_hours_expenses_and_responses():
    valid = valid_dataset(
        marketing_spend=[{"spend_date": "2026-02-17", "amount": 1.0}, {"spend_date": "2026-02-18", "amount": 20.0},
                         {"spend_date": "2026-02-24", "amount": 300.0}],
        projects=[{"project_id": "P1", "status": "delivered", "start_date": "2026-01-01",
                   "actual_end_date": "2026-02-18"},
                  {"project_id": "P2", "status": "cancelled", "start_date": "2026-01-01",
                   "actual_end_date": "2026-02-20"},  # cancelled: never delivered
                  {"project_id": "P3", "status": "delivered", "start_date": "2026-01-01",
                   "actual_end_date": "2026-02-25"}],
        rate_card=[{"role": "engineer", "valid_from": "2020-01-01", "hourly_cost": 100.0}],
        time_entries=[{"project_id": "P1", "work_date": "2026-02-17", "hours": 1.0},
                      {"project_id": "P1", "work_date": "2026-02-18", "hours": 2.0},
                      {"project_id": "P1", "work_date": "2026-02-24", "hours": 4.0}],
        expenses=[{"project_id": "P1", "expense_date": "2026-02-24", "amount": 7.0},
                  {"project_id": "P1", "expense_date": "2026-02-25", "amount": 9.0}],
        feedback=[{"submitted_at": ts("2026-02-18"), "score": 9},
                  {"submitted_at": ts("2026-02-19"), "score": 3, "respondent": "engineer"},  # team: not counted
                  {"submitted_at": ts("2026-02-25"), "score": 5}])
    p = portfolio(valid, "2026-02-24", "2026-03-03")
    # spend dated 02-18 and 02-24 -> 20 + 300 = 320 (02-17 out); nothing dated 02-25..03-03 -> 0
    assert value(p, "2026-02-24", "marketing_spend_7d") == 320 and value(p, "2026-03-03", "marketing_spend_7d") == 0
    # delivered in W7(02-24): P1 (02-18) -> 1; P2 is cancelled; W7(03-03): P3 -> 1
    assert value(p, "2026-02-24", "projects_delivered_7d") == 1
    assert value(p, "2026-03-03", "projects_delivered_7d") == 1
    # hours 2 + 4 = 6 (02-17 out), labour cost 6 x 100 = 600; then none -> 0
    assert value(p, "2026-02-24", "hours_7d") == 6 and value(p, "2026-02-24", "labour_cost_7d") == 600
    assert value(p, "2026-03-03", "hours_7d") == 0 and value(p, "2026-03-03", "labour_cost_7d") == 0
    # expenses 7 at 02-24; 9 at 03-03
    assert value(p, "2026-02-24", "expenses_7d") == 7 and value(p, "2026-03-03", "expenses_7d") == 9
    # customer responses: 02-18 -> 1 (the engineer's is a team response); 02-25 -> 1
    assert value(p, "2026-02-24", "feedback_responses_7d") == 1
    assert value(p, "2026-03-03", "feedback_responses_7d") == 1


def test_a_range_run_equals_single_day_runs():
    # "a backfill of a past date gives what a run on that day would have given": a date computed in
    # a range must equal the same date computed alone
    valid = valid_dataset(
        leads=[{"created_at": ts("2026-02-20"), "qualified_at": ts("2026-02-23")}],
        deals=[won(ts("2026-02-22"), amount="300", created=ts("2026-02-01")), {"created_at": ts("2026-02-25")}],
        projects=[{"project_id": "P1", "status": "delivered", "actual_end_date": "2026-02-23"}],
        time_entries=[{"work_date": "2026-02-21", "hours": "2"}],
        expenses=[{"expense_date": "2026-02-24"}],
        marketing_spend=[{"spend_date": "2026-02-22"}],
        feedback=[{"score": "3", "submitted_at": ts("2026-02-21")}, {"score": "10", "submitted_at": ts("2026-02-24")},
                  {"respondent": "partner", "score": "6", "submitted_at": ts("2026-02-22")}],
    )
    rng = portfolio(valid, "2026-02-20", "2026-02-26")
    for i in range(7):
        day = (d("2026-02-20") + dt.timedelta(days=i)).isoformat()
        single = portfolio(valid, day)
        pd.testing.assert_series_equal(rng.loc[d(day)], single.loc[d(day)], check_names=False)
