"""The nightly refresh: every table of METRICS.md as of yesterday, catching up missed nights; then
the team is told how it went (settings.notify: e-mail and chat, tasks/notify/)."""
from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger

from flows.shell import notify, report, run_id, warehouse_context
from flows.steps import PREFECT_STEPS
from schemas.config import RunOptions, check_not_future, load_settings
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
    settings = load_settings(options)  # a configuration that cannot be read has no channel to tell
    if as_of:  # nor does a refused option
        check_not_future(as_of, settings.business_timezone, options.allow_future)
    result: RunResult | None = None
    try:
        with warehouse_context(settings) as wh:
            result = pipeline.nightly(settings, as_of, warehouse=wh, log=get_run_logger(), run_id=run_id(),
                                      full_refresh=options.full_refresh, allow_future=options.allow_future,
                                      steps=PREFECT_STEPS)
            notify(result, settings, wh)
            return report(result, settings, wh)
    except Exception as exc:
        if result is None:  # it failed before the pipeline returned: the warehouse could not be opened or upgraded
            notify(pipeline.failed_before_run(settings, "nightly_refresh", as_of, run_id(), exc), settings, None)
        raise
