"""Backfill: every table of METRICS.md for every as-of date of a range.

From the command line it is one pass over the data. Run from its deployment, the range is split
into chunks, each chunk its own flow run of the `backfill-chunk` deployment, so the workers of the
pool take chunks in parallel (bounded by that deployment's concurrency limit).
"""
from __future__ import annotations

import datetime as dt
import time

from prefect import flow, get_client, get_run_logger
from prefect.deployments import run_deployment
from prefect.runtime import deployment, flow_run

from flows.refresh import RunResult, prepared_warehouse, refresh
from opsmetrics.settings import SettingsError, load_settings
from tasks.warehouse.ledger import dates_between, unpublished

MAX_DAYS = 3660  # ten years: a typo in a year is caught before it computes a century
CHUNK_DEPLOYMENT = "backfill_chunk/backfill-chunk"


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


def plan(dates: list[dt.date], chunk_days: int | None) -> list[tuple[dt.date, dt.date]]:
    """Consecutive dates grouped into ranges of at most `chunk_days` (None: no limit)."""
    ranges: list[list[dt.date]] = []
    for d in sorted(dates):
        if ranges and d - ranges[-1][-1] == dt.timedelta(days=1) and (not chunk_days or len(ranges[-1]) < chunk_days):
            ranges[-1].append(d)
        else:
            ranges.append([d])
    return [(r[0], r[-1]) for r in ranges]


@flow(name="backfill", log_prints=True)
def backfill(start_date: dt.date, end_date: dt.date, only_failed: bool = False, chunk_days: int = 92,
             config: str | None = None, source_dir: str | None = None, warehouse: str | None = None,
             timezone: str | None = None, currency: str | None = None, full_refresh: bool = False) -> RunResult:
    """Recompute every summary table for each as-of date from start_date to end_date.

    Writing a date again replaces its rows, so a backfill can be rerun safely. From the Prefect UI
    the range is split into chunks that the workers run in parallel.

    Args:
        start_date: the first as-of date to compute.
        end_date: the last as-of date to compute (included).
        only_failed: compute only the dates of the range that no run has published yet (after a
            backfill that partly failed), instead of every date.
        chunk_days: how many consecutive dates one chunk (one flow run, on one worker) computes;
            smaller chunks spread over more workers, larger ones read the sources fewer times
            (each chunk reads and validates all sources: on one machine, one chunk is fastest).
        config: YAML configuration file (default: $OPSMETRICS_CONFIG, else built-in defaults).
        source_dir: folder of the file drop, overriding the configuration.
        warehouse: SQLAlchemy URL of the warehouse, overriding the configuration.
        timezone: business time zone, overriding the configuration.
        currency: reporting currency, overriding the configuration.
        full_refresh: connectors re-read everything and drop records the source no longer has.
    """
    start, end = check_range(start_date, end_date)
    if chunk_days < 1:
        raise SettingsError(f"chunk_days: {chunk_days} must be at least 1")
    settings = load_settings(config, source_dir=source_dir, warehouse=warehouse, business_timezone=timezone,
                             reporting_currency=currency)
    log = get_run_logger()
    with prepared_warehouse(settings) as wh:
        dates = unpublished(wh, start, end) if only_failed else dates_between(start, end)
        if not dates:
            log.info("nothing to do: every date of %s … %s is published", start, end)
            return RunResult(str(flow_run.get_id()), "backfill", start, end, "completed", "nothing to do")
        distributed = deployment.get_id() is not None
        ranges = plan(dates, chunk_days if distributed else None)
        log.info("%d dates in %d %s", len(dates), len(ranges), "chunks" if distributed else "passes")
        if distributed:
            overrides = {"config": config, "source_dir": source_dir, "warehouse": warehouse, "timezone": timezone,
                         "currency": currency, "full_refresh": full_refresh}
            return _fan_out(ranges, {k: v for k, v in overrides.items() if v is not None}, start, end)
        results = [refresh(settings, a, b, "backfill", full_refresh,
                           part=f"{i}/{len(ranges)}" if len(ranges) > 1 else None, wh=wh)
                   for i, (a, b) in enumerate(ranges, 1)]
    return results[0] if len(results) == 1 else RunResult(
        results[-1].run_id, "backfill", start, end, "completed",
        f"published {len(dates)} as-of dates in {len(results)} passes", headline=results[-1].headline)


def _fan_out(ranges: list[tuple[dt.date, dt.date]], params: dict, start: dt.date, end: dt.date) -> RunResult:
    """One `backfill-chunk` flow run per range; wait for all of them (the deployment's concurrency
    limit decides how many run at once). A rerun of this flow run does not start duplicates."""
    log = get_run_logger()
    parent = str(flow_run.get_id())
    runs = [run_deployment(CHUNK_DEPLOYMENT, parameters={**params, "start_date": a, "end_date": b}, timeout=0,
                           idempotency_key=f"{parent}:{a}:{b}", as_subflow=True) for a, b in ranges]
    finished = _wait([run.id for run in runs])
    failed = []
    for (a, b), run in zip(ranges, runs):
        state = finished[run.id].state
        log.info("chunk %s … %s: %s", a, b, state.name if state else "unknown")
        if not (state and state.is_completed()):
            failed.append(f"{a} … {b}")
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(runs)} chunks failed ({', '.join(failed)}); "
                           "rerun the backfill with only_failed to finish the range")
    n = sum((b - a).days + 1 for a, b in ranges)
    return RunResult(parent, "backfill", start, end, "completed", f"published {n} as-of dates in {len(runs)} chunks")


def _wait(ids: list, poll_seconds: float = 3.0) -> dict:
    """Poll the chunk runs until every one is final (completed, failed, crashed or cancelled)."""
    pending, done = list(ids), {}
    with get_client(sync_client=True) as client:
        while pending:
            for run_id in list(pending):
                run = client.read_flow_run(run_id)
                if run.state and run.state.is_final():
                    done[run_id] = run
                    pending.remove(run_id)
            if pending:
                time.sleep(poll_seconds)
    return done


@flow(name="backfill_chunk", log_prints=True)
def backfill_chunk(start_date: dt.date, end_date: dt.date, config: str | None = None, source_dir: str | None = None,
                   warehouse: str | None = None, timezone: str | None = None, currency: str | None = None,
                   full_refresh: bool = False) -> RunResult:
    """One chunk of a backfill: every summary table for start_date … end_date, in one pass.

    Started by the `backfill` flow; it can be run by hand too.
    """
    start, end = check_range(start_date, end_date)
    settings = load_settings(config, source_dir=source_dir, warehouse=warehouse, business_timezone=timezone,
                             reporting_currency=currency)
    return refresh(settings, start, end, "backfill", full_refresh)
