"""campaign_daily: the W90 lead cohort of each (channel, campaign), what became of it, and what it cost.

One row per as-of date per (channel, campaign) with a lead created or a spend row dated in W90, read
off (pairs × dates) matrices where either count is positive. Campaigns are compared as staging leaves
them: trimmed, case-sensitive, `unknown` where missing (so a campaign named `unknown` is a missing one).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.tables import CAMPAIGN_DAILY
from tasks.marts.calendar import (
    Grid,
    Groups,
    count_in_window,
    from_day,
    in_window,
    overlap,
    ratio,
    sum_per_day,
)
from tasks.marts.definitions import funnel_90d
from tasks.marts.facts import Facts

PAIR = ["channel", "campaign"]


def campaign_daily(facts: Facts, grid: Grid) -> pd.DataFrame:
    leads, spend = facts.leads, facts.spend
    pairs = pd.concat([leads[PAIR], spend[PAIR]]).drop_duplicates().sort_values(PAIR, ignore_index=True)
    of_lead, of_spend = Groups.of_rows(leads, pairs), Groups.of_rows(spend, pairs)
    funnel = funnel_90d(leads, spend, grid, of_lead, of_spend)
    # every valid won deal beside its lead (deals.lead_id of no valid lead match none): its amount
    # counts while the lead is in the cohort and the deal is won by D, whenever it closed, so a lead
    # with two won deals adds both amounts
    won = facts.deals.loc[facts.deals["is_won"], ["lead_id", "won_day", "amount"]].merge(
        leads[["lead_id", "created_day", *PAIR]], on="lead_id")
    in_cohort_and_won = overlap(in_window(won["created_day"], 90), from_day(won["won_day"]))
    cohort_won_amount = sum_per_day(in_cohort_and_won, won["amount"], grid, Groups.of_rows(won, pairs))
    # a row where the pair has a lead created, or a spend row dated, in W90 (a spend of 0 counts)
    pair, date = np.nonzero((funnel.leads > 0) | (count_in_window(spend["day"], 90, grid, of_spend) > 0))

    def at(matrix: np.ndarray) -> np.ndarray:
        return matrix[pair, date]

    out = pd.DataFrame({
        "as_of_date": grid.dates.date[date],
        "channel": pairs["channel"].to_numpy()[pair],
        "campaign": pairs["campaign"].to_numpy()[pair],
        "leads_90d": at(funnel.leads),
        "qualified_90d": at(funnel.qualified),
        "converted_90d": at(funnel.converted),
        "won_90d": at(funnel.won),
        "cohort_won_amount": at(cohort_won_amount),
        "spend_90d": at(funnel.spend),
        "cost_per_lead_90d": at(funnel.cost_per_lead),
        "cost_per_win_90d": at(funnel.cost_per_win),
        "return_on_spend_90d": at(ratio(cohort_won_amount, funnel.spend)),
    })
    return out.sort_values(["as_of_date", *PAIR], ignore_index=True)[CAMPAIGN_DAILY.names]
