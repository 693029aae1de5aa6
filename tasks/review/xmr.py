"""The process-behaviour (XmR) rule of "What changed": did a metric's latest week move outside its
normal week-to-week variation?

The series is the metric's value as of D, D − 7, … D − 84: 13 weekly values, oldest first. The
limits come from the 12 weeks before the latest, so the week under test does not widen its own
limits: the natural process limits are mean ± 2.66 × mean moving range (the mean of the absolute
differences between consecutive weekly values; 2.66 = 3 / 1.128, d2 for ranges of two points, so
the limits are the mean ± 3 sigma as estimated from the moving ranges). The latest week is a
signal when it lies outside the limits (strictly above the upper or below the lower one).
Unpublished weeks and null values are left out; fewer than MIN_BASELINE values before the latest,
or no latest value, is "not enough history".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

WEEKS = 13  # the latest week and the 12 before it
SCALE = 2.66  # 3 / d2, d2 = 1.128 for moving ranges of two consecutive points
MIN_BASELINE = 6  # values needed before the latest for limits worth the name

Signal = Literal["above", "below"]


@dataclass(frozen=True)
class XmR:
    latest: float  # NaN: no value for the latest week
    previous: float  # the week before the latest (NaN if none): the week-over-week change's base
    mean: float  # of the baseline (the weeks before the latest); NaN when there is not enough history
    mean_moving_range: float
    lower: float  # natural process limits: mean ± SCALE × mean_moving_range
    upper: float
    signal: Signal | None  # the latest value above the upper limit or below the lower one
    baseline: int  # how many values the limits come from

    @property
    def enough(self) -> bool:
        return self.baseline >= MIN_BASELINE and not np.isnan(self.latest)

    @property
    def change(self) -> float:
        return self.latest - self.previous


def xmr(values: np.ndarray | list[float]) -> XmR:
    """The rule over `values`, oldest first, the week under test last (NaN: no value that week)."""
    series = np.asarray(values, dtype="float64")
    latest = float(series[-1]) if len(series) else np.nan
    previous = float(series[-2]) if len(series) > 1 else np.nan
    baseline = series[:-1][~np.isnan(series[:-1])]
    if len(baseline) < MIN_BASELINE or np.isnan(latest):
        return XmR(latest, previous, np.nan, np.nan, np.nan, np.nan, None, len(baseline))
    mean = float(baseline.mean())
    moving_range = float(np.abs(np.diff(baseline)).mean())
    lower, upper = mean - SCALE * moving_range, mean + SCALE * moving_range
    signal: Signal | None = "above" if latest > upper else "below" if latest < lower else None
    return XmR(latest, previous, mean, moving_range, lower, upper, signal, len(baseline))
