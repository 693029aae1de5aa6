"""segment_daily: bookings, win rate, pipeline, customers and projects per region and per industry."""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.tables import SEGMENT_DAILY
from tasks.marts.calendar import NEVER, Grid, count, ratio, spread, sum_where, window
from tasks.marts.facts import Facts
from tasks.marts.portfolio_daily import active_interval, first_win_by_account, open_pipeline, won_lost_90d

DIMENSIONS = ("region", "industry")


def segment_daily(facts: Facts, grid: Grid) -> pd.DataFrame:
    return pd.concat([_dimension(facts, grid, d) for d in DIMENSIONS], ignore_index=True)[SEGMENT_DAILY.names]


def _dimension(facts: Facts, grid: Grid, dimension: str) -> pd.DataFrame:
    deals, projects = facts.deals, facts.projects
    segments = np.sort(deals[dimension].unique())
    code = pd.Series(np.arange(len(segments)), index=segments)
    g, n = deals[dimension].map(code).to_numpy(), len(segments)
    # a segment has a row on D once one of its deals exists
    exists = count(deals["created"], np.full(len(deals), NEVER), grid, g, n) > 0
    won = deals["won"].to_numpy()
    n_won, n_closed = won_lost_90d(deals, grid, g, n)
    bookings = sum_where(spread(*window(deals["closed"][won], 90), grid, deals["amount"][won].to_numpy(), g[won], n),
                         n_won)
    _, pipeline = open_pipeline(deals, grid, g, n)
    accounts = first_win_by_account(deals, by=[dimension])
    customers = count(accounts["first_win"], np.full(len(accounts), NEVER), grid,
                      accounts[dimension].map(code).to_numpy(), n)
    # projects take their deal's segment; one whose segment no deal has cannot have a row
    p = projects[projects[dimension].isin(segments)]
    active = count(*active_interval(p), grid, p[dimension].map(code).to_numpy(), n)
    s, d = np.nonzero(exists)
    return pd.DataFrame({
        "as_of_date": grid.dates.date[d], "dimension": dimension, "segment": segments[s],
        "bookings_90d": bookings[s, d], "win_rate_90d": ratio(n_won, n_closed)[s, d],
        "open_pipeline_amount": pipeline[s, d], "customers_total": customers[s, d],
        "active_projects": active[s, d],
    }).sort_values(["as_of_date", "segment"], ignore_index=True)
