"""Runs without a Prefect server: `opsmetrics run`, `backfill` and `demo` when PREFECT_API_URL is
not set. Prefect would otherwise start a temporary server in the process to record a run nobody
can look at afterwards (about 7 s to start and 2.4 s to stop here, the larger part of a run at
scale 1). The pipeline is plain functions (tasks/), so the run goes in-process: the same steps, the
same retries of its I/O steps (tasks.pipeline.retrying, as flows/steps.py gives the Prefect tasks),
the same log lines, run_log row, review pack, message to the team and exit code. A run whose
configuration names a `secret:` reference needs Prefect's Secret blocks, so it goes through the
flows (and their temporary server) as before.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import sys

from schemas.config import MAX_BACKFILL_DAYS, RunOptions, Settings, check_not_future, check_range, load_settings

API_ENV = "PREFECT_API_URL"
LOG_FORMAT = "%(asctime)s.%(msecs)03d | %(levelname)-7s | %(name)s - %(message)s"
UI_HINT = (f"opsmetrics: in-process run ({API_ENV} is not set): its run_log row is in the warehouse; to see runs "
           f"in Prefect's UI, start a server (make server) and set {API_ENV}=http://127.0.0.1:4200/api")


def in_process(settings: Settings) -> bool:
    """Whether a run of these settings goes in-process: no Prefect server to record it, and no
    `secret:` reference to read from one."""
    return not os.environ.get(API_ENV) and '"secret:' not in settings.model_dump_json()


def _logger() -> logging.Logger:
    """The run's log on stderr, shaped like Prefect's (time | level | name - message)."""
    log = logging.getLogger("opsmetrics")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def nightly(options: RunOptions, as_of: dt.date | None = None):
    """The nightly refresh in-process (flows/nightly_refresh.py without Prefect); raises the run's
    error when it failed, after the team was told (settings.notify)."""
    from tasks import pipeline

    settings, log = load_settings(options), _logger()
    if as_of:  # a refused option tells nobody, as a configuration that cannot be read
        check_not_future(as_of, settings.business_timezone, options.allow_future)
    print(UI_HINT, file=sys.stderr)
    run_id = pipeline.new_run_id()
    wh, result = None, None
    try:
        wh = pipeline.open_warehouse(settings)
        result = pipeline.nightly(settings, as_of, warehouse=wh, log=log, run_id=run_id,
                                  full_refresh=options.full_refresh, allow_future=options.allow_future,
                                  steps=pipeline.LOCAL_STEPS)
    except Exception as exc:  # it failed before the pipeline returned: the warehouse could not be opened or upgraded
        result = pipeline.failed_before_run(settings, "nightly_refresh", as_of, run_id, exc)
    try:
        _notify(settings, result, wh, log)
    finally:
        if wh is not None:
            wh.dispose()
    return result.raise_for_status()


def backfill(options: RunOptions, start: object, end: object, only_failed: bool = False):
    """A backfill in-process, one pass per run of dates (flows/backfill.py's in-process branch)."""
    from tasks import pipeline

    first, last = check_range(start, end, MAX_BACKFILL_DAYS)
    settings, log = load_settings(options), _logger()
    check_not_future(last, settings.business_timezone, options.allow_future, name="end_date")
    print(UI_HINT, file=sys.stderr)
    wh = pipeline.open_warehouse(settings)
    try:
        result = pipeline.backfill(settings, first, last, warehouse=wh, log=log, run_id=pipeline.new_run_id(),
                                   only_failed=only_failed, full_refresh=options.full_refresh,
                                   allow_future=options.allow_future, steps=pipeline.LOCAL_STEPS)
    finally:
        wh.dispose()
    return result.raise_for_status()


def _notify(settings: Settings, result, wh, log: logging.Logger) -> None:
    if settings.notify is not None:
        from tasks.notify import notify_run  # imported (with Apprise) only by a run that notifies

        notify_run(settings, result, wh, log)
