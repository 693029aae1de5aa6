"""The nightly refresh: every table of METRICS.md as of yesterday, catching up missed nights."""
from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger

from flows.shell import pipeline_context, report, run_id
from flows.steps import PREFECT_STEPS
from schemas.config import RunOptions
from tasks import pipeline
from tasks.report import RunResult


@flow(name="nightly_refresh", log_prints=True)
def nightly_refresh(as_of: dt.date | None = None, options: RunOptions | None = None) -> RunResult:
    """Refresh every summary table as of yesterday in the business time zone.

    Without `as_of`, the nights missed since the last nightly run (server down, failed runs) are
    computed too, in the same pass; a run that finds nothing missed refreshes yesterday again.

    Args:
        as_of: compute this one date only, instead of yesterday and the missed nights.
        options: overrides of the worker's configuration; leave empty to use it.
    """
    options = options or RunOptions()
    with pipeline_context(options) as (settings, wh):
        result = pipeline.nightly(settings, as_of, warehouse=wh, log=get_run_logger(), run_id=run_id(),
                                  full_refresh=options.full_refresh, steps=PREFECT_STEPS)
        return report(result, settings, wh)
