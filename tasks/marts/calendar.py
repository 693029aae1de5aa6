"""Dates as day numbers, and the one primitive every as-of metric is built on.

Every figure of METRICS.md is a sum, over facts, of a value that counts toward an *interval* of
as-of dates: a lead created on day c counts in W30 for D ∈ [c, c+29]; a deal is open for
D ∈ [created, closed−1]; a customer counts for D ∈ [first win, ∞). `spread` adds each fact's
weight over its interval with a difference array and one cumulative sum, so N as-of dates cost one
pass over the facts, not N recomputations.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

NEVER = np.int64(1 << 40)  # "no such date": an end that never comes, a start that never happens
EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Grid:
    """The as-of dates D of a run: `n` consecutive days from day number `first`."""

    first: int
    n: int

    @classmethod
    def between(cls, start: dt.date, end: dt.date) -> Grid:
        return cls(to_day(start), (end - start).days + 1)

    @property
    def days(self) -> np.ndarray:
        return np.arange(self.first, self.first + self.n, dtype="int64")

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.to_datetime(self.days, unit="D")

    def shifted(self, back: int) -> Grid:
        """The same last date, `back` more days at the start."""
        return Grid(self.first - back, self.n + back)


def to_day(d: dt.date) -> int:
    return (d - EPOCH).days


def days_of(values: pd.Series, tz: str | None = None) -> np.ndarray:
    """Day numbers of dates, or of timestamps' event dates in the business time zone `tz`.

    Missing values become NEVER.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert(tz or "UTC").dt.tz_localize(None)
    days = values.dt.floor("D").to_numpy(dtype="datetime64[D]", na_value=np.datetime64("NaT"))
    out = days.astype("int64")
    out[np.isnat(days)] = NEVER
    return out


def spread(lo: np.ndarray, hi: np.ndarray, grid: Grid, weight: np.ndarray | float = 1.0,
           group: np.ndarray | None = None, n_groups: int = 1) -> np.ndarray:
    """Σ weight of the facts whose interval [lo, hi] (inclusive) holds D, for every D of the grid.

    Returns an array (n_groups, grid.n); `group` gives each fact's row (0 … n_groups−1).
    """
    lo = np.maximum(np.asarray(lo, dtype="int64"), grid.first) - grid.first
    hi = np.minimum(np.asarray(hi, dtype="int64"), grid.first + grid.n - 1) - grid.first
    weight = np.broadcast_to(np.asarray(weight, dtype="float64"), lo.shape)
    group = np.zeros(lo.shape, dtype="int64") if group is None else np.asarray(group, dtype="int64")
    keep = lo <= hi
    diff = np.zeros((n_groups, grid.n + 1))
    np.add.at(diff, (group[keep], lo[keep]), weight[keep])
    np.add.at(diff, (group[keep], hi[keep] + 1), -weight[keep])
    return np.cumsum(diff, axis=1)[:, : grid.n]


def count(lo: np.ndarray, hi: np.ndarray, grid: Grid, group: np.ndarray | None = None,
          n_groups: int = 1) -> np.ndarray:
    """Like `spread` with weight 1, as integers."""
    return np.rint(spread(lo, hi, grid, 1.0, group, n_groups)).astype("int64")


def window(day: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The as-of dates whose window Wn holds `day`: [day, day + n − 1]."""
    day = np.asarray(day, dtype="int64")
    return day, day + (n - 1)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, null (NaN) where the denominator is 0 or null (METRICS.md, shared definitions)."""
    num, den = np.asarray(num, dtype="float64"), np.asarray(den, dtype="float64")
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=(den != 0) & ~np.isnan(den))
    return out


def sum_where(total: np.ndarray, n: np.ndarray) -> np.ndarray:
    """A money sum, exactly 0 where no fact contributes.

    A difference array adds and removes each weight, so an emptied window can keep a rounding
    residue (1e-10); the matching count says when the sum is over no rows at all.
    """
    return np.where(n > 0, total, 0.0)
