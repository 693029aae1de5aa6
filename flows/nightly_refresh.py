"""The nightly refresh: every table of METRICS.md as of one date (default: yesterday)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from prefect import flow

from flows.refresh import RunResult, refresh
from opsmetrics.settings import load_settings


def yesterday(tz: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(tz)).date() - dt.timedelta(days=1)


@flow(name="nightly_refresh", log_prints=True)
def nightly_refresh(as_of: dt.date | None = None, config: str | None = None, source_dir: str | None = None,
                    warehouse: str | None = None, timezone: str | None = None,
                    currency: str | None = None, full_refresh: bool = False) -> RunResult:
    """Refresh every summary table as of `as_of` (default: yesterday in the business time zone)."""
    settings = load_settings(config, source_dir=source_dir, warehouse=warehouse, business_timezone=timezone,
                             reporting_currency=currency)
    as_of = as_of or yesterday(settings.business_timezone)
    return refresh(settings, as_of, as_of, "nightly_refresh", full_refresh)
