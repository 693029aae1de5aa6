"""segment_daily: bookings, win rate, pipeline, customers and projects per region and per industry."""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.tables import SEGMENT_DAILY
from tasks.marts.calendar import (
    Grid,
    Groups,
    count_in_window,
    count_per_day,
    count_to_date,
    ratio,
    sum_in_window,
    sum_per_day,
)
from tasks.marts.definitions import active, first_win_by_account, open_at
from tasks.marts.facts import Facts

DIMENSIONS = ("region", "industry")


def segment_daily(facts: Facts, grid: Grid) -> pd.DataFrame:
    rows = [_dimension(facts, grid, dimension) for dimension in DIMENSIONS]
    return pd.concat(rows, ignore_index=True)[SEGMENT_DAILY.names]


def _dimension(facts: Facts, grid: Grid, dimension: str) -> pd.DataFrame:
    """The rows of one dimension: per segment and date, from (segments × dates) matrices."""
    deals, projects = facts.deals, facts.projects
    accounts = first_win_by_account(deals, by=[dimension])
    segments = np.sort(deals[dimension].unique())

    def segment_of(frame: pd.DataFrame) -> Groups:
        return Groups.of(frame[dimension], segments)

    # a segment has a row on D once one of its deals exists
    exists = count_to_date(deals["created_day"], grid, segment_of(deals)) > 0
    bookings_90d = sum_in_window(deals["won_day"], deals["amount"], 90, grid, segment_of(deals))
    win_rate_90d = ratio(count_in_window(deals["won_day"], 90, grid, segment_of(deals)),
                         count_in_window(deals["closed_day"], 90, grid, segment_of(deals)))
    open_pipeline_amount = sum_per_day(open_at(deals), deals["amount"], grid, segment_of(deals))
    customers_total = count_to_date(accounts["first_win"], grid, segment_of(accounts))
    # projects take their deal's segment; one whose segment no deal has cannot have a row (no group)
    active_projects = count_per_day(active(projects), grid, segment_of(projects))
    segment, date = np.nonzero(exists)  # one output row per cell where the segment exists
    return pd.DataFrame({
        "as_of_date": grid.dates.date[date], "dimension": dimension, "segment": segments[segment],
        "bookings_90d": bookings_90d[segment, date], "win_rate_90d": win_rate_90d[segment, date],
        "open_pipeline_amount": open_pipeline_amount[segment, date],
        "customers_total": customers_total[segment, date], "active_projects": active_projects[segment, date],
    }).sort_values(["as_of_date", "segment"], ignore_index=True)
