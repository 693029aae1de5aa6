"""The plan: a target per metric and month with the person who answers for it (`targets`).

Targets are what people would set for the generated company: the metric's level over the year
before the month, computed from the typed frames the other generators made (`Actuals`), moved by
the season for flows, stretched a few percent for what the team wants more of (growth included),
and rounded to the figures people type in a spreadsheet. A target of a `*_7d`/`*_30d`/`*_90d`
metric is the value aimed for at every date of its month (SOURCES.md), as the levels are. Owners are stable per metric;
the sales metrics change hands once, in July.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .schema import PORTFOLIO_METRICS
from .timeline import DAY, Timeline, seasonality

PLAN_MONTHS = 15  # the end date's month and the 14 before it


class Goal(NamedTuple):
    metric: str
    kind: str  # count, money, rate (0-1) or nps (points): how it is rounded and written in notes
    stretch: float  # above the level: relative for counts and money, in the metric's unit for rates and NPS
    team: str
    label: str  # how people call it in a note


GOALS = (
    Goal("leads_created_30d", "count", 0.10, "marketing", "Leads (30 days)"),
    Goal("leads_created_7d", "count", 0.10, "marketing", "Leads this week"),
    Goal("marketing_spend_30d", "money", 0.05, "marketing", "Marketing spend (30 days)"),  # a budget: growth only
    Goal("deals_won_30d", "count", 0.10, "sales", "Deals won (30 days)"),
    Goal("bookings_30d", "money", 0.12, "sales", "Bookings (30 days)"),
    Goal("bookings_7d", "money", 0.12, "sales", "Bookings this week"),
    Goal("new_customers_30d", "count", 0.10, "sales", "New customers (30 days)"),
    Goal("win_rate_90d", "rate", 0.02, "sales", "Win rate (90 days)"),
    Goal("on_time_delivery_rate_90d", "rate", 0.05, "delivery", "On-time delivery (90 days)"),
    # capacity: the hours the delivery team plans to bill each week (no stretch: more is not better)
    Goal("hours_7d", "count", 0.0, "delivery", "Hours logged this week"),
    Goal("nps_90d", "nps", 4.0, "success", "NPS (90 days)"),
)
GOAL = {g.metric: g for g in GOALS}
assert set(GOAL) <= set(PORTFOLIO_METRICS), set(GOAL) - set(PORTFOLIO_METRICS)

# team: its owner, or (owner until the handover, owner from it)
OWNERS = {"marketing": ("Li Wei (Marketing)",), "sales": ("Anna Schmidt (Sales)", "Daniel Okafor (Sales)"),
          "delivery": ("Priya Nair (Delivery)",), "success": ("Sofia Costa (Customer Success)",)}
HANDOVER_MONTH = 7  # July: Anna moves to partnerships, Daniel takes the sales numbers


def plan_months(tl: Timeline) -> np.ndarray:
    """The first days of the planned months, oldest first (datetime64[D])."""
    last = tl.end.astype("datetime64[M]")
    return (last - np.arange(PLAN_MONTHS - 1, -1, -1)).astype("datetime64[D]")


def handover(months: np.ndarray) -> np.datetime64:
    """The first July after the plan's first month (15 months always hold one)."""
    july = [m for m in months[1:] if m.astype("datetime64[M]").astype(int) % 12 + 1 == HANDOVER_MONTH]
    return july[0]


def owner_of(goal: Goal, month: np.datetime64, months: np.ndarray) -> str:
    people = OWNERS[goal.team]
    return people[-1] if len(people) > 1 and month >= handover(months) else people[0]


