"""review_signals: what moved beyond its usual variation, an XmR process behaviour chart over 13
weekly values; one row per as-of date per analysed metric (METRICS.md, review_signals).

Analysed: the weekly flows of portfolio_daily (the `*_7d` columns, series `weekly`) and the weekly
change of six levels (series `weekly_change`), as SIGNAL_SERIES lists them. The rule, in the
contract's words:

For metric m at D, let x_k = m as of D − 7k (computed whether or not that date was ever written).
The series is v_k = x_k for `weekly`, k = 0 … 12, and v_k = x_k − x_(k+1) for `weekly_change`,
k = 0 … 11. v_0 is the latest week; the baseline is every older value (12 or 11 of them).
- centre = mean of the baseline; mR = mean of |v_k − v_(k+1)| over consecutive baseline values;
  upper_limit = centre + 2.66 × mR; lower_limit = centre − 2.66 × mR; the midways are centre ± 1.33 × mR.
- rule, the first that holds, in this order: `outside` (v_0 > upper_limit or v_0 < lower_limit);
  `three_of_four` (at least 3 of v_0 … v_3, v_0 among them, beyond the same midway: all > centre +
  1.33 × mR, or all < centre − 1.33 × mR); `eight_in_a_row` (v_0 … v_7 all > centre, or all < centre);
  otherwise null. When mR is 0 (every baseline week the same, e.g. a metric that stayed at 0) the
  rule is null: a flat baseline gives no limits to judge by.
- side: `up` when v_0 > centre, `down` when v_0 < centre, null when equal.

Every comparison is strict, and mR = 0 means exactly 0. A missing value (NaN) is not expected (the
analysed metrics are counts and sums, never null), but if one is among the 13 it makes the centre
and limits NaN where it enters them, and every comparison with NaN is false: no rule, no side.

Each date's 13 values are read with one fancy index into the portfolio, for all dates and metrics
at once: a (dates × weeks × metrics) array, no loop over dates.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from schemas.tables import REVIEW_SIGNALS, SIGNAL_RULES, SIGNAL_SERIES, SIGNAL_WEEKS, WEEKLY, WEEKLY_CHANGE

WEEKS = SIGNAL_WEEKS  # x_0 … x_12: the weekly values read per metric and date
# Days before D of the oldest value read, x_12 at D − 84. Both series need it: `weekly` has v_12 =
# x_12, and `weekly_change` has v_11 = x_11 − x_12. The portfolio must cover min(dates) − 84 on.
SIGNAL_LOOKBACK = 7 * (WEEKS - 1)
LIMIT, MIDWAY = 2.66, 1.33  # × mR from the centre: the limits, and the midways of three_of_four


def review_signals(portfolio: pd.DataFrame, dates: list[dt.date]) -> pd.DataFrame:
    """The chart of every SIGNAL_SERIES metric as of each of `dates`, sorted by as_of_date, metric.

    `portfolio` is portfolio_daily for every day from min(dates) − SIGNAL_LOOKBACK to max(dates)
    (the flow computes it over a widened grid: the weeks before need never have been written); its
    other columns are ignored. A day missing from it is an error, not a shorter baseline.
    """
    dates = sorted(set(dates))
    days = _day_numbers(portfolio["as_of_date"])
    order = np.argsort(days, kind="stable")
    days = days[order]
    wanted = _day_numbers(dates)[:, None] - 7 * np.arange(WEEKS)  # (dates × weeks): the day of x_k
    missing = ~np.isin(wanted, days)
    if missing.any():
        absent = sorted({str(np.datetime64(int(d), "D")) for d in wanted[missing]})
        raise ValueError(f"review_signals: portfolio lacks {len(absent)} as-of dates it needs: {absent[:5]} ...")
    metrics = list(SIGNAL_SERIES)
    values = portfolio[metrics].to_numpy(dtype="float64", na_value=np.nan)[order]
    x = values[np.searchsorted(days, wanted)]  # (dates × weeks × metrics): x[i, k, j] = metric j as of D_i − 7k
    parts = []
    for series in (WEEKLY, WEEKLY_CHANGE):
        cols = [j for j, m in enumerate(metrics) if SIGNAL_SERIES[m] == series]
        xs = x[:, :, cols]
        v = xs if series == WEEKLY else xs[:, :-1] - xs[:, 1:]
        parts.append(_rows(dates, [metrics[j] for j in cols], series, _chart(v)))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["as_of_date", "metric"], ignore_index=True)[REVIEW_SIGNALS.names]


def _chart(v: np.ndarray) -> dict[str, np.ndarray]:
    """The chart of v (dates × weeks × metrics, v_0 first along weeks): value, centre, limits, rule
    and side, each (dates × metrics)."""
    latest, baseline = v[:, 0], v[:, 1:]
    centre = baseline.mean(axis=1)
    moving_range = np.abs(np.diff(baseline, axis=1)).mean(axis=1)
    upper, lower = centre + LIMIT * moving_range, centre - LIMIT * moving_range
    high, low = centre + MIDWAY * moving_range, centre - MIDWAY * moving_range
    last4, last8 = v[:, :4], v[:, :8]
    holds = {
        "outside": (latest > upper) | (latest < lower),
        # v_0 beyond a midway, and with it at least two of v_1 … v_3 beyond that same one
        "three_of_four": ((latest > high) & ((last4 > high[:, None]).sum(axis=1) >= 3))
        | ((latest < low) & ((last4 < low[:, None]).sum(axis=1) >= 3)),
        "eight_in_a_row": (last8 > centre[:, None]).all(axis=1) | (last8 < centre[:, None]).all(axis=1),
    }
    rule = np.full(latest.shape, None, dtype=object)
    for name in reversed(SIGNAL_RULES):  # the first rule that holds is written last, over the others
        rule[holds[name]] = name
    # a flat baseline has limits equal to its centre: any other v_0 would be "outside" by nothing
    rule[moving_range == 0] = None
    side = np.full(latest.shape, None, dtype=object)
    side[latest > centre] = "up"
    side[latest < centre] = "down"
    return {"value": latest, "centre": centre, "lower_limit": lower, "upper_limit": upper, "rule": rule, "side": side}


def _rows(dates: list[dt.date], metrics: list[str], series: str, chart: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per date per metric from (dates × metrics) arrays; rule and side stay Python str or
    None (object), not pandas' string dtype with NaN."""
    n, m = len(dates), len(metrics)
    return pd.DataFrame({
        "as_of_date": np.repeat(np.array(dates, dtype=object), m),
        "metric": np.tile(np.array(metrics), n),
        "series": series,
        **{c: chart[c].reshape(-1).astype("float64") for c in ("value", "centre", "lower_limit", "upper_limit")},
        **{c: pd.Series(chart[c].reshape(-1), dtype=object) for c in ("rule", "side")},
    })


def _day_numbers(dates: pd.Series | list[dt.date]) -> np.ndarray:
    """Dates (datetime.date, or timestamps) as days since 1970-01-01."""
    return np.array(dates, dtype="datetime64[D]").astype("int64")
