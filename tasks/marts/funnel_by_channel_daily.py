"""funnel_by_channel_daily: the W90 lead cohort of each channel and what became of it."""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.sources import CHANNELS
from schemas.tables import FUNNEL_BY_CHANNEL_DAILY
from tasks.marts.calendar import Grid, Groups, count_cohort_reaching, count_in_window, ratio, sum_in_window
from tasks.marts.facts import Facts


def funnel_by_channel_daily(facts: Facts, grid: Grid) -> pd.DataFrame:
    leads, spend = facts.leads, facts.spend
    channel_of_lead, channel_of_spend = Groups.of(leads["channel"], CHANNELS), Groups.of(spend["channel"], CHANNELS)
    created = leads["created_day"]

    def cohort_reaching(step_day: str) -> np.ndarray:
        return count_cohort_reaching(created, leads[step_day], 90, grid, channel_of_lead)

    leads_90d = count_in_window(created, 90, grid, channel_of_lead)
    won_90d = cohort_reaching("won_day")
    spend_90d = sum_in_window(spend["day"], spend["amount"], 90, grid, channel_of_spend)
    # (channels × dates) matrices, raveled channel by channel
    out = pd.DataFrame({
        "as_of_date": np.tile(grid.dates.date, len(CHANNELS)),
        "channel": np.repeat(CHANNELS, grid.n),
        "leads_90d": leads_90d.ravel(),
        "qualified_90d": cohort_reaching("qualified_day").ravel(),
        "converted_90d": cohort_reaching("converted_day").ravel(),
        "won_90d": won_90d.ravel(),
        "spend_90d": spend_90d.ravel(),
        "cost_per_lead_90d": ratio(spend_90d, leads_90d).ravel(),
        "cost_per_win_90d": ratio(spend_90d, won_90d).ravel(),
    })
    return out.sort_values(["as_of_date", "channel"], ignore_index=True)[FUNNEL_BY_CHANNEL_DAILY.names]
