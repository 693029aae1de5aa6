"""Project expenses (everything but labour) and marketing spend."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .campaigns import spend_campaigns
from .projects import LABOUR_SHARE
from .schema import CHANNELS
from .timeline import DAY, Timeline, at_time, days_td, hours, lognormal_clipped, random_weekday

# category: (share of expenses, median USD, sigma, min, max)
_CATEGORIES = {"travel": (0.6, 900, 0.7, 30, 15_000), "software": (0.15, 2_000, 0.8, 100, 50_000),
               "hardware": (0.15, 3_500, 0.9, 100, 80_000), "subcontractor": (0.10, 8_000, 0.8, 1_000, 150_000)}


def make_expenses(rng: np.random.Generator, tl: Timeline, projects: pd.DataFrame) -> pd.DataFrame:
    """A few expenses per project and month while it runs; amounts scaled so a
    project's expenses land near the non-labour part of its budget."""
    p = projects[projects["status"] != "planned"]
    start = p["_start"].to_numpy()
    stop = np.minimum(np.where(np.isnat(p["actual_end_date"].to_numpy()), p["_stop"].to_numpy(),
                               p["actual_end_date"].to_numpy()), tl.end)
    span = np.maximum((stop - start) / DAY + 1, 1)
    n = rng.poisson(2.5 * span / 30.4)
    idx = np.repeat(np.arange(len(p)), n)
    date = np.minimum(random_weekday(rng, start[idx], stop[idx]), stop[idx])
    cats = list(_CATEGORIES)
    c = rng.choice(len(cats), size=len(idx), p=[_CATEGORIES[k][0] for k in cats])
    raw = np.empty(len(idx))
    for i, k in enumerate(cats):
        m = c == i
        _, median, sigma, lo, hi = _CATEGORIES[k]
        raw[m] = lognormal_clipped(rng, median, sigma, int(m.sum()), lo, hi)
    target = p["budget_cost"].to_numpy() * (1 - LABOUR_SHARE) * p["_overrun"].to_numpy() * (span / np.maximum(
        (p["_true_end"].to_numpy() - start) / DAY, 1)).clip(0, 1)
    per_project = np.bincount(idx, weights=raw, minlength=len(p))
    factor = np.clip(target / np.maximum(per_project, 1), 0.3, 3.0)
    amount = np.round(raw * factor[idx], 2)
    order = np.lexsort((idx, date))
    n_rows = len(idx)
    return pd.DataFrame({
        "expense_id": np.char.add("EX-", np.char.zfill(np.arange(1, n_rows + 1).astype(str), 6)),
        "project_id": p["project_id"].to_numpy()[idx][order], "expense_date": date[order],
        "category": np.array(cats)[c][order], "amount": amount[order],
        "updated_at": np.minimum(at_time(rng, date[order] + days_td(rng.exponential(5, n_rows)))
                                 + hours(rng.exponential(12, n_rows)), tl.cap),
    })


# channel: (spend rows per week at scale 1, median USD per row); the campaigns are campaigns.py's
_SPEND = {
    "paid_ads": (3.0, 10_000), "content": (2.0, 5_000), "event": (0.5, 60_000), "website": (1.0, 3_000),
    "partner": (1.0, 12_000), "outbound": (1.0, 6_000), "referral": (0.5, 4_000), "other": (0.3, 3_000),
}
assert set(_SPEND) == set(CHANNELS)


def make_marketing_spend(rng: np.random.Generator, tl: Timeline, scale: float) -> pd.DataFrame:
    parts = []
    weeks = tl.n_days / 7
    for ch, (per_week, median) in _SPEND.items():
        n = max(1, int(rng.poisson(per_week * weeks * scale)))
        d = tl.sample_days(rng, n, growth=0.4, weekend=0.0)  # booked on weekdays
        campaign, cost = spend_campaigns(rng, ch, n)
        parts.append(pd.DataFrame({"spend_date": d, "channel": ch, "campaign": campaign,
                                   "amount": np.round(lognormal_clipped(rng, median, 0.6, n, 100, 500_000) * cost, 2)}))
    s = pd.concat(parts, ignore_index=True).sort_values(["spend_date", "channel"], kind="stable")
    s = s.reset_index(drop=True)
    n = len(s)
    s["spend_id"] = np.char.add("SP-", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    # Ad platforms report a day or two late.
    s["updated_at"] = np.minimum(at_time(rng, s["spend_date"].to_numpy() + days_td(rng.uniform(0, 3, n))), tl.cap)
    return s
