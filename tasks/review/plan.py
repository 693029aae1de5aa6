"""The plan and the review's memory, as the pack reads them: the targets of each metric and month
with their owners, and the notes and decisions of past reviews (the tables `targets` and
`review_notes`, METRICS.md; SOURCES.md for their meaning).

A target of a flow or window metric (`*_7d`, `*_30d`, `*_90d`) is the value aimed for at every date
of its month; of a level or rate, the value aimed for at the month's last day: either way the
target of a date is its month's (`Plan.at`). A team without a plan or notes has empty tables: the
pack then says "no plan" / "no notes", never 0.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

REVIEW_WEEK_DAYS = 6  # the review week of D: D − 6 … D
FOLLOW_UP_AHEAD_DAYS = 7  # open follow-ups due by D + 7 are listed


def month_of(days) -> pd.DatetimeIndex:
    """The first day of each date's month."""
    return pd.DatetimeIndex(pd.to_datetime(days)).to_period("M").to_timestamp()


@dataclass(frozen=True)
class Plan:
    """The targets (metric, month, target, owner), month as a timestamp of its first day."""

    targets: pd.DataFrame

    @classmethod
    def of(cls, targets: pd.DataFrame) -> Plan:
        if targets.empty:
            return cls(pd.DataFrame(columns=["metric", "month", "target", "owner"]))
        t = targets[["metric", "month", "target", "owner"]].copy()
        t["month"] = pd.to_datetime(t["month"])
        t["target"] = pd.to_numeric(t["target"], errors="coerce").astype("float64")
        return cls(t.reset_index(drop=True))

    @property
    def empty(self) -> bool:
        return self.targets.empty

    def has(self, metric: str) -> bool:
        return bool((self.targets["metric"] == metric).any())

    def at(self, metric: str, days) -> pd.DataFrame:
        """date, target, owner of `metric` at each of `days` (its month's; NaN/None without one)."""
        frame = pd.DataFrame({"date": pd.to_datetime(days), "month": month_of(days)})
        mine = self.targets[self.targets["metric"] == metric][["month", "target", "owner"]]
        return frame.merge(mine, on="month", how="left")[["date", "target", "owner"]]

    def target(self, metric: str, day: dt.date) -> float:
        return float(self.at(metric, [day])["target"].iloc[0])

    def owner(self, metric: str, day: dt.date) -> str | None:
        """Who answers for the metric in D's month; else its latest owner before; None if none."""
        mine = self.targets[(self.targets["metric"] == metric) & (self.targets["month"] <= month_of([day])[0])
                            & self.targets["owner"].notna()]
        return None if mine.empty else str(mine.sort_values("month")["owner"].iloc[-1])


@dataclass(frozen=True)
class Notes:
    """The review_notes rows (dates as timestamps), and the questions the pack asks of them."""

    rows: pd.DataFrame

    @classmethod
    def of(cls, notes: pd.DataFrame) -> Notes:
        columns = ["note_id", "noted_on", "metric", "subject", "owner", "decision", "note", "follow_up_by",
                   "closed_on", "updated_at"]
        n = notes.reindex(columns=columns).copy() if not notes.empty else pd.DataFrame(columns=columns)
        for column in ("noted_on", "follow_up_by", "closed_on"):
            n[column] = pd.to_datetime(n[column])
        return cls(n.sort_values(["noted_on", "note_id"], ignore_index=True))

    @property
    def empty(self) -> bool:
        return self.rows.empty

    def of_week(self, as_of: dt.date) -> pd.DataFrame:
        """The notes of the review week D − 6 … D."""
        day = pd.Timestamp(as_of)
        noted = self.rows["noted_on"]
        return self.rows[(noted >= day - pd.Timedelta(days=REVIEW_WEEK_DAYS)) & (noted <= day)]

    def on_metric(self, metric: str, as_of: dt.date) -> pd.DataFrame:
        week = self.of_week(as_of)
        return week[week["metric"] == metric]

    def open_follow_ups(self, as_of: dt.date) -> pd.DataFrame:
        """Follow-ups not closed by D (noted by D) and due by D + 7, overdue (due before D) first,
        then by due date; with `overdue`."""
        day = pd.Timestamp(as_of)
        r = self.rows
        open_ = r[r["follow_up_by"].notna() & (r["noted_on"] <= day) & ~(r["closed_on"] <= day)
                  & (r["follow_up_by"] <= day + pd.Timedelta(days=FOLLOW_UP_AHEAD_DAYS))]
        open_ = open_.assign(overdue=open_["follow_up_by"] < day)
        return open_.sort_values(["overdue", "follow_up_by", "note_id"], ascending=[False, True, True],
                                 ignore_index=True)

    def campaign_decisions(self, as_of: dt.date) -> pd.DataFrame:
        """Decisions (keep, drop, …) noted by D on a campaign, a subject `channel/campaign`: with
        `channel` and `campaign` split off (at the first "/": a campaign name may hold one)."""
        r = self.rows
        d = r[r["decision"].notna() & r["subject"].fillna("").str.contains("/")
              & (r["noted_on"] <= pd.Timestamp(as_of))].reset_index(drop=True)
        pairs = [campaign_of(s) for s in d["subject"]]
        return d.assign(channel=[p[0] for p in pairs], campaign=[p[1] for p in pairs])


def campaign_of(subject: object) -> tuple[str, str] | None:
    """A note's subject naming a campaign, `channel/campaign` (split at the first "/": a campaign
    name may hold one), as (channel, campaign); None for any other subject."""
    if not isinstance(subject, str) or "/" not in subject:
        return None
    channel, campaign = (part.strip() for part in subject.split("/", 1))
    return channel, campaign


def vs_plan(value: float, target: float) -> tuple[float, float]:
    """value − target, and value / target (null over a target of 0 or none)."""
    if target is None or np.isnan(target):
        return np.nan, np.nan
    return value - target, (value / target if target != 0 else np.nan)
