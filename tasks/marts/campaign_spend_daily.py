"""campaign_spend_daily: the valid spend summed per day, channel and campaign (not a table of
METRICS.md: the review pack reads it to say what a campaign decided `drop` still spent since)."""
from __future__ import annotations

import pandas as pd

from schemas.tables import CAMPAIGN_SPEND_DAILY
from tasks.marts.calendar import dates_of
from tasks.marts.facts import Facts


def campaign_spend_daily(facts: Facts) -> pd.DataFrame:
    out = facts.spend.groupby(["day", "channel", "campaign"], as_index=False, sort=True)["amount"].sum()
    out["spend_date"] = dates_of(out["day"])
    return out[CAMPAIGN_SPEND_DAILY.names]
