"""funnel_by_channel_daily: the W90 lead cohort of each channel and what became of it."""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.sources import CHANNELS
from schemas.tables import FUNNEL_BY_CHANNEL_DAILY
from tasks.marts.calendar import Grid, Groups
from tasks.marts.definitions import funnel_90d
from tasks.marts.facts import Facts


def funnel_by_channel_daily(facts: Facts, grid: Grid) -> pd.DataFrame:
    leads, spend = facts.leads, facts.spend
    funnel = funnel_90d(leads, spend, grid, Groups.of(leads["channel"], CHANNELS), Groups.of(spend["channel"], CHANNELS))
    # (channels × dates) matrices, raveled channel by channel
    out = pd.DataFrame({
        "as_of_date": np.tile(grid.dates.date, len(CHANNELS)),
        "channel": np.repeat(CHANNELS, grid.n),
        "leads_90d": funnel.leads.ravel(),
        "qualified_90d": funnel.qualified.ravel(),
        "converted_90d": funnel.converted.ravel(),
        "won_90d": funnel.won.ravel(),
        "spend_90d": funnel.spend.ravel(),
        "cost_per_lead_90d": funnel.cost_per_lead.ravel(),
        "cost_per_win_90d": funnel.cost_per_win.ravel(),
    })
    return out.sort_values(["as_of_date", "channel"], ignore_index=True)[FUNNEL_BY_CHANNEL_DAILY.names]
