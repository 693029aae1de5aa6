"""campaign_daily: the two lead cohorts of each (channel, campaign), what became of them, and what they cost.

One row per as-of date per (channel, campaign) with a lead created or a spend row dated in W90 or P90,
read off (pairs × dates) matrices where either count is positive. Campaigns are compared as staging
leaves them: trimmed, case-sensitive, `unknown` where missing (so a campaign named `unknown` is a
missing one).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.tables import CAMPAIGN_DAILY
from tasks.marts.calendar import Grid, Groups, count_in_window
from tasks.marts.definitions import campaign_measures
from tasks.marts.facts import Facts

PAIR = ["channel", "campaign"]


def campaign_daily(facts: Facts, grid: Grid) -> pd.DataFrame:
    leads, spend = facts.leads, facts.spend
    pairs = pd.concat([leads[PAIR], spend[PAIR]]).drop_duplicates().sort_values(PAIR, ignore_index=True)
    of_lead, of_spend = Groups.of_rows(leads, pairs), Groups.of_rows(spend, pairs)
    m = campaign_measures(leads, facts.deals, spend, grid, of_lead, of_spend)
    # a row where the pair has a lead created, or a spend row dated (a spend of 0 counts: a count,
    # not the sums), in W90 or P90: together they are the 180 days ending D
    pair, date = np.nonzero((m.leads + m.leads_prior > 0) | (count_in_window(spend["day"], 180, grid, of_spend) > 0))

    def at(matrix: np.ndarray) -> np.ndarray:
        return matrix[pair, date]

    out = pd.DataFrame({
        "as_of_date": grid.dates.date[date],
        "channel": pairs["channel"].to_numpy()[pair],
        "campaign": pairs["campaign"].to_numpy()[pair],
        **{column: at(matrix) for column, matrix in m.columns().items()},
    })
    return out.sort_values(["as_of_date", *PAIR], ignore_index=True)[CAMPAIGN_DAILY.names]
