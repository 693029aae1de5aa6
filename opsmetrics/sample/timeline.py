"""Calendar helpers shared by the generators: the covered period, seasonality,
weekdays and times of day. Dates are numpy ``datetime64[D]``, instants
``datetime64[s]`` (UTC); NaT means "not happened (yet)"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

DAY = np.timedelta64(1, "D")
HOUR = np.timedelta64(3600, "s")
NAT_D = np.datetime64("NaT", "D")
NAT_S = np.datetime64("NaT", "s")


@dataclass(frozen=True)
class Timeline:
    end: np.datetime64  # the last covered date (D)
    start: np.datetime64  # first covered date, about three years earlier

    @classmethod
    def ending(cls, end_date: dt.date, years: int = 3) -> Timeline:
        end = np.datetime64(end_date.isoformat(), "D")
        return cls(end=end, start=end - np.timedelta64(365 * years, "D"))

    @property
    def cap(self) -> np.datetime64:
        # Latest instant an event may carry: 15:00 UTC keeps its calendar date
        # <= end even when written as, or read in, UTC+08:00.
        return self.end.astype("datetime64[s]") + 15 * HOUR

    @property
    def n_days(self) -> int:
        return int((self.end - self.start) / DAY) + 1

    def days(self) -> np.ndarray:
        return self.start + np.arange(self.n_days) * DAY

    def day_weights(self, growth: float, weekend: float) -> np.ndarray:
        """Relative activity per day: a linear growth trend, B2B seasonality
        (busy Q1/Q4, quiet August and the Christmas weeks), quiet weekends."""
        d = self.days()
        t = np.arange(len(d)) / max(len(d) - 1, 1)
        w = (1.0 + growth * t) * seasonality(d)
        w = np.where(weekday(d) >= 5, w * weekend, w)
        return w / w.sum()

    def sample_days(self, rng: np.random.Generator, n: int, growth: float = 0.6,
                    weekend: float = 0.25) -> np.ndarray:
        return rng.choice(self.days(), size=n, p=self.day_weights(growth, weekend))


_MONTH_FACTOR = np.array([1.0, 1.25, 1.2, 1.15, 1.0, 1.0, 0.95, 0.85, 0.55, 1.05, 1.15, 1.2, 1.05])


def seasonality(d: np.ndarray) -> np.ndarray:
    month = month_of(d)
    f = _MONTH_FACTOR[month]
    day_of_month = (d - d.astype("datetime64[M]").astype("datetime64[D]")) / DAY + 1
    return np.where((month == 12) & (day_of_month >= 20), 0.35, f)


def month_of(d: np.ndarray) -> np.ndarray:
    return d.astype("datetime64[M]").astype(np.int64) % 12 + 1


def weekday(d: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return (d.astype("datetime64[D]").astype(np.int64) + 3) % 7


def to_weekday(d: np.ndarray, lo: np.ndarray | None = None) -> np.ndarray:
    """Move weekend dates back to Friday, or forward to Monday when Friday
    would fall before ``lo`` (the start of the window the date belongs to)."""
    wd = weekday(d)
    back = d - np.where(wd >= 5, wd - 4, 0) * DAY
    if lo is None:
        return back
    fwd = d + np.where(wd >= 5, 7 - wd, 0) * DAY
    return np.where(back < lo, fwd, back)


def random_weekday(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniformly random Monday-Friday date in [lo, hi] per row (hi + 1 when
    the window has no weekday; callers drop dates beyond their window)."""
    lo, hi = lo.astype("datetime64[D]"), hi.astype("datetime64[D]")
    n_bd = np.busday_count(lo, np.maximum(hi + DAY, lo))
    j = np.floor(rng.random(len(lo)) * n_bd).astype(np.int64)
    return np.where(n_bd > 0, np.busday_offset(lo, j, roll="forward"), hi + DAY)


def at_time(rng: np.random.Generator, days: np.ndarray, mean_hour: float = 14.0,
            sd_hours: float = 3.0) -> np.ndarray:
    """Instants on the given dates at a business-ish hour of the day (UTC)."""
    secs = np.clip(rng.normal(mean_hour, sd_hours, len(days)), 0.0, 23.99) * 3600
    return days.astype("datetime64[s]") + secs.astype(np.int64) * np.timedelta64(1, "s")


def hours(x: np.ndarray) -> np.ndarray:
    """Float hours as a timedelta64[s] array."""
    return (np.asarray(x) * 3600).astype(np.int64) * np.timedelta64(1, "s")


def days_td(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x)).astype(np.int64) * DAY


def to_date(ts: np.ndarray) -> np.ndarray:
    return ts.astype("datetime64[D]")


def lognormal_clipped(rng: np.random.Generator, median: float, sigma: float, n: int,
                      lo: float, hi: float) -> np.ndarray:
    return np.clip(rng.lognormal(np.log(median), sigma, n), lo, hi)


def yesterday_utc() -> dt.date:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date()
