"""Licences delivered to started projects and their usage telemetry.

Usage is one reading per licence per week (on a weekday fixed per licence)
while it is live, and daily readings for the last 30 days: enough for the
"active users in the last 7 days" metric without millions of rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .timeline import DAY, NAT_D, Timeline, at_time, days_td, hours, lognormal_clipped, weekday

PRODUCTS = ("Analytics Suite", "Workflow Engine", "Data Connectors", "Mobile App", "Security Pack")


def make_licenses(rng: np.random.Generator, tl: Timeline, projects: pd.DataFrame,
                  accounts: pd.DataFrame) -> pd.DataFrame:
    started = projects[projects["status"] != "planned"]
    k = rng.choice([1, 2, 3, 4], size=len(started), p=[0.3, 0.35, 0.22, 0.13])
    # Distinct products per project: the first k of a random order.
    order = np.argsort(rng.random((len(started), len(PRODUCTS))), axis=1)
    proj = np.repeat(np.arange(len(started)), k)
    rank = np.arange(len(proj)) - np.repeat(np.cumsum(k) - k, k)
    product = np.array(PRODUCTS)[order[proj, rank]]
    p = started.iloc[proj]
    n = len(proj)
    start = np.minimum(p["_start"].to_numpy() + days_td(rng.uniform(-10, 60, n)), tl.end)
    term = rng.choice([0, 365, 730], size=n, p=[0.5, 0.35, 0.15])  # 0 = open-ended
    end = np.where(term > 0, start + (term - 1) * DAY, NAT_D)
    cancelled = (p["status"] == "cancelled").to_numpy()
    stop = p["actual_end_date"].to_numpy()
    start = np.where(cancelled, np.minimum(start, stop), start)
    end = np.where(cancelled, stop, end)
    size = accounts.set_index("account_id").loc[p["account_id"], "size"].to_numpy()
    seats = np.round(lognormal_clipped(rng, 120, 0.9, n, 10, 2000) * np.clip(size, 0.3, 3) ** 0.3)
    seats = np.clip(seats, 10, 2000)
    base = np.minimum(start + days_td(rng.uniform(0, 120, n)), tl.end)
    return pd.DataFrame({
        "license_id": np.char.add("LIC-", np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
        "project_id": p["project_id"].to_numpy(), "product": product, "seats": seats,
        "start_date": start, "end_date": end,
        "updated_at": np.minimum(at_time(rng, base) + hours(rng.exponential(12, n)), tl.cap),
        "_golive": p["_golive"].to_numpy(),
    })


def make_usage(rng: np.random.Generator, tl: Timeline, lic: pd.DataFrame) -> pd.DataFrame:
    start = lic["start_date"].to_numpy()
    live_end = np.where(np.isnat(lic["end_date"].to_numpy()), tl.end, np.minimum(lic["end_date"].to_numpy(), tl.end))
    daily_from = tl.end - 29 * DAY
    # Weekly readings up to the daily window, on the licence's own weekday.
    wd = rng.integers(0, 7, len(lic))
    first = start + ((wd - weekday(start)) % 7) * DAY
    last = np.minimum(live_end, daily_from - DAY)
    n_week = np.where(last >= first, (last - first) // (7 * DAY) + 1, 0)
    d_from = np.maximum(start, daily_from)
    n_day = np.where(live_end >= d_from, (live_end - d_from) // DAY + 1, 0)
    idx_w, off_w = _expand(n_week)
    idx_d, off_d = _expand(n_day)
    li = np.concatenate([idx_w, idx_d])
    dates = np.concatenate([first[idx_w] + 7 * off_w * DAY, d_from[idx_d] + off_d * DAY])
    return pd.DataFrame({"license_id": lic["license_id"].to_numpy()[li], "usage_date": dates,
                         "active_users": _active_users(rng, lic, li, dates)})


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row index repeated `counts` times and the 0-based position within each run."""
    counts = counts.astype(np.int64)
    idx = np.repeat(np.arange(len(counts)), counts)
    return idx, np.arange(len(idx)) - np.repeat(np.cumsum(counts) - counts, counts)


def _active_users(rng, lic, li, dates):
    """A pilot group before go-live, then adoption ramps towards a target
    share of the seats; weekends are quiet. Noise lets a few exceed seats."""
    seats = lic["seats"].to_numpy()[li]
    target = seats * rng.uniform(0.45, 0.95, len(lic))[li]
    tau = rng.uniform(20, 90, len(lic))[li]
    pilot = rng.uniform(0.03, 0.15, len(lic))[li]
    since = np.maximum((dates - lic["_golive"].to_numpy()[li]) / DAY, 0)
    level = target * (pilot + (1 - pilot) * (1 - np.exp(-since / tau)))
    level = level * rng.normal(1.0, 0.06, len(li)) * np.where(weekday(dates) >= 5, 0.35, 1.0)
    return np.maximum(np.round(level), 0).astype(np.int64)
