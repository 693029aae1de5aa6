"""project_milestones: every valid milestone, for the project pages (not a table of METRICS.md)."""
from __future__ import annotations

import pandas as pd

from schemas.tables import PROJECT_MILESTONES
from tasks.marts.calendar import dates_of
from tasks.marts.facts import Facts


def project_milestones(facts: Facts) -> pd.DataFrame:
    m = facts.milestones
    out = m.assign(due_date=dates_of(m["due_day"]), completed_date=dates_of(m["completed_day"]))
    return out.sort_values("milestone_id", ignore_index=True)[PROJECT_MILESTONES.names]
