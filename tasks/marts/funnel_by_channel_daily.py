"""funnel_by_channel_daily: the W90 lead cohort of each channel and what became of it."""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.sources import CHANNELS
from schemas.tables import FUNNEL_BY_CHANNEL_DAILY
from tasks.marts.calendar import Grid, count, ratio, spread, sum_where, window
from tasks.marts.facts import Facts


def funnel_by_channel_daily(facts: Facts, grid: Grid) -> pd.DataFrame:
    leads, spend = facts.leads, facts.spend
    code = {c: i for i, c in enumerate(CHANNELS)}
    g, n = leads["channel"].map(code).to_numpy(), len(CHANNELS)
    c = leads["created"].to_numpy()

    def cohort_by(event: str) -> np.ndarray:
        # a cohort lead counts from the later of its creation and the event to the end of its W90
        return count(np.maximum(c, leads[event].to_numpy()), c + 89, grid, g, n)

    cohort = count(*window(c, 90), grid, g, n)
    won = cohort_by("won")
    sg = spend["channel"].map(code).to_numpy()
    spend_90 = sum_where(spread(*window(spend["day"], 90), grid, spend["amount"].to_numpy(), sg, n),
                         count(*window(spend["day"], 90), grid, sg, n))
    out = pd.DataFrame({
        "as_of_date": np.tile(grid.dates.date, n),
        "channel": np.repeat(CHANNELS, grid.n),
        "leads_90d": cohort.ravel(),
        "qualified_90d": cohort_by("qualified").ravel(),
        "converted_90d": cohort_by("converted").ravel(),
        "won_90d": won.ravel(),
        "spend_90d": spend_90.ravel(),
        "cost_per_lead_90d": ratio(spend_90, cohort).ravel(),
        "cost_per_win_90d": ratio(spend_90, won).ravel(),
    })
    return out.sort_values(["as_of_date", "channel"], ignore_index=True)[FUNNEL_BY_CHANNEL_DAILY.names]
