"""Backfill: every table of METRICS.md for every as-of date of a range, in one pass over the data."""
from __future__ import annotations

import datetime as dt

from prefect import flow

from flows.refresh import RunResult, refresh
from opsmetrics.settings import SettingsError, load_settings

MAX_DAYS = 3660  # ten years: a typo in a year is caught before it computes a century


def check_range(start_date: object, end_date: object) -> tuple[dt.date, dt.date]:
    """Dates as `datetime.date`, or a clear error (Prefect does not reject "not-a-date" by itself)."""
    out = []
    for name, value in (("start_date", start_date), ("end_date", end_date)):
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                raise SettingsError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
        if not isinstance(value, dt.date):
            raise SettingsError(f"{name}: {value!r} is not a date (YYYY-MM-DD)")
        out.append(value)
    start, end = out
    if start > end:
        raise SettingsError(f"start_date {start} is after end_date {end}")
    if (end - start).days + 1 > MAX_DAYS:
        raise SettingsError(f"{start} … {end} is {(end - start).days + 1} dates; at most {MAX_DAYS} in one backfill")
    return start, end


@flow(name="backfill", log_prints=True)
def backfill(start_date: dt.date, end_date: dt.date, config: str | None = None, source_dir: str | None = None,
             warehouse: str | None = None, timezone: str | None = None, currency: str | None = None,
             full_refresh: bool = False) -> RunResult:
    """Recompute every summary table for each as-of date from `start_date` to `end_date` (both included)."""
    start, end = check_range(start_date, end_date)
    settings = load_settings(config, source_dir=source_dir, warehouse=warehouse, business_timezone=timezone,
                             reporting_currency=currency)
    return refresh(settings, start, end, "backfill", full_refresh)
