"""funnel_by_channel_daily: the measures of campaign_daily for the whole channel, whatever the campaign.

One row per as-of date per channel, all eight, whether or not the channel has leads or spend.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.sources import CHANNELS
from schemas.tables import FUNNEL_BY_CHANNEL_DAILY
from tasks.marts.calendar import Grid, Groups
from tasks.marts.definitions import campaign_measures
from tasks.marts.facts import Facts


def funnel_by_channel_daily(facts: Facts, grid: Grid) -> pd.DataFrame:
    leads, spend = facts.leads, facts.spend
    m = campaign_measures(leads, facts.deals, spend, grid, Groups.of(leads["channel"], CHANNELS),
                          Groups.of(spend["channel"], CHANNELS))

    def at(matrix: np.ndarray) -> np.ndarray:
        return matrix.ravel()  # (channels × dates) matrices, raveled channel by channel

    out = pd.DataFrame({
        "as_of_date": np.tile(grid.dates.date, len(CHANNELS)),
        "channel": np.repeat(CHANNELS, grid.n),
        **{column: at(matrix) for column, matrix in m.columns().items()},
    })
    return out.sort_values(["as_of_date", "channel"], ignore_index=True)[FUNNEL_BY_CHANNEL_DAILY.names]
