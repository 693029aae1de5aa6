"""All the tables of METRICS.md for a range of as-of dates, from the valid rows, in one pass."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from tasks.marts.calendar import Grid
from tasks.marts.campaign_daily import campaign_daily
from tasks.marts.effort_weekly import effort_weekly
from tasks.marts.facts import build_facts
from tasks.marts.funnel_by_channel_daily import funnel_by_channel_daily
from tasks.marts.portfolio_daily import portfolio_daily
from tasks.marts.project_daily import project_daily
from tasks.marts.review_changes import LOOKBACK, review_changes
from tasks.marts.segment_daily import segment_daily


def build_marts(valid: dict[str, pd.DataFrame], tz: str, start: dt.date, end: dt.date) -> dict[str, pd.DataFrame]:
    """Every output table for the as-of dates start … end (inclusive), keyed by table name."""
    facts = build_facts(valid, tz)
    grid = Grid.between(start, end)
    # the portfolio is computed 7 days further back so review_changes has each date's week-ago value
    portfolio = portfolio_daily(facts, grid.shifted(LOOKBACK))
    dates = list(grid.dates.date)
    return {
        "portfolio_daily": portfolio[portfolio["as_of_date"].isin(dates)].reset_index(drop=True),
        "project_daily": project_daily(facts, grid),
        "funnel_by_channel_daily": funnel_by_channel_daily(facts, grid),
        "campaign_daily": campaign_daily(facts, grid),
        "segment_daily": segment_daily(facts, grid),
        "review_changes": review_changes(portfolio, dates),
        "effort_weekly": effort_weekly(facts),
    }
