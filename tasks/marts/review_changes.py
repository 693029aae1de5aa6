"""review_changes: every portfolio metric as of D beside its value as of D − 7."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from schemas.tables import REVIEW_CHANGES
from tasks.marts.calendar import ratio

LOOKBACK = 7


def review_changes(portfolio: pd.DataFrame, dates: list[dt.date]) -> pd.DataFrame:
    """`portfolio` must cover every date of `dates` and the date 7 days before each (the flow
    computes it over a grid widened by 7 days: the week-ago value need never have been written)."""
    long = portfolio.melt(id_vars="as_of_date", var_name="metric", value_name="value")
    long["value"] = long["value"].astype("float64")
    before = long.assign(as_of_date=long["as_of_date"] + dt.timedelta(days=LOOKBACK))
    out = long[long["as_of_date"].isin(dates)].merge(
        before.rename(columns={"value": "value_7d_ago"}), on=["as_of_date", "metric"], how="left")
    out["change"] = out["value"] - out["value_7d_ago"]
    out["change_pct"] = ratio(out["change"].to_numpy(), np.abs(out["value_7d_ago"].to_numpy()))
    return out.sort_values(["as_of_date", "metric"], ignore_index=True)[REVIEW_CHANGES.names]
