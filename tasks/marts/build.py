"""All the tables of METRICS.md for a range of as-of dates, from the valid rows.

`build_marts` computes a range in one pass. A long range (a backfill) is computed in slices of at
most SLICE_DAYS dates (`MartSlices`): every table of a date is computed from all the facts, never
from other dates, so a slice's rows are those the whole range would give (tests/marts compare the
bits), and memory stays that of one slice. At scale 10, 365 dates in one pass took 1.9 GB more than
one date; a slice of 92 dates, 0.3 GB (one pass costs ~6.5 s, so fewer, longer slices are faster).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd

from tasks.marts.calendar import Grid
from tasks.marts.campaign_daily import campaign_daily
from tasks.marts.campaign_spend_daily import campaign_spend_daily
from tasks.marts.effort_weekly import effort_weekly
from tasks.marts.facts import Facts, build_facts
from tasks.marts.feedback_responses import feedback_responses
from tasks.marts.funnel_by_channel_daily import funnel_by_channel_daily
from tasks.marts.portfolio_daily import portfolio_daily
from tasks.marts.project_daily import project_daily
from tasks.marts.project_directory import project_directory
from tasks.marts.project_licenses import project_licenses
from tasks.marts.project_milestones import project_milestones
from tasks.marts.review_changes import LOOKBACK, review_changes
from tasks.marts.review_notes import review_notes
from tasks.marts.review_signals import SIGNAL_LOOKBACK, review_signals
from tasks.marts.segment_daily import segment_daily
from tasks.marts.targets import targets

SLICE_DAYS = 92  # dates per slice of a long range: a quarter


def build_marts(valid: dict[str, pd.DataFrame], tz: str, start: dt.date, end: dt.date,
                effort: bool = True) -> dict[str, pd.DataFrame]:
    """Every output table for the as-of dates start … end (inclusive), keyed by table name;
    effort_weekly only with `effort`."""
    return marts_of(build_facts(valid, tz), start, end, effort)


def marts_of(facts: Facts, start: dt.date, end: dt.date, effort: bool = True) -> dict[str, pd.DataFrame]:
    """The tables of the dates start … end from the facts; the tables not by as-of date
    (effort_weekly, targets, review_notes and the dimensions of schemas/tables.py) only with `effort`."""
    grid = Grid.between(start, end)
    # the portfolio is computed further back so that review_changes has each date's week-ago value
    # and review_signals its 13 weekly values, whether or not those dates were ever written
    portfolio = portfolio_daily(facts, grid.shifted(max(LOOKBACK, SIGNAL_LOOKBACK)))
    dates = list(grid.dates.date)
    marts = {
        "portfolio_daily": portfolio[portfolio["as_of_date"].isin(dates)].reset_index(drop=True),
        "project_daily": project_daily(facts, grid),
        "funnel_by_channel_daily": funnel_by_channel_daily(facts, grid),
        "campaign_daily": campaign_daily(facts, grid),
        "segment_daily": segment_daily(facts, grid),
        "review_changes": review_changes(portfolio, dates),
        "review_signals": review_signals(portfolio, dates),
    }
    if effort:
        marts["effort_weekly"] = effort_weekly(facts)
        marts["project_directory"] = project_directory(facts)
        # the plan and the review's notes: METRICS.md's tables "not as-of: the valid rows"
        marts["targets"] = targets(facts)
        marts["review_notes"] = review_notes(facts)
        marts["campaign_spend_daily"] = campaign_spend_daily(facts)
        marts["project_milestones"] = project_milestones(facts)
        marts["project_licenses"] = project_licenses(facts)
        marts["feedback_responses"] = feedback_responses(facts)
    return marts


def slices(start: dt.date, end: dt.date, days: int = SLICE_DAYS) -> list[tuple[dt.date, dt.date]]:
    """start … end cut in consecutive ranges of at most `days` dates."""
    first = pd.date_range(start, end, freq=f"{days}D").date
    return [(s, min(s + dt.timedelta(days=days - 1), end)) for s in first]


class MartSlices:
    """The tables of a long range, computed a slice of dates at a time as they are iterated:
    (start, end, tables) per slice, the tables not by as-of date with the first (with `effort`). `portfolio` keeps the
    portfolio_daily rows seen (one small row per date) for the run's headline.

    A plain class on purpose (not a dataclass or a collection): an orchestrator passing it between
    steps leaves it as it is."""

    def __init__(self, facts: Facts, start: dt.date, end: dt.date, days: int = SLICE_DAYS, effort: bool = True):
        self.facts, self.start, self.end, self.ranges = facts, start, end, slices(start, end, days)
        self.effort = effort
        self._seen: list[pd.DataFrame] = []

    @property
    def portfolio(self) -> pd.DataFrame:
        return pd.concat(self._seen, ignore_index=True) if self._seen else pd.DataFrame()

    def __iter__(self) -> Iterator[tuple[dt.date, dt.date, dict[str, pd.DataFrame]]]:
        self._seen = []
        for i, (s, e) in enumerate(self.ranges):
            marts = marts_of(self.facts, s, e, effort=self.effort and i == 0)
            self._seen.append(marts["portfolio_daily"])
            yield s, e, marts
