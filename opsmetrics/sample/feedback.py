"""Feedback: the customer's voice (NPS-style survey answers, 0-10) and reviews by partners and
the delivery team, about the projects while they run and for half a year after.

Most responses are customers'. Scores are skewed as NPS surveys are (most 7-10, a tail of
detractors) and follow how the project went: overruns and cancellations bring detractors. Some
customer responses are about the relationship, not a project (no project_id).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .timeline import DAY, Timeline, at_time, hours, random_weekday

# respondent: share of the responses (the team's roles sum to about a fifth)
RESPONDENTS = {"customer": 0.74, "partner": 0.05, "project_manager": 0.06, "consultant": 0.04, "engineer": 0.04,
               "customer_success": 0.04, "sales": 0.015, "presales": 0.01, "operations": 0.005}
RESPONSES_PER_MONTH = 0.7  # per project, while it runs and for 6 months after
NO_PROJECT_SHARE = 0.15  # of customer responses: about the relationship
_COMMENTS = {
    "detractor": ("Delivery slipped again", "Too many change requests billed", "Support is slow to answer",
                  "Budget overrun, not happy", "The rollout disrupted our teams"),
    "passive": ("Works, but onboarding took long", "Good product, average service", "Reporting could be better",
                "OK overall"),
    "promoter": ("Great team, on time", "Our users love it", "Excellent support, fast answers",
                 "Would recommend to peers", "Smooth go-live, thanks!"),
}


def make_feedback(rng: np.random.Generator, tl: Timeline, projects: pd.DataFrame) -> pd.DataFrame:
    p = projects[projects["status"] != "planned"]
    start = p["_start"].to_numpy()
    finished = p["actual_end_date"].to_numpy()
    ends = np.where(np.isnat(finished), p["_stop"].to_numpy(), finished) + 180 * DAY
    last = np.minimum(ends, tl.end)
    months = np.maximum((last - start) / DAY + 1, 0) / 30.4
    n = rng.poisson(RESPONSES_PER_MONTH * months)
    idx = np.repeat(np.arange(len(p)), n)
    day = np.minimum(random_weekday(rng, start[idx], last[idx]), last[idx])
    submitted = np.minimum(at_time(rng, day, mean_hour=13.0, sd_hours=4.0), tl.cap)
    roles = list(RESPONDENTS)
    respondent = np.array(roles)[rng.choice(len(roles), size=len(idx), p=list(RESPONDENTS.values()))]
    # how the project went: overrun (1 = on budget) and cancellation lower the customer's mood
    overrun = p["_overrun"].to_numpy()[idx]
    cancelled = (p["status"] == "cancelled").to_numpy()[idx]
    mood = 9.0 - 5.0 * np.maximum(overrun - 1.0, 0) - 2.5 * cancelled
    customer = respondent == "customer"
    centre = np.where(customer, mood, np.where(respondent == "partner", 7.8, 7.2))
    score = np.clip(np.round(rng.normal(centre, np.where(customer, 1.7, 1.4))), 0, 10)
    project = p["project_id"].to_numpy()[idx].astype(object)
    project[customer & (rng.random(len(idx)) < NO_PROJECT_SHARE)] = ""
    n_rows = len(idx)
    updated = np.minimum(submitted + hours(rng.exponential(8, n_rows)), tl.cap)
    order = np.argsort(submitted, kind="stable")
    out = pd.DataFrame({
        "account_id": p["account_id"].to_numpy()[idx], "project_id": project, "respondent": respondent,
        "score": score, "comment": _comments(rng, score), "submitted_at": submitted, "updated_at": updated,
    }).iloc[order].reset_index(drop=True)
    out.insert(0, "feedback_id", np.char.add("FB-", np.char.zfill(np.arange(1, n_rows + 1).astype(str), 6)))
    return out


def _comments(rng: np.random.Generator, score: np.ndarray) -> np.ndarray:
    """A comment on about half the responses, in the tone of the score."""
    tone = np.where(score >= 9, "promoter", np.where(score <= 6, "detractor", "passive"))
    out = np.full(len(score), "", dtype=object)
    for name, texts in _COMMENTS.items():
        hit = np.flatnonzero(tone == name)
        out[hit] = np.array(texts, dtype=object)[rng.integers(0, len(texts), len(hit))]
    out[rng.random(len(score)) < 0.5] = ""
    return out
