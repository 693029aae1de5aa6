"""review_notes: what past reviews said and decided, as the latest run read it (METRICS.md, "targets,
review_notes": not as-of, the valid rows of the optional entity of the same name, which every run that
writes it replaces whole; empty when the source has none). A copy, sorted by note_id; dates as dates
(None where a note has none), updated_at as the instant (UTC)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.tables import DATE, REVIEW_NOTES
from tasks.marts.facts import Facts


def review_notes(facts: Facts) -> pd.DataFrame:
    out = facts.review_notes.sort_values(list(REVIEW_NOTES.key), ignore_index=True)
    dates = {c.name: np.where(out[c.name].notna(), out[c.name].dt.date, None)
             for c in REVIEW_NOTES.columns if c.type == DATE}
    return out.assign(**dates)[REVIEW_NOTES.names]
