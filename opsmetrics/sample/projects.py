"""Delivery projects: one per won new/expansion deal (plus a few internal or
legacy ones without a deal), with a plan, a (usually late) real end and a budget.

Besides the canonical columns the frame carries latent columns (``_`` prefix)
that the children need: the hidden start of planned projects, go-live, the
real finish, when work stopped, and the cost overrun.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .timeline import DAY, NAT_D, Timeline, at_time, days_td, hours, lognormal_clipped, to_date, to_weekday

BLENDED_RATE = 108.0  # USD per hour across roles, used to turn budgets into hours
LABOUR_SHARE = 0.8  # of a project's budget; the rest is expenses
_INITIATIVES = ("Analytics rollout", "Workflow automation", "Data platform", "Mobile enablement",
                "Security hardening", "Customer portal", "ERP integration", "Reporting modernisation")


def make_projects(rng: np.random.Generator, tl: Timeline, deals: pd.DataFrame,
                  accounts: pd.DataFrame) -> pd.DataFrame:
    won = deals[(deals["stage"] == "won") & deals["deal_type"].isin(["new", "expansion"])]
    p = pd.DataFrame({
        "deal_id": won["deal_id"].to_numpy(), "account_id": won["account_id"].to_numpy(),
        "_amount": won["amount"].to_numpy(), "_expansion": (won["deal_type"] == "expansion").to_numpy(),
        "_start": to_date(won["closed_at"].to_numpy()) + days_td(rng.uniform(7, 45, len(won))),
    })
    p = pd.concat([p, _without_deal(rng, tl, accounts, max(1, round(0.04 * len(won))))], ignore_index=True)
    n = len(p)
    p["_start"] = to_weekday(p["_start"].to_numpy(), lo=p["_start"].to_numpy())
    _schedule(rng, tl, p)
    budget = np.round(p["_amount"].to_numpy() * rng.uniform(0.5, 0.75, n), -2)
    p["budget_cost"] = budget
    p["budget_hours"] = np.round(budget * LABOUR_SHARE / BLENDED_RATE, 1)
    # Real effort vs plan: most land near budget, a tail overruns it.
    p["_overrun"] = rng.lognormal(-0.05, 0.18, n)
    names = accounts.set_index("account_id").loc[p["account_id"], "account_name"].to_numpy()
    initiative = np.array(_INITIATIVES)[rng.integers(0, len(_INITIATIVES), n)]
    initiative = np.where(p["_expansion"], np.char.add(initiative.astype(str), " phase 2"), initiative)
    p["name"] = np.char.add(np.char.add(names.astype(str), " - "), initiative.astype(str))
    p = p.sort_values("_start", kind="stable").reset_index(drop=True)
    p["project_id"] = np.char.add("PRJ-", np.char.zfill(np.arange(1, n + 1).astype(str), 5))
    p["updated_at"] = _updated(rng, tl, p)
    return p


def _without_deal(rng, tl, accounts, n):
    """Internal and legacy projects: no deal, budget from a typical deal size."""
    return pd.DataFrame({
        "deal_id": "", "account_id": accounts["account_id"].to_numpy()[rng.integers(0, len(accounts), n)],
        "_amount": lognormal_clipped(rng, 300_000, 0.6, n, 40_000, 1_200_000), "_expansion": False,
        "_start": tl.sample_days(rng, n, growth=0.5, weekend=0.0) + 30 * DAY,
    })


def _schedule(rng, tl, p):
    """Plan 2-9 months; most projects slip; a few are cancelled or put on hold."""
    n, start, end = len(p), p["_start"].to_numpy(), tl.end
    dur = np.round(rng.uniform(2, 9, n) * 30.4).astype(np.int64) * DAY
    planned_end = start + dur
    slip = np.where(rng.random(n) < 0.35, -rng.uniform(0, 10, n),
                    lognormal_clipped(rng, 20, 0.8, n, 1, 150))
    true_end = planned_end + days_td(slip)
    cancel = start + days_td(rng.uniform(0.15, 0.8, n) * (dur / DAY))
    cancelled = (rng.random(n) < 0.04) & (cancel <= end)
    hold = (rng.random(n) < 0.08) & (true_end > end)
    status = np.select([start > end, cancelled, true_end <= end, hold],
                       ["planned", "cancelled", "delivered", "on_hold"], "active")
    p["status"] = status
    p["start_date"] = np.where((status == "planned") & (rng.random(n) < 0.3), NAT_D, start)
    p["planned_end_date"] = planned_end
    p["actual_end_date"] = np.select([status == "cancelled", status == "delivered"], [cancel, true_end], NAT_D)
    p["_true_end"] = true_end
    p["_golive"] = start + days_td(0.75 * ((true_end - start) / DAY))
    # The last day anyone works on it: cancellation, a hold, or simply today.
    hold_from = np.maximum(end - days_td(rng.uniform(14, 60, n)), start)
    p["_stop"] = np.select([status == "cancelled", status == "on_hold"], [cancel, hold_from], true_end + 90 * DAY)


def _updated(rng, tl, p):
    """Last touched: at the end for finished projects, recently for running ones."""
    n = len(p)
    recent = np.maximum(tl.end - days_td(rng.uniform(0, 30, n)), p["_start"].to_numpy())
    base = np.where(np.isnat(p["actual_end_date"].to_numpy()), recent, p["actual_end_date"].to_numpy())
    base = np.where(p["status"] == "planned", tl.end - days_td(rng.uniform(0, 20, n)), base)
    return np.minimum(at_time(rng, np.minimum(base, tl.end)) + hours(rng.exponential(12, n)), tl.cap)
