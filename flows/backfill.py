"""Backfill: every table of METRICS.md for every as-of date of a range.

From the command line it is one pass over the data (tasks/pipeline.py: backfill). Run from its
deployment, the range is split into chunks, each chunk its own flow run of the `backfill-chunk`
deployment, so the workers of the pool take chunks in parallel (bounded by that deployment's
concurrency limit).
"""
from __future__ import annotations

import datetime as dt
import time

from prefect import flow, get_client, get_run_logger
from prefect.deployments import run_deployment
from prefect.runtime import deployment

from flows.shell import pipeline_context, report, run_id
from flows.steps import PREFECT_STEPS
from schemas.config import RunOptions, SettingsError, check_range
from tasks import pipeline
from tasks.report import RunResult
from tasks.warehouse.ledger import dates_between, unpublished

MAX_DAYS = 3660  # ten years: a typo in a year is caught before it computes a century
CHUNK_DEPLOYMENT = "backfill_chunk/backfill-chunk"


@flow(name="backfill", log_prints=True)
def backfill(start_date: dt.date, end_date: dt.date, only_failed: bool = False, chunk_days: int = 92,
             options: RunOptions | None = None) -> RunResult:
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
        options: overrides of the worker's configuration; leave empty to use it.
    """
    start, end = check_range(start_date, end_date, MAX_DAYS)
    if chunk_days < 1:
        raise SettingsError(f"chunk_days: {chunk_days} must be at least 1")
    options = options or RunOptions()
    log = get_run_logger()
    with pipeline_context(options) as (settings, wh):
        if deployment.get_id() is None:  # called in-process (the CLI): one pass per run of dates
            result = pipeline.backfill(settings, start, end, warehouse=wh, log=log, run_id=run_id(),
                                       only_failed=only_failed, full_refresh=options.full_refresh, steps=PREFECT_STEPS)
            return report(result, settings, wh)
        PREFECT_STEPS.prepare_warehouse(wh, log)
        dates = unpublished(wh, start, end) if only_failed else dates_between(start, end)
    if not dates:
        log.info("nothing to do: every date of %s … %s is published", start, end)
        return RunResult(run_id(), "backfill", start, end, "completed", "nothing to do")
    chunks = pipeline.consecutive_ranges(dates, chunk_days)
    log.info("%d dates in %d chunks", len(dates), len(chunks))
    return _fan_out(chunks, options, start, end)


def _fan_out(chunks: list[tuple[dt.date, dt.date]], options: RunOptions, start: dt.date, end: dt.date) -> RunResult:
    """One `backfill-chunk` flow run per chunk; wait for all of them (the deployment's concurrency
    limit decides how many run at once). A rerun of this flow run does not start duplicates."""
    log = get_run_logger()
    parent = run_id()
    params = {"options": options.model_dump(exclude_defaults=True)}
    runs = [run_deployment(CHUNK_DEPLOYMENT, parameters={**params, "start_date": a, "end_date": b}, timeout=0,
                           idempotency_key=f"{parent}:{a}:{b}", as_subflow=True) for a, b in chunks]
    finished = _wait([r.id for r in runs])
    failed = []
    for (a, b), r in zip(chunks, runs, strict=True):
        state = finished[r.id].state
        log.info("chunk %s … %s: %s", a, b, state.name if state else "unknown")
        if not (state and state.is_completed()):
            failed.append(f"{a} … {b}")
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(runs)} chunks failed ({', '.join(failed)}); "
                           "rerun the backfill with only_failed to finish the range")
    n = sum((b - a).days + 1 for a, b in chunks)
    return RunResult(parent, "backfill", start, end, "completed", f"published {n} as-of dates in {len(runs)} chunks")


def _wait(ids: list, poll_seconds: float = 3.0) -> dict:
    """Poll the chunk runs until every one is final (completed, failed, crashed or cancelled)."""
    pending, done = list(ids), {}
    with get_client(sync_client=True) as client:
        while pending:
            for run_id_ in list(pending):
                flow_run_ = client.read_flow_run(run_id_)
                if flow_run_.state and flow_run_.state.is_final():
                    done[run_id_] = flow_run_
                    pending.remove(run_id_)
            if pending:
                time.sleep(poll_seconds)
    return done


@flow(name="backfill_chunk", log_prints=True)
def backfill_chunk(start_date: dt.date, end_date: dt.date, options: RunOptions | None = None) -> RunResult:
    """One chunk of a backfill: every summary table for start_date … end_date, in one pass.

    Started by the `backfill` flow; it can be run by hand too.
    """
    start, end = check_range(start_date, end_date, MAX_DAYS)
    options = options or RunOptions()
    with pipeline_context(options) as (settings, wh):
        result = pipeline.run(settings, start, end, warehouse=wh, log=get_run_logger(), run_id=run_id(),
                              flow="backfill", full_refresh=options.full_refresh, steps=PREFECT_STEPS)
        return report(result, settings, wh)
