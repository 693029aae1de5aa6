"""The pipeline's steps as Prefect tasks: each a thin shell around a plain function of tasks/,
adding retries (I/O only), a log line with row counts, and nothing else.

Caching is off on purpose: the inputs are large DataFrames and SQLAlchemy engines, which Prefect
would hash for a cache key (slow, and an engine makes it log an error), and results are not
persisted: a nightly run recomputes from the sources, which is the point of it.
"""
from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from opsmetrics.settings import Settings
from schemas.sources import ENTITIES
from tasks.marts.build import build_marts
from tasks.sources.base import SourceError
from tasks.sources.read import read_entity, sync_sources
from tasks.staging.stage import Staged, check_gate, stage_sources
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.migrate import current_revision, prepare
from tasks.warehouse.publish import publish_marts, replace_quarantine


def _transient(task_, task_run, state) -> bool:
    """Retry I/O failures, but not a source that is wrong (a missing file or column stays missing)."""
    try:
        state.result()
    except SourceError:
        return False
    except Exception:
        return True
    return False


io_task = partial(task, retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_transient,
                  cache_policy=NO_CACHE, persist_result=False)
compute_task = partial(task, cache_policy=NO_CACHE, persist_result=False)


@io_task(name="prepare-warehouse")
def prepare_warehouse(wh: Warehouse) -> str:
    """Run pending migrations, so an older warehouse is upgraded before anything is written, and
    refresh the table and column documentation."""
    before = current_revision(wh)
    prepare(wh)
    after = current_revision(wh)
    log = get_run_logger()
    if before != after:
        log.info("warehouse %s upgraded from version %s to %s", wh.url, before or "(empty)", after)
    else:
        log.info("warehouse %s is at version %s", wh.url, after)
    return after


@io_task(name="sync-sources")
def sync(settings: Settings, wh: Warehouse, full_refresh: bool) -> None:
    """Land what the connectors (HubSpot, SQL) have new; the file drop needs no sync."""
    log = get_run_logger()
    for source, streams in sync_sources(settings, wh, full_refresh).items():
        for s in streams:
            log.info("sync %s %s: %s, %d landed, %d removed, cursor now %s", source, s.stream, s.mode, s.landed,
                     s.removed, s.cursor)


@io_task(name="extract")
def extract(settings: Settings, wh: Warehouse) -> dict[str, pd.DataFrame]:
    log = get_run_logger()
    raw = {}
    for name in ENTITIES:
        raw[name] = read_entity(settings, name, wh)
        log.info("extract %s: %d rows from %s", name, len(raw[name]), raw[name].attrs.get("source", "?"))
    return raw


@compute_task(name="stage")
def stage(raw: dict[str, pd.DataFrame], currency: str) -> Staged:
    staged = stage_sources(raw, currency)
    log = get_run_logger()
    for name, c in staged.counts.iterrows():
        log.info("stage %s: %d read, %d valid, %d quarantined, %d superseded, %d collapsed",
                 name, c["read"], c["valid"], c["quarantined"], c["superseded"], c["collapsed"])
    return staged


@io_task(name="save-quarantine")
def save_quarantine(wh: Warehouse, run_id: str, staged: Staged, at: dt.datetime) -> int:
    n = replace_quarantine(wh, run_id, staged.quarantine, list(staged.counts.index), at)
    get_run_logger().info("quarantine: %d rows written", n)
    return n


@compute_task(name="gate")
def gate(staged: Staged, max_share: float) -> None:
    check_gate(staged, max_share)


@compute_task(name="compute-marts")
def compute(valid: dict[str, pd.DataFrame], tz: str, start: dt.date, end: dt.date) -> dict[str, pd.DataFrame]:
    marts = build_marts(valid, tz, start, end)
    log = get_run_logger()
    for name, frame in marts.items():
        log.info("compute %s: %d rows", name, len(frame))
    return marts


@io_task(name="publish")
def publish(wh: Warehouse, marts: dict[str, pd.DataFrame], start: dt.date, end: dt.date,
            run: tuple[str, str]) -> dict[str, int]:
    written = publish_marts(wh, marts, start, end, run)
    get_run_logger().info("publish: %s", ", ".join(f"{k} {v}" for k, v in written.items()))
    return written
