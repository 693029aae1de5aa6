"""effort_weekly: hours and labour cost per week, project, role and phase (all valid entries)."""
from __future__ import annotations

import pandas as pd

from schemas.tables import EFFORT_WEEKLY
from tasks.marts.facts import Facts


def effort_weekly(facts: Facts) -> pd.DataFrame:
    e = facts.entries
    week = (e["work_date"] - pd.to_timedelta(e["work_date"].dt.day_of_week, unit="D")).dt.date
    out = (e.assign(week_start=week)
           .groupby(["week_start", "project_id", "role", "phase"], as_index=False)
           .agg(hours=("hours", "sum"), labour_cost=("cost", "sum")))
    return out[EFFORT_WEEKLY.names]
