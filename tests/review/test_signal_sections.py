"""The review pack's "What changed", "Headline figures" and "Delivery" sections on small hand-built
ReviewData, now that the pack reads the warehouse's review_signals (METRICS.md) instead of
computing its own XmR rule.

- What changed: the signal table is the review_signals rows of D with a rule, in words, with a
  verdict by the metric's direction and the signal's side, and one chart per signal drawing the
  values of signal_history with the centre, the limits and the midways; rows without a rule are
  listed as no signal; a date without review_signals rows says so.
- Headline: a row is coloured only by a signal; the 6-12 charts draw a weekly flow's weeks and its
  longer window's month-ends, each beside the same a year before.
- Delivery: the share of the schedule passed, names beside ids, the burn chart.
- Chinese rule words.

Every expected value is worked out by hand below (the arithmetic in comments), never computed by
the code under test."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from review.pages import D, assert_valid, drawn_marks, frame, rows_of
from schemas.tables import (
    CAMPAIGN_DAILY,
    EFFORT_WEEKLY,
    FUNNEL_BY_CHANNEL_DAILY,
    PORTFOLIO_DAILY,
    PROJECT_DAILY,
    PROJECT_DIRECTORY,
    QUARANTINE,
    RESTATEMENTS,
    REVIEW_CHANGES,
    REVIEW_SIGNALS,
)
from tasks.review.data import ReviewData
from tasks.review.sections import Context
from tasks.review.sections.delivery import delivery, schedule_elapsed
from tasks.review.sections.headline import headline
from tasks.review.sections.what_changed import what_changed
from tasks.review.text import Words

# --- helpers ----------------------------------------------------------------------------------

def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def weeks_before(k: int) -> pd.Timestamp:
    """D − 7k."""
    return pd.Timestamp(D) - pd.Timedelta(days=7 * k)


def signal(metric: str, series: str, value: float, centre: float, lower: float, upper: float, rule: str | None,
           side: str | None, as_of: pd.Timestamp | None = None) -> dict:
    """A review_signals row (the warehouse's numbers: the pack recomputes none of them)."""
    return {"as_of_date": as_of if as_of is not None else pd.Timestamp(D), "metric": metric, "series": series,
            "value": value, "centre": centre, "lower_limit": lower, "upper_limit": upper, "rule": rule, "side": side}


def history(metric: str, series: str, values: list[float]) -> list[dict]:
    """review_signals rows of `metric` at D − 7k with v_0 = values[k] (only value matters to the charts)."""
    return [signal(metric, series, v, 0.0, -1.0, 1.0, None, None, as_of=weeks_before(k)) for k, v in enumerate(values)]


def tables_of(section_html: str) -> dict[str, str]:
    """Each table of the section by its class (the last of a class wins)."""
    return dict(re.findall(r'<table class="([^"]*)">(.*?)</table>', section_html, re.S))


def tr_attributes(table_html: str) -> list[dict[str, str]]:
    """The attributes of each body row of one table (class, data-metric, data-rule…)."""
    body = re.search(r"<tbody>(.*?)</tbody>", table_html, re.S).group(1)
    return [dict(re.findall(r'([\w-]+)="([^"]*)"', attrs)) for attrs in re.findall(r"<tr([^>]*)>", body)]


# --- the data ---------------------------------------------------------------------------------

# review_signals at D, in no particular order (the page orders them as schemas/tables.py declares
# SIGNAL_SERIES: the weekly flows in portfolio_daily's order, then the levels)
SIGNALS = [
    # weekly change of a level, down: −50,000 below the lower limit −20,000; more pipeline is better: bad
    signal("open_pipeline_amount", "weekly_change", -50_000.0, 10_000.0, -20_000.0, 40_000.0, "outside", "down"),
    # midways at 20 ± (28 − 20) / 2 = 16 and 24: v_0 … v_2 = 26, 25, 27 above 24; more leads are better: good
    signal("leads_created_7d", "weekly", 26.0, 20.0, 12.0, 28.0, "three_of_four", "up"),
    # spend below its lower limit: spend is neither good nor bad in itself
    signal("marketing_spend_7d", "weekly", 1_000.0, 5_000.0, 2_000.0, 8_000.0, "outside", "down"),
    # expenses above the upper limit; fewer expenses are better: bad
    signal("expenses_7d", "weekly", 9_000.0, 5_000.0, 2_000.0, 8_000.0, "outside", "up"),
    # 8 weeks above the centre 4 (limits 1 … 7, midways 2.5 and 5.5); more wins are better: good
    signal("deals_won_7d", "weekly", 6.0, 4.0, 1.0, 7.0, "eight_in_a_row", "up"),
    # inside its limits: no rule
    signal("bookings_7d", "weekly", 7_000.0, 10_000.0, 1_000.0, 19_000.0, None, "down"),
    # 2 new customers every week of the baseline: mR 0, lower == upper, no rule
    signal("customers_total", "weekly_change", 2.0, 2.0, 2.0, 2.0, None, None),
]
FLAGGED = ["leads_created_7d", "deals_won_7d", "marketing_spend_7d", "expenses_7d", "open_pipeline_amount"]

# leads_created_7d as of D − 7k, k = 0 … 12: v_k of D (v_0 = 26 as in SIGNALS)
LEADS_7D = [26, 25, 27, 17, 21, 19, 20, 18, 22, 20, 21, 19, 20]
# open_pipeline_amount's weekly change as of D − 7k, k = 0 … 12: the chart draws k = 0 … 11 only
PIPELINE_CHANGE = [-50_000, 12_000, 8_000, 15_000, 5_000, 9_000, 11_000, 7_000, 13_000, 10_000, 6_000, 14_000, 99_999]
HISTORY = (history("leads_created_7d", "weekly", LEADS_7D)
           + history("open_pipeline_amount", "weekly_change", PIPELINE_CHANGE)
           + history("deals_won_7d", "weekly", [6, 5, 6, 5, 6, 5, 6, 5, 3, 4, 2, 3, 4])
           + history("marketing_spend_7d", "weekly", [1_000, 5_000, 4_000, 6_000, 5_000, 5_000, 4_000, 6_000, 5_000,
                                                      5_000, 4_000, 6_000, 5_000])
           + history("expenses_7d", "weekly", [9_000, 5_000, 4_000, 6_000, 5_000, 5_000, 4_000, 6_000, 5_000,
                                               5_000, 4_000, 6_000, 5_000])
           + history("bookings_7d", "weekly", [7_000] * 13))

# the 6-12 charts' weeks (D − 35 … D) and a year before (D − 364 − 7k: same weekday)
LEADS_WEEKS = {"2026-02-24": 19, "2026-03-03": 21, "2026-03-10": 17, "2026-03-17": 27, "2026-03-24": 25,
               "2026-03-31": 26}  # = LEADS_7D[5] … LEADS_7D[0]
# 2026-03-03 − 364 days = 2025-03-04 (2026-03-03 − 365 = 2025-03-03, plus one); 2026-02-24 − 364 = 2025-02-25 is
# not published
LEADS_WEEKS_YEAR_BEFORE = {"2025-03-04": 14, "2025-03-11": 16, "2025-03-18": 15, "2025-03-25": 18, "2025-04-01": 17}
# the 12 month-ends up to D (D is one), and the 12 before them
MONTH_ENDS = ["2025-04-30", "2025-05-31", "2025-06-30", "2025-07-31", "2025-08-31", "2025-09-30", "2025-10-31",
              "2025-11-30", "2025-12-31", "2026-01-31", "2026-02-28", "2026-03-31"]
MONTH_ENDS_YEAR_BEFORE = ["2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31", "2024-08-31", "2024-09-30",
                          "2024-10-31", "2024-11-30", "2024-12-31", "2025-01-31", "2025-02-28", "2025-03-31"]
UNPUBLISHED_MONTH_END = "2024-06-30"
CUSTOMERS_WEEKS = {"2026-02-24": 110, "2026-03-03": 112, "2026-03-10": 114, "2026-03-17": 116, "2026-03-24": 118,
                   "2026-03-31": 120}


def portfolio() -> pd.DataFrame:
    """portfolio_daily at the dates the 6-12 charts read, other columns null: leads_created_7d at
    the weeks (and 5 at every other month-end: a week's flow, which the months must not draw),
    leads_created_30d at the month-ends (70 + 2i this year, 50 + i a year before), customers_total
    at both (a level: its own month-ends, 98 + 2i), win_rate_90d at D alone."""
    at: dict[str, dict[str, float]] = {}

    def put(date: str, column: str, value: float) -> None:
        at.setdefault(date, {})[column] = value

    for i, (end, before) in enumerate(zip(MONTH_ENDS, MONTH_ENDS_YEAR_BEFORE, strict=True)):
        put(end, "leads_created_7d", 5)
        put(end, "leads_created_30d", 70 + 2 * i)
        put(end, "customers_total", 98 + 2 * i)
        if before != UNPUBLISHED_MONTH_END:
            put(before, "leads_created_7d", 5)
            put(before, "leads_created_30d", 50 + i)
    for date, value in (LEADS_WEEKS | LEADS_WEEKS_YEAR_BEFORE).items():
        put(date, "leads_created_7d", value)
    for date, value in CUSTOMERS_WEEKS.items():
        put(date, "customers_total", value)
    put("2026-03-31", "win_rate_90d", 0.25)
    out = pd.DataFrame([{c: np.nan for c in PORTFOLIO_DAILY.names} | values | {"as_of_date": day(date)}
                        for date, values in at.items()], columns=PORTFOLIO_DAILY.names)
    return out.sort_values("as_of_date", ignore_index=True)


CHANGES = [
    {"metric": "leads_created_7d", "value": 26.0, "value_7d_ago": 25.0, "change": 1.0, "change_pct": 0.04},
    # −30% in a week, but no rule in review_signals: not coloured
    {"metric": "bookings_7d", "value": 7_000.0, "value_7d_ago": 10_000.0, "change": -3_000.0, "change_pct": -0.3},
    {"metric": "expenses_7d", "value": 9_000.0, "value_7d_ago": 6_000.0, "change": 3_000.0, "change_pct": 0.5},
    {"metric": "open_pipeline_amount", "value": 900_000.0, "value_7d_ago": 950_000.0, "change": -50_000.0,
     "change_pct": -50_000 / 950_000},
    {"metric": "customers_total", "value": 120.0, "value_7d_ago": 118.0, "change": 2.0, "change_pct": 2 / 118},
]

DIRECTORY = [
    {"project_id": "P1", "name": "Acme CRM rollout", "account_id": "A1", "account_name": "Acme Corp",
     "status": "active", "start_date": "2026-02-19", "planned_end_date": "2026-05-10"},
    {"project_id": "P2", "name": "Beta data platform", "account_id": "A2", "account_name": "Beta GmbH",
     "status": "active", "start_date": "2025-12-01", "planned_end_date": "2026-03-21"},
    {"project_id": "P4", "name": "Acme support portal", "account_id": "A1", "account_name": "Acme Corp",
     "status": "active", "start_date": "2026-03-01", "planned_end_date": "2026-05-30"},
    {"project_id": "P5", "name": "Gamma migration", "account_id": "A5", "account_name": "Gamma Ltd",
     "status": "delivered", "start_date": "2025-06-01", "planned_end_date": "2025-12-31",
     "actual_end_date": "2026-01-15"},
]  # P3 is not in the directory


def project(pid: str, account: str, state: str, health: str | None, burn: float | None, variance: float | None,
            slip: int, overdue: int) -> dict:
    return {"project_id": pid, "account_id": account, "state": state, "health": health, "budget_burn": burn,
            "cost_variance": variance, "schedule_slip_days": slip, "milestones_overdue": overdue}


PROJECTS = [
    project("P4", "A1", "active", "green", 0.3, -7_000.0, 0, 0),
    project("P3", "A3", "active", "green", 0.5, -1_000.0, 0, 0),
    project("P2", "A2", "active", "amber", 0.95, -500.0, 10, 0),  # 2026-03-21 → D: 10 days late
    project("P1", "A1", "active", "red", 1.25, 2_500.0, 0, 1),
    project("P5", "A5", "delivered", None, 1.1, 1_000.0, 15, 0),
]


def review_data(*, signals: list[dict] = SIGNALS, signal_history: list[dict] = HISTORY) -> ReviewData:
    """Every field of ReviewData: what the three sections read hand-built, the rest empty."""
    return ReviewData(
        as_of=D, portfolio=portfolio(), changes=frame(REVIEW_CHANGES, CHANGES),
        signals=frame(REVIEW_SIGNALS, signals), signal_history=frame(REVIEW_SIGNALS, signal_history),
        funnel=frame(FUNNEL_BY_CHANNEL_DAILY, []), campaigns=frame(CAMPAIGN_DAILY, []),
        projects=frame(PROJECT_DAILY, PROJECTS), projects_week_ago=frame(PROJECT_DAILY, []),
        effort=frame(EFFORT_WEEKLY, []), latest_run=None, week_ago_run=None, quarantine=frame(QUARANTINE, []),
        restatements=frame(RESTATEMENTS, []), directory=frame(PROJECT_DIRECTORY, DIRECTORY))


def context(lang: str = "en", **data) -> Context:
    return Context(review_data(**data), Words(lang), "USD")


# --- What changed -----------------------------------------------------------------------------

def test_the_signal_table_is_the_rows_of_d_with_a_rule_in_words_with_a_verdict():
    section = what_changed(context())
    signals = tables_of(section.html)["signals"]
    assert [(r["data-metric"], r["data-rule"], r["class"]) for r in tr_attributes(signals)] == [
        ("leads_created_7d", "three_of_four", "good"), ("deals_won_7d", "eight_in_a_row", "good"),
        ("marketing_spend_7d", "outside", "neutral"), ("expenses_7d", "outside", "bad"),
        ("open_pipeline_amount", "outside", "bad")]
    # no plan and no notes here: no owner, and every signal awaits one (tests/review/test_plan_and_notes.py)
    assert {tuple(r[8:]) for r in rows_of(signals)} == {("–", "awaiting: no owner")}
    assert [r[:8] for r in rows_of(signals)] == [
        ["Leads created (7 d)", "week's flow", "26", "20", "12 … 28", "3 of the last 4 weeks above the upper midway",
         "good for the business", "higher is better"],
        ["Deals won (7 d)", "week's flow", "6", "4", "1 … 7", "8 weeks in a row above the centre",
         "good for the business", "higher is better"],
        ["Marketing spend (7 d)", "week's flow", "USD 1,000", "USD 5,000", "USD 2,000 … USD 8,000",
         "this week below the lower limit", "neither good nor bad in itself", "neutral"],
        ["Expenses (7 d)", "week's flow", "USD 9,000", "USD 5,000", "USD 2,000 … USD 8,000",
         "this week above the upper limit", "bad for the business", "lower is better"],
        # a weekly change is written signed: its value, its centre and its limits alike
        ["Open pipeline amount", "weekly change", "−USD 50,000", "+USD 10,000", "−USD 20,000 … +USD 40,000",
         "this week below the lower limit", "bad for the business", "higher is better"]]
    assert '<span class="badge bad">bad for the business</span>' in signals


def test_rows_without_a_rule_are_listed_as_no_signal_and_a_flat_baseline_has_no_limits():
    section = what_changed(context())
    assert "<h3>No signal</h3>" in section.html
    assert rows_of(tables_of(section.html)["compact"]) == [
        ["Bookings (7 d)", "week's flow", "USD 7,000", "USD 10,000", "USD 1,000 … USD 19,000"],
        ["Customers", "weekly change", "+2", "+2", "flat baseline: no limits"]]


def test_no_30_or_90_day_window_is_in_the_what_changed_tables():
    """The portfolio and review_changes hold 30- and 90-day metrics; only review_signals is read."""
    section = what_changed(context())
    text = " ".join(" ".join(row) for row in rows_of(section.html))
    assert "Leads created (30 d)" not in text and "Win rate (90 d)" not in text
    assert not re.search(r"\((30|90) d\)", text)


def test_a_date_without_review_signals_rows_says_so():
    ctx = context(signals=[], signal_history=[])
    section = what_changed(ctx)
    assert ("The warehouse has no review_signals rows for this date (published before the table existed): a backfill "
            "of the date computes them.") in section.html
    assert "<table" not in section.html and ctx.charts == {}


def test_no_rule_anywhere_says_no_metric_moved():
    ctx = context(signals=[s for s in SIGNALS if s["metric"] in ("bookings_7d", "customers_total")])
    section = what_changed(ctx)
    assert "No analysed metric moved beyond its usual variation this week." in section.html
    assert "signals" not in tables_of(section.html) and ctx.charts == {}


def test_each_signal_has_a_chart_of_its_history_with_centre_limits_and_midways():
    ctx = context()
    what_changed(ctx)
    assert list(ctx.charts) == [f"chart-signal-{m}" for m in FLAGGED]
    leads = ctx.charts["chart-signal-leads_created_7d"]
    rules, line, latest = leads["layer"]
    # v_12 … v_0: the values as of D − 84 … D, oldest first; nothing of another metric
    assert [(p["date"], p["value"]) for p in line["data"]["values"]] == [
        ("2026-01-06", 20), ("2026-01-13", 19), ("2026-01-20", 21), ("2026-01-27", 20), ("2026-02-03", 22),
        ("2026-02-10", 18), ("2026-02-17", 20), ("2026-02-24", 19), ("2026-03-03", 21), ("2026-03-10", 17),
        ("2026-03-17", 27), ("2026-03-24", 25), ("2026-03-31", 26)]
    assert latest["data"]["values"] == [{"date": "2026-03-31", "value": 26}]
    # lower 12, midways 20 ∓ (28 − 20) / 2 = 16 and 24, centre 20, upper 28
    assert [(b["dash"], b["value"]) for b in rules["data"]["values"]] == [
        ("limit", 12), ("midway", 16), ("centre", 20), ("midway", 24), ("limit", 28)]
    assert latest["mark"]["color"] == "#1a7f37"  # good
    assert_valid(leads)
    marks = drawn_marks(leads)
    # a point per week (13) and the latest again, bigger; one line; five rules
    assert (marks["point"], marks["line mark"], marks["rule mark"]) == (14, 1, 5)


def test_a_weekly_change_chart_has_12_points():
    ctx = context()
    what_changed(ctx)
    spec = ctx.charts["chart-signal-open_pipeline_amount"]
    rules, line, latest = spec["layer"]
    # v_0 … v_11: D − 77 … D; the row of D − 84 (99,999) is v_12, which the change series does not have
    assert [p["date"] for p in line["data"]["values"]] == [
        "2026-01-13", "2026-01-20", "2026-01-27", "2026-02-03", "2026-02-10", "2026-02-17", "2026-02-24",
        "2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24", "2026-03-31"]
    assert [p["value"] for p in line["data"]["values"]] == PIPELINE_CHANGE[11::-1]
    # centre 10,000, upper 40,000: midways 10,000 ∓ 15,000 = −5,000 and 25,000
    assert [b["value"] for b in rules["data"]["values"]] == [-20_000, -5_000, 10_000, 25_000, 40_000]
    assert latest["mark"]["color"] == "#cf222e"  # bad
    assert_valid(spec)
    assert drawn_marks(spec)["point"] == 12 + 1


def test_a_week_missing_from_the_history_is_a_gap_not_an_older_week():
    """D − 35 not published: the change series keeps D − 77 … D without it (11 points), never D − 84."""
    gap = [r for r in HISTORY if not (r["metric"] == "open_pipeline_amount" and r["as_of_date"] == weeks_before(5))]
    ctx = context(signal_history=gap)
    what_changed(ctx)
    line = ctx.charts["chart-signal-open_pipeline_amount"]["layer"][1]
    dates = [p["date"] for p in line["data"]["values"]]
    assert len(dates) == 11 and dates[0] == "2026-01-13" and "2026-02-24" not in dates and "2026-01-06" not in dates


# --- Headline figures -------------------------------------------------------------------------

def headline_rows(section_html: str) -> dict[str, tuple[str, list[str]]]:
    """metric → (row class, cells) over every headline table."""
    out = {}
    for table_html in re.findall(r'<table class="headline">.*?</table>', section_html, re.S):
        for attrs, cells in zip(tr_attributes(table_html), rows_of(table_html), strict=True):
            out[attrs["data-metric"]] = (attrs.get("class", ""), cells)
    return out


def test_a_headline_row_is_coloured_only_by_a_signal_with_a_rule():
    rows = headline_rows(headline(context()).html)
    coloured = {m: cls for m, (cls, _) in rows.items() if cls != "neutral"}
    # a signal on a neutral metric is "flagged": marked, neither green nor red
    assert coloured == {"leads_created_7d": "good", "deals_won_7d": "good", "expenses_7d": "bad",
                        "open_pipeline_amount": "bad", "marketing_spend_7d": "flagged"}
    # −30% in a week, a signal row without a rule: neutral, no signal
    assert rows["bookings_7d"] == ("neutral", ["Bookings (7 d)", "USD 7,000", "USD 10,000", "−USD 3,000", "−30.0%",
                                               "–", "higher is better", "USD"])
    # a signal on a neutral metric: its words, flagged but neither good nor bad
    assert rows["marketing_spend_7d"][0] == "flagged"
    assert rows["marketing_spend_7d"][1][5] == "this week below the lower limit"
    # a level's signal is about its weekly change, and says so beside the level's value
    assert rows["open_pipeline_amount"][1][5] == "weekly change: this week below the lower limit"


def test_the_headline_signal_column_shows_the_rule_in_words():
    rows = headline_rows(headline(context()).html)
    # 26 against 25: +1, +1/25 = +4.0%
    assert rows["leads_created_7d"][1] == ["Leads created (7 d)", "26", "25", "+1", "+4.0%",
                                           "3 of the last 4 weeks above the upper midway", "higher is better", "count"]
    assert rows["expenses_7d"][1][5] == "this week above the upper limit"
    assert rows["deals_won_7d"][1][5] == "8 weeks in a row above the centre"
    # a metric not in review_changes: its value at D alone (leads_created_30d at D: 70 + 2 × 11 = 92)
    assert rows["leads_created_30d"] == ("neutral", ["Leads created (30 d)", "92", "–", "–", "–", "–",
                                                     "higher is better", "count"])


def six_twelve_points(panel: dict) -> dict[str, list[tuple]]:
    """A 6-12 panel's halves by title: (period, x, date, value) of each point."""
    return {half["title"]["text"]: sorted((p["period"], p["x"], p["date"], p["value"]) for p in half["data"]["values"])
            for half in panel["hconcat"]}


def test_each_area_with_data_has_its_six_twelve_chart():
    ctx = context()
    headline(ctx)
    # sales (leads, win rate) and customers (customers_total); nothing published of the other areas
    assert list(ctx.charts) == ["chart-six-twelve-sales", "chart-six-twelve-customers"]
    for spec in ctx.charts.values():
        assert_valid(spec)


def test_a_weekly_flow_six_twelve_draws_its_weeks_and_its_monthly_windows_month_ends():
    ctx = context()
    headline(ctx)
    sales = ctx.charts["chart-six-twelve-sales"]
    # leads_created_30d is leads_created_7d's months: no panel of its own; win_rate_90d is no one's: its own
    assert [p["title"]["text"] for p in sales["concat"]] == ["Leads created (7 d) (count)", "Win rate (90 d) (%)"]
    leads = six_twelve_points(sales["concat"][0])
    assert list(leads) == ["6 weeks", "12 month-ends: Leads created (30 d)"]
    # the six weeks D − 35 … D, and a year before (D − 364 − 7k) drawn at this year's date; 2025-02-25 unpublished
    assert leads["6 weeks"] == sorted(
        [("This year", d, d, v) for d, v in LEADS_WEEKS.items()]
        + [("A year before", x, d, v) for x, (d, v) in zip(
            ["2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24", "2026-03-31"], LEADS_WEEKS_YEAR_BEFORE.items(),
            strict=True)])
    # the month-ends of leads_created_30d (never the 5 of leads_created_7d there); 2024-06-30 unpublished
    assert leads["12 month-ends: Leads created (30 d)"] == sorted(
        [("This year", end, end, 70 + 2 * i) for i, end in enumerate(MONTH_ENDS)]
        + [("A year before", end, before, 50 + i)
           for i, (end, before) in enumerate(zip(MONTH_ENDS, MONTH_ENDS_YEAR_BEFORE, strict=True))
           if before != UNPUBLISHED_MONTH_END])
    # a ratio in percent, at D only (D is a week and a month-end)
    assert six_twelve_points(sales["concat"][1]) == {"6 weeks": [("This year", "2026-03-31", "2026-03-31", 25.0)],
                                                    "12 month-ends": [("This year", "2026-03-31", "2026-03-31", 25.0)]}
    # points drawn: leads 6 + 5 weeks and 12 + 11 months, the win rate 1 + 1
    assert drawn_marks(sales)["point"] == 6 + 5 + 12 + 11 + 1 + 1


def test_a_level_six_twelve_draws_its_own_month_ends():
    ctx = context()
    headline(ctx)
    (panel,) = ctx.charts["chart-six-twelve-customers"]["concat"]
    assert panel["title"]["text"] == "Customers (count)"
    points = six_twelve_points(panel)
    assert points["6 weeks"] == sorted(("This year", d, d, v) for d, v in CUSTOMERS_WEEKS.items())
    # 98 + 2i at the month-ends; nothing a year before
    assert points["12 month-ends"] == sorted(("This year", end, end, 98 + 2 * i) for i, end in enumerate(MONTH_ENDS))


# --- Delivery ---------------------------------------------------------------------------------

def test_schedule_elapsed_is_the_share_of_start_to_planned_end_passed():
    directory = frame(PROJECT_DIRECTORY, [
        {"project_id": "half", "start_date": "2026-01-01", "planned_end_date": "2026-01-31"},
        {"project_id": "late", "start_date": "2026-01-01", "planned_end_date": "2026-01-10"},
        {"project_id": "not_started", "start_date": "2026-02-01", "planned_end_date": "2026-03-01"},
        {"project_id": "one_day_started", "start_date": "2026-01-16", "planned_end_date": "2026-01-16"},
        {"project_id": "one_day_ahead", "start_date": "2026-01-20", "planned_end_date": "2026-01-20"},
        {"project_id": "no_end", "start_date": "2026-01-01"},
    ])
    projects = pd.DataFrame({"project_id": ["half", "late", "not_started", "one_day_started", "one_day_ahead",
                                            "no_end", "unknown"]})
    elapsed = schedule_elapsed(projects, directory, dt.date(2026, 1, 16))
    # 01-01 → 01-16 is 15 days of 30: 0.5; past the end: 1; before the start: 0; planned to end on its start day:
    # 1 once started, 0 before; without a planned end or a directory row: null
    assert elapsed.tolist()[:5] == [0.5, 1.0, 0.0, 1.0, 0.0]
    assert elapsed.isna().tolist() == [False] * 5 + [True, True]
    assert schedule_elapsed(projects, frame(PROJECT_DIRECTORY, []), dt.date(2026, 1, 16)).isna().all()


def test_the_delivery_table_has_names_beside_ids_and_the_schedule_elapsed():
    section = delivery(context())
    assert "<th class=num>Schedule elapsed</th>" in section.html
    assert "Cost variance = cost to date − budget: above 0 is over budget." in section.html
    assert "2026-03-24 is not published: no colour to compare with." in section.html
    assert 'Acme CRM rollout <span class="id">P1</span>' in section.html
    assert 'Acme Corp <span class="id">A1</span>' in section.html
    # P1: 2026-02-19 → D is 40 days of 80 (→ 2026-05-10): 50%; P2 past its planned end: 100%; P3 not in the
    # directory: id alone, no elapsed; P4: 2026-03-01 → D is 30 days of 90 (→ 2026-05-30): 33.3%
    # the cost variance signed like every change on the page: above 0 is over budget
    assert rows_of(section.html) == [
        ["Acme CRM rollout P1", "Acme Corp A1", "Red", "125.0%", "50.0%", "+USD 2,500", "0", "1"],
        ["Beta data platform P2", "Beta GmbH A2", "Amber", "95.0%", "100.0%", "−USD 500", "10", "0"],
        # green, folded away: largest cost variance first
        ["P3", "A3", "Green", "50.0%", "–", "−USD 1,000", "0", "0"],
        ["Acme support portal P4", "Acme Corp A1", "Green", "30.0%", "33.3%", "−USD 7,000", "0", "0"]]
    # P3 has no dates: not in the chart, and the page says so
    assert "1 active projects are not in the chart: no budget, or no start or planned end date." in section.html
    assert "2 green projects" in section.html


def test_the_burn_chart_has_a_point_per_active_project_with_dates_and_the_diagonal():
    ctx = context()
    delivery(ctx)
    spec = ctx.charts["chart-burn"]
    diagonal, points = spec["layer"]
    assert diagonal["data"]["values"] == [{"elapsed": 0, "burn": 0}, {"elapsed": 100, "burn": 100}]
    # in the table's order; P3 has no dates, P5 is delivered
    assert [(p["project"], p["burn"], p["elapsed"]) for p in points["data"]["values"]] == [
        ("Acme CRM rollout (P1)", pytest.approx(125.0), 50.0), ("Beta data platform (P2)", pytest.approx(95.0), 100.0),
        ("Acme support portal (P4)", pytest.approx(30.0), pytest.approx(100 / 3))]
    assert_valid(spec)
    marks = drawn_marks(spec)
    assert (marks["circle"], marks["line mark"]) == (3, 1)


# --- Chinese ----------------------------------------------------------------------------------

def test_the_rule_words_are_chinese():
    section = what_changed(context("zh"))
    assert section.title == "本周变化"
    rows = rows_of(tables_of(section.html)["signals"])
    assert [r[0] for r in rows] == ["新线索（7天）", "赢单数（7天）", "市场投入（7天）", "项目费用（7天）", "在途商机金额"]
    assert [r[5] for r in rows] == ["最近 4 周中有 3 周高于上中线", "连续 8 周高于中心线", "本周低于下限", "本周高于上限",
                                    "本周低于下限"]
    assert [r[6] for r in rows] == ["对业务有利", "对业务有利", "本身无好坏之分", "对业务不利", "对业务不利"]
    assert rows_of(tables_of(section.html)["compact"])[1][4:] == ["基线无波动：无界限"]
    assert not re.search(r"week|limit|midway|centre", " ".join(" ".join(r) for r in rows))


# --- the plan and the notes (issue 23) --------------------------------------------------------

TARGETS = pd.DataFrame([
    {"metric": "leads_created_7d", "month": day("2026-02-01"), "target": 20.0, "owner": "Li Wei"},
    {"metric": "leads_created_7d", "month": day("2026-03-01"), "target": 25.0, "owner": "Li Wei"},
    {"metric": "leads_created_30d", "month": day("2026-03-01"), "target": 100.0, "owner": "Li Wei"},
    {"metric": "expenses_7d", "month": day("2026-03-01"), "target": 8_000.0, "owner": None},
    # January's owner answers until another is named: March has no target but an owner
    {"metric": "open_pipeline_amount", "month": day("2026-01-01"), "target": 1_000_000.0, "owner": "Anna Schmidt"},
])
NOTES = pd.DataFrame([
    {"note_id": "N1", "noted_on": day("2026-03-30"), "metric": "leads_created_7d", "subject": None, "owner": "Li Wei",
     "decision": "watch", "note": "The launch brought 30 leads", "follow_up_by": None, "closed_on": None},
    # last week's note on deals won is not this review week's (D − 6 = 03-25 … D)
    {"note_id": "N0", "noted_on": day("2026-03-23"), "metric": "deals_won_7d", "subject": None, "owner": "Ola",
     "decision": None, "note": "Two big deals slip to April", "follow_up_by": None, "closed_on": None},
])


def planned_context(lang: str = "en") -> Context:
    return Context(dataclasses.replace(review_data(), targets=TARGETS, notes=NOTES), Words(lang), "USD")


def test_each_signal_has_its_owner_and_this_weeks_notes_or_awaits_them():
    signals = tables_of(what_changed(planned_context()).html)["signals"]
    answers = {attrs["data-metric"]: cells[8:] for attrs, cells in zip(tr_attributes(signals), rows_of(signals),
                                                                         strict=True)}
    assert answers == {
        "leads_created_7d": ["Li Wei", "Li Wei (03-30): The launch brought 30 leads watch"],
        "deals_won_7d": ["–", "awaiting: no owner"],  # no target, and N0 is last week's
        "marketing_spend_7d": ["–", "awaiting: no owner"],
        "expenses_7d": ["–", "awaiting: no owner"],  # a target without an owner
        "open_pipeline_amount": ["Anna Schmidt", "awaiting Anna Schmidt"],  # January's owner, no note
    }


def test_headline_compares_each_figure_with_the_months_target_and_names_its_owner():
    rows = headline_rows(headline(planned_context()).html)
    # 26 leads against March's 25: +1, 26 / 25 = 104%
    assert rows["leads_created_7d"][1][5:8] == ["25", "+1 · 104%", "Li Wei"]
    # 9,000 against 8,000: +1,000, 9,000 / 8,000 = 112.5% written 112% (half to even); no owner named
    assert rows["expenses_7d"][1][5:8] == ["USD 8,000", "+USD 1,000 · 112%", "no owner"]
    assert rows["bookings_7d"][1][5:8] == ["no plan", "–", "–"]
    assert rows["open_pipeline_amount"][1][5:8] == ["no plan", "–", "Anna Schmidt"]
    assert "No plan: the warehouse has no targets" not in headline(planned_context()).html
    assert "No plan: the warehouse has no targets" in headline(context()).html


def test_charts_draw_the_plan_as_a_dashed_line_per_month():
    ctx = planned_context()
    headline(ctx)
    panel = next(p for p in ctx.charts["chart-six-twelve-sales"]["concat"]
                 if p["title"]["text"].startswith("Leads created (7 d)"))
    weeks, months = panel["hconcat"]
    plan = [(v["x"], v["value"]) for v in weeks["data"]["values"] if v["period"] == "Plan"]
    # the weeks 02-24 … 03-31: February's 20, then March's 25
    assert plan == [("2026-02-24", 20.0), ("2026-03-03", 25.0), ("2026-03-10", 25.0), ("2026-03-17", 25.0),
                    ("2026-03-24", 25.0), ("2026-03-31", 25.0)]
    # the months are leads_created_30d's: a target for March alone
    assert [(v["x"], v["value"]) for v in months["data"]["values"] if v["period"] == "Plan"] == [("2026-03-31", 100.0)]
    assert weeks["layer"][0]["encoding"]["strokeDash"]["scale"]["range"][2] == [5, 3]
    assert_valid(ctx.charts["chart-six-twelve-sales"])
    # the signal's chart: the 13 weeks D − 84 (01-06) … D; no January target, February's 20, March's 25
    ctx = planned_context()
    what_changed(ctx)
    layers = ctx.charts["chart-signal-leads_created_7d"]["layer"]
    assert [v["value"] for v in layers[-1]["data"]["values"]] == [None] * 4 + [20.0] * 4 + [25.0] * 5
    assert_valid(ctx.charts["chart-signal-leads_created_7d"])
    assert drawn_marks(ctx.charts["chart-signal-leads_created_7d"])["line mark"] == 2  # the values and the plan
    # a level's weekly change has no plan line (open pipeline's target is for the level)
    assert len(ctx.charts["chart-signal-open_pipeline_amount"]["layer"]) == 3
