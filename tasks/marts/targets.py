"""targets: the plan, as the latest run read it (METRICS.md, "targets, review_notes": not as-of, the
valid rows of the optional entity of the same name, which every run that writes it replaces whole;
empty when the source has none). A copy, sorted by its key (metric, month); months as dates."""
from __future__ import annotations

import pandas as pd

from schemas.tables import TARGETS
from tasks.marts.facts import Facts


def targets(facts: Facts) -> pd.DataFrame:
    out = facts.targets.sort_values(list(TARGETS.key), ignore_index=True)
    return out.assign(month=out["month"].dt.date)[TARGETS.names]  # required: never missing
