"""feedback_responses: every valid response with its comment, for the project pages (not a table
of METRICS.md: the words matter more than the score)."""
from __future__ import annotations

import pandas as pd

from schemas.tables import FEEDBACK_RESPONSES
from tasks.marts.calendar import dates_of
from tasks.marts.facts import Facts


def feedback_responses(facts: Facts) -> pd.DataFrame:
    f = facts.feedback
    out = f.assign(score=f["score"].astype("int64"), submitted_date=dates_of(f["day"]))
    return out.sort_values("feedback_id", ignore_index=True)[FEEDBACK_RESPONSES.names]
