"""The nightly refresh: every table of METRICS.md as of yesterday, catching up missed nights."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger

from flows.refresh import RunResult, prepared_warehouse, refresh
from opsmetrics.settings import load_settings
from tasks.warehouse.ledger import nightly_watermark

MAX_CATCH_UP = 31  # after a longer outage, older nights are a backfill's job


def yesterday(tz: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(tz)).date() - dt.timedelta(days=1)


def catch_up_start(watermark: dt.date | None, last: dt.date) -> dt.date:
    """The first date the nightly run must (re)compute: the night after the last one it published,
    at most MAX_CATCH_UP nights back, and at least `last` itself (a rerun refreshes it)."""
    if watermark is None:
        return last
    return min(last, max(watermark + dt.timedelta(days=1), last - dt.timedelta(days=MAX_CATCH_UP - 1)))


@flow(name="nightly_refresh", log_prints=True)
def nightly_refresh(as_of: dt.date | None = None, config: str | None = None, source_dir: str | None = None,
                    warehouse: str | None = None, timezone: str | None = None,
                    currency: str | None = None, full_refresh: bool = False) -> RunResult:
    """Refresh every summary table as of yesterday in the business time zone.

    Without `as_of`, the nights missed since the last nightly run (server down, failed runs) are
    computed too, in the same pass; a run that finds nothing missed refreshes yesterday again.

    Args:
        as_of: compute this one date only, instead of yesterday and the missed nights.
        config: YAML configuration file (default: $OPSMETRICS_CONFIG, else built-in defaults).
        source_dir: folder of the file drop, overriding the configuration.
        warehouse: SQLAlchemy URL of the warehouse, overriding the configuration.
        timezone: business time zone, overriding the configuration.
        currency: reporting currency, overriding the configuration.
        full_refresh: connectors re-read everything and drop records the source no longer has.
    """
    settings = load_settings(config, source_dir=source_dir, warehouse=warehouse, business_timezone=timezone,
                             reporting_currency=currency)
    with prepared_warehouse(settings) as wh:
        if as_of:
            start = last = as_of
        else:
            last = yesterday(settings.business_timezone)
            start = catch_up_start(nightly_watermark(wh), last)
            if start < last:
                get_run_logger().info("catching up %d missed nights: %s … %s", (last - start).days, start, last)
        return refresh(settings, start, last, "nightly_refresh", full_refresh, wh=wh)