class Actuals:
    """Daily values of the planned metrics over the timeline, roughly as the pipeline computes them
    (METRICS.md), from the typed frames: UTC dates, and every row as generated (the pipeline leaves
    out the few quarantined ones)."""

    def __init__(self, tl: Timeline, typed: dict[str, pd.DataFrame]):
        self.tl, self.days = tl, tl.days()
        leads, deals = typed["leads"], typed["deals"]
        spend, projects, feedback = typed["marketing_spend"], typed["projects"], typed["feedback"]
        entries = typed["time_entries"]
        created = self._per_day(leads["created_at"])
        won = deals[deals["stage"] == "won"]
        closed = deals[deals["stage"].isin(["won", "lost"])]
        first_won = won.groupby("account_id")["closed_at"].min()
        delivered = projects[projects["status"] == "delivered"]
        on_time = delivered[delivered["actual_end_date"] <= delivered["planned_end_date"]]
        customer = feedback[feedback["respondent"] == "customer"]
        score = customer["score"].to_numpy()
        nps_net = self._per_day(customer["submitted_at"], np.where(score >= 9, 1.0, np.where(score <= 6, -1.0, 0.0)))
        responses = self._per_day(customer["submitted_at"])
        win_days = self._per_day(won["closed_at"])
        booked = self._per_day(won["closed_at"], won["amount"].to_numpy())
        w = self._window
        self.values = {
            "leads_created_30d": w(created, 30), "leads_created_7d": w(created, 7),
            "marketing_spend_30d": w(self._per_day(spend["spend_date"], spend["amount"].to_numpy()), 30),
            "deals_won_30d": w(win_days, 30), "bookings_30d": w(booked, 30), "bookings_7d": w(booked, 7),
            "new_customers_30d": w(self._per_day(first_won.to_numpy()), 30),
            "win_rate_90d": _ratio(w(win_days, 90), w(self._per_day(closed["closed_at"]), 90)),
            "on_time_delivery_rate_90d": _ratio(w(self._per_day(on_time["actual_end_date"]), 90),
                                                w(self._per_day(delivered["actual_end_date"]), 90)),
            "nps_90d": 100 * _ratio(w(nps_net, 90), w(responses, 90)),
            "hours_7d": w(self._per_day(entries["work_date"], entries["hours"].to_numpy()), 7),
        }

    def _per_day(self, when, weights=None) -> np.ndarray:
        d = np.asarray(when, dtype="datetime64[s]").astype("datetime64[D]")
        i = ((d - self.tl.start) / DAY)
        ok = ~np.isnan(i) & (i >= 0) & (i < len(self.days))
        wt = None if weights is None else np.asarray(weights, dtype=float)[ok]
        return np.bincount(i[ok].astype(np.int64), weights=wt, minlength=len(self.days)).astype(float)

    @staticmethod
    def _window(x: np.ndarray, days: int) -> np.ndarray:
        """Sum over the `days` days ending each date."""
        c = np.concatenate([[0.0], np.cumsum(x)])
        i = np.arange(1, len(x) + 1)
        return c[i] - c[np.maximum(i - days, 0)]

    def at(self, metric: str, day: np.datetime64) -> float:
        i = int((day - self.tl.start) / DAY)
        return float(self.values[metric][i]) if 0 <= i < len(self.days) else np.nan

    def planned_level(self, goal: Goal, month: np.datetime64) -> float:
        """The level a planner expects for the month: the mean of the year before it, for a flow
        moved by the season (SOURCES.md: the value at every date of the month)."""
        nxt = (month.astype("datetime64[M]") + 1).astype("datetime64[D]")
        inside = (self.days >= month) & (self.days < nxt)
        year = (self.days >= month - 365 * DAY) & (self.days < month)
        v = self.values[goal.metric][year]
        if not np.isfinite(v).any():
            return np.nan
        base = float(np.nanmean(v))
        if goal.kind not in ("count", "money"):
            return base
        season = self._window(seasonality(self.days), int(goal.metric.rsplit("_", 1)[1][:-1]))
        return base * float(season[inside].mean() / season[year].mean())


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(len(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def human(value: float, kind: str) -> float:
    """A figure as people plan it: whole counts (by fives from 20, two significant figures from
    200), money to two significant figures, rates in whole percent, NPS in whole points."""
    if kind == "rate":
        return round(min(max(value, 0.0), 0.99), 2)
    if kind == "nps":
        return float(round(min(max(value, -100.0), 100.0)))
    if kind == "count" and value < 20:
        return float(max(1, round(value)))
    if kind == "count" and value < 200:
        return float(round(value / 5) * 5)
    if value <= 0:
        return 0.0
    step = 10.0 ** (np.floor(np.log10(value)) - 1)
    return float(round(value / step) * step)


def make_targets(rng: np.random.Generator, tl: Timeline, actuals: Actuals) -> pd.DataFrame:
    """One row per planned metric and month: metric, month, target, owner (typed)."""
    months = plan_months(tl)
    rows = []
    for goal in GOALS:
        levels = np.array([actuals.planned_level(goal, m) for m in months])
        fallback = np.nanmean(levels) if np.isfinite(levels).any() else {"rate": 0.3, "nps": 30.0}.get(goal.kind, 1.0)
        for month, level in zip(months, levels, strict=True):
            level = fallback if np.isnan(level) else level
            if goal.kind in ("count", "money"):
                aim = level * (1 + goal.stretch + rng.normal(0, 0.02))
            else:
                aim = level + goal.stretch + rng.normal(0, 0.005 if goal.kind == "rate" else 1.0)
            rows.append((goal.metric, month, human(aim, goal.kind), owner_of(goal, month, months)))
    out = pd.DataFrame(rows, columns=["metric", "month", "target", "owner"])
    out["month"] = out["month"].to_numpy(dtype="datetime64[D]")
    return out


def target_of(targets: pd.DataFrame, metric: str, day: np.datetime64) -> tuple[float, str]:
    """The target and owner of `metric` in `day`'s month (NaN, "" without one)."""
    month = day.astype("datetime64[M]").astype("datetime64[D]")
    row = targets[(targets["metric"] == metric) & (targets["month"].to_numpy(dtype="datetime64[D]") == month)]
    return (float(row["target"].iloc[0]), str(row["owner"].iloc[0])) if len(row) else (np.nan, "")
