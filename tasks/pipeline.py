"""The whole pipeline as plain functions: sync → extract → stage → quarantine → gate → compute →
publish → run log → review pack, runnable without Prefect.

A backfill spread over workers stages once (`stage_for_chunks`, which leaves a snapshot of the
staged sources: tasks/snapshot.py) and each of its chunks is a `run` handed that snapshot: the
chunk checks that it sees the same sources and settings, reads the staged rows instead of
reading and validating the sources again, and goes through gate, compute, publish and run log as
any run does.

`run` is the one sequence of a run. Its steps come in a `Steps` value so an orchestrator can hand
in wrapped versions of the same functions (flows/ makes each a Prefect task with retries) without
writing the sequence again; a test or a benchmark calls `run` with the plain steps. Resources are
injected: the warehouse (opened by the caller), a standard `logging` logger, and the run id.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from zoneinfo import ZoneInfo

import pandas as pd

from schemas.config import Settings, SettingsError, SnapshotRef, check_not_future
from schemas.sources import ENTITIES
from tasks.credentials import resolve_url
from tasks.errors import one_line
from tasks.marts.build import SLICE_DAYS, MartSlices, build_marts
from tasks.marts.facts import build_facts
from tasks.report import RunResult, headline
from tasks.snapshot import (
    SnapshotError,
    UnreachableStore,
    check_fingerprint,
    location,
    read_snapshot,
    source_fingerprint,
    write_snapshot,
)
from tasks.sources.base import SourceError
from tasks.sources.registry import read_entity, sync_sources
from tasks.staging.stage import GateError, Staged, check_gate, stage_sources
from tasks.staging.validate import warm_up
from tasks.warehouse.connect import Warehouse, WarehouseError
from tasks.warehouse.ledger import dates_between, nightly_watermark, unpublished
from tasks.warehouse.migrate import current_revision, prepare
from tasks.warehouse.publish import RunRecord, publish_marts, record_failed_run
from tasks.warehouse.status import last_completed_run

Log = logging.Logger | logging.LoggerAdapter
Marts = dict[str, pd.DataFrame] | MartSlices  # what compute hands publish
MAX_CATCH_UP = 31  # nights the nightly run catches up at most; after a longer outage, a backfill's job


# --- the steps ------------------------------------------------------------------------------

def prepare_warehouse(wh: Warehouse, log: Log) -> str:
    """Run pending migrations, so an older warehouse is upgraded before anything is written, and
    refresh the table and column documentation."""
    before = current_revision(wh)
    prepare(wh)
    after = current_revision(wh)
    if before != after:
        log.info("warehouse %s upgraded from version %s to %s", wh.url, before or "(empty)", after)
    else:
        log.info("warehouse %s is at version %s", wh.url, after)
    return after


def sync(settings: Settings, wh: Warehouse, full_refresh: bool, log: Log) -> None:
    """Land what the connectors (HubSpot, SQL) have new; the file drop needs no sync."""
    for source, streams in sync_sources(settings, wh, full_refresh).items():
        for s in streams:
            log.info("sync %s %s: %s, %d landed, %d removed, cursor now %s", source, s.stream, s.mode, s.landed,
                     s.removed, s.cursor)


def extract(settings: Settings, wh: Warehouse, log: Log) -> dict[str, pd.DataFrame]:
    """Every entity as the text its source holds (file drop, or what the connectors landed).
    Great Expectations is imported meanwhile on a second thread, for the stage that follows."""
    warm_up()
    raw = {}
    for name in ENTITIES:
        raw[name] = read_entity(settings, name, wh)
        log.info("extract %s: %d rows from %s", name, len(raw[name]), raw[name].attrs.get("source", "?"))
    return raw


def stage(raw: dict[str, pd.DataFrame], settings: Settings, log: Log) -> Staged:
    """`raw` is handed over: each entity's text leaves it once staged (`stage_sources`)."""
    staged = stage_sources(raw, settings.reporting_currency, consume=True)
    for name, c in staged.counts.iterrows():
        log.info("stage %s: %d read, %d valid, %d quarantined, %d superseded, %d collapsed",
                 name, c["read"], c["valid"], c["quarantined"], c["superseded"], c["collapsed"])
    return staged


def gate(staged: Staged, settings: Settings, wh: Warehouse, log: Log) -> None:
    """The gate of SOURCES.md: too large a share quarantined, or an entity that suddenly shrank,
    fails the run before anything is published."""
    check_gate(staged, settings.max_quarantine_share)
    check_shrink(staged.counts["read"].to_dict(), last_completed_run(wh), settings.min_row_share,
                 settings.allow_shrink)
    by_hand = [name for name, e in ENTITIES.items() if e.kept_by_hand]
    log.info("gate: every entity within %.1f%% quarantined and at least %.0f%% of the rows of the last "
             "completed run (%s, kept by hand, not judged)", 100 * settings.max_quarantine_share,
             100 * settings.min_row_share, ", ".join(by_hand))
    for name in by_hand:  # not judged, but not unseen: their quarantine says which rows and why
        if staged.counts.at[name, "quarantined"]:
            log.warning("gate: %s: %d of %d rows quarantined; kept by hand, so the run goes on", name,
                        staged.counts.at[name, "quarantined"], staged.counts.at[name, "read"])


def check_shrink(read: dict[str, int], last: tuple[str, dict[str, int]] | None, min_share: float,
                 allowed: list[str]) -> None:
    """The shrink guard: an entity with fewer than `min_share` of the rows the last completed run
    read is more likely a broken export than a smaller business (SOURCES.md, "Shrink guard").
    Entities kept by hand are not compared: people add and remove targets and notes."""
    if last is None:
        return  # nothing to compare with
    last_run, before = last
    shrunk = [f"{name}: {n} rows read, fewer than {min_share:.0%} of the {before[name]} read by the last "
              f"completed run {last_run}" for name, n in read.items()
              if name not in allowed and not ENTITIES[name].kept_by_hand and before.get(name)
              and n < min_share * before[name]]
    if shrunk:
        names = " ".join(f"--allow-shrink {n.split(':')[0]}" for n in shrunk)
        raise GateError(f"shrink guard: {'; '.join(shrunk)} (if the source really shrank, rerun with {names})")


def compute(valid: dict[str, pd.DataFrame], settings: Settings, start: dt.date, end: dt.date,
            log: Log, effort: bool = True) -> Marts:
    """The tables of start … end; a range longer than SLICE_DAYS as MartSlices, whose slices are
    computed one at a time as publish writes them (memory of one slice, not of the range).
    The tables not by as-of date (effort_weekly, targets, review_notes and the dimensions) only with `effort`."""
    if (end - start).days + 1 > SLICE_DAYS:
        marts = MartSlices(build_facts(valid, settings.business_timezone), start, end, effort=effort)
        log.info("compute: %d slices of at most %d dates, each computed as it is published",
                 len(marts.ranges), SLICE_DAYS)
        return marts
    marts = build_marts(valid, settings.business_timezone, start, end, effort)
    for name, frame in marts.items():
        log.info("compute %s: %d rows", name, len(frame))
    return marts


def publish(wh: Warehouse, marts: Marts, start: dt.date, end: dt.date, run: tuple[str, str],
            record: RunRecord, log: Log) -> dict[str, int]:
    """Every table, the ledger, the quarantine and the run_log row, in one transaction (the
    slices of a long range too: tasks/warehouse/publish.py)."""
    written = publish_marts(wh, marts, start, end, run, record)
    log.info("publish: %s; quarantine: %d rows", ", ".join(f"{k} {v}" for k, v in written.items()),
             len(record.quarantine) if record.quarantine is not None else 0)
    return written


def review_pack(settings: Settings, wh: Warehouse, as_of: dt.date, log: Log) -> str:
    """The weekly review pack as of the run's last date, from what the warehouse now holds:
    `<reports_dir>/review-<as_of>.html` (tasks/review/), and beside it the page of every project red
    or amber at that date, `<reports_dir>/projects/<project_id>-<as_of>.html`, which its Delivery
    table links to. Returns the pack's absolute path. Pages that cannot be written are an error in
    the log; the pack stays written."""
    # imported here: a backfill's chunk writes no pack, and its process starts faster without
    from tasks.review import pack_path, write_pack, write_project_pages
    from tasks.review.paths import PROJECTS_DIR

    path = write_pack(wh, as_of, pack_path(settings.reports_dir, as_of), currency=settings.reporting_currency,
                      min_responses=settings.review.min_responses)
    log.info("review pack as of %s: %s", as_of, path)
    try:
        pages = write_project_pages(wh, as_of, path, currency=settings.reporting_currency)
        log.info("project pages as of %s: %d (the red and amber projects) in %s", as_of, len(pages),
                 path.parent / PROJECTS_DIR)
    except Exception as exc:
        log.error("project pages as of %s not written: %s", as_of, one_line(exc))
    return str(path)


@dataclass(frozen=True)
class Steps:
    """The steps `run` calls, in its order. An orchestrator passes `STEPS.wrapped(...)`."""

    prepare_warehouse: Callable[..., str] = prepare_warehouse
    sync: Callable[..., None] = sync
    extract: Callable[..., dict[str, pd.DataFrame]] = extract
    stage: Callable[..., Staged] = stage
    gate: Callable[..., None] = gate
    compute: Callable[..., Marts] = compute
    publish: Callable[..., dict[str, int]] = publish
    review_pack: Callable[..., str] = review_pack

    def wrapped(self, wrap: Callable[[str, Callable], Callable]) -> Steps:
        """The same steps, each passed through `wrap(name, function)`."""
        return replace(self, **{f.name: wrap(f.name, getattr(self, f.name)) for f in fields(self)})


STEPS = Steps()
# steps that read or write outside the process: the ones a transient failure may heal on retry
IO_STEPS = frozenset({"prepare_warehouse", "sync", "extract", "gate", "publish", "review_pack"})
RETRY_DELAYS = (2, 10)  # seconds before each retry of an I/O step: twice
# errors a retry cannot heal: a source or a setting that is wrong stays wrong
PERMANENT = (SourceError, SettingsError, GateError, WarehouseError)


def retrying(name: str, fn: Callable, *, sleep: Callable[[float], None] = time.sleep,
             log: Log | None = None) -> Callable:
    """`fn` as a step of an in-process run: an I/O step is tried again after RETRY_DELAYS when it
    fails with an error a retry may heal (what the Prefect shell's tasks do, flows/steps.py); any
    other step, and a PERMANENT error, as it is."""
    if name not in IO_STEPS:
        return fn

    def step(*args, **kwargs):
        for delay in (*RETRY_DELAYS, None):
            try:
                return fn(*args, **kwargs)
            except PERMANENT:
                raise
            except Exception as exc:
                if delay is None:
                    raise
                (log or logging.getLogger("opsmetrics")).warning(
                    "%s failed (%s): retry in %s s", name, one_line(exc), delay)
                sleep(delay)

    return step


LOCAL_STEPS = STEPS.wrapped(retrying)


# --- one run --------------------------------------------------------------------------------

def open_warehouse(settings: Settings) -> Warehouse:
    """The warehouse of the settings; `env:`/`secret:` references are resolved here, at the last moment."""
    return Warehouse.open(resolve_url(settings.warehouse, "warehouse"), settings.warehouse_schema)


def lean_arrow_memory() -> None:
    """Arrow's allocations from jemalloc, where this pyarrow has it, rather than its default here,
    mimalloc, which keeps the pages of freed temporaries (the trimmed, parsed and copied text of
    millions of rows) for reuse. One date at scale 10 (benchmarks/_measure.py under /usr/bin/time -v)
    peaked at 2.07 GB with mimalloc and 1.83 GB with jemalloc. Pages handed back are faulted in
    again: validating time_entries took 7 s instead of 2-3 s while GX copied its many-chunk columns
    for every rule; with the columns in one chunk (tasks/staging/validate.py) it takes 2.7 s. The
    2 GB a date is the target that a growing company meets first. Arrays made before keep their pool."""
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc: its default pool stays
        return
    if pa.default_memory_pool().backend_name != pool.backend_name:
        pa.set_memory_pool(pool)


def new_run_id() -> str:
    return str(uuid.uuid4())


def run(settings: Settings, start: dt.date, end: dt.date, *, warehouse: Warehouse, log: Log, run_id: str,
        flow: str = "refresh", full_refresh: bool = False, prepared: bool = False,
        steps: Steps = STEPS, snapshot: SnapshotRef | None = None, review: bool = True,
        effort: bool = True) -> RunResult:
    """One pass over the sources for the as-of dates start … end. Never raises: a failure is a
    result with status `failed`, its reason in `message` and the error in `error`. Either way the
    run's quarantine and run_log row are written in the same transaction as its outcome (the
    publish, or `failed` in the ledger), so a run killed anywhere leaves the warehouse as it was.
    A completed run then writes the review pack as of `end`; the figures are published by then,
    so a pack that cannot be written is logged as an error and the run stays completed.
    `prepared`: the caller has already migrated the warehouse. `snapshot`: the sources were synced
    and staged by the backfill this run is a chunk of (`staged_from_snapshot`). `review=False`: no
    review pack (a chunk's: its backfill writes one when every chunk has published).
    `effort=False`: effort_weekly, targets, review_notes and the dimensions (schemas/tables.py), not
    by as-of date, are neither computed nor replaced (the chunks of a backfill but its first: from
    one snapshot they would all write the same tables)."""
    lean_arrow_memory()
    result = RunResult(run_id, flow, start, end)
    record = RunRecord(run_id, {}, at=dt.datetime.now(dt.UTC))
    wh = warehouse
    log.info("%s %s: as of %s … %s, sources %s%s, warehouse %s", flow, run_id, start, end,
             ", ".join(["files", *settings.sources.connectors()]),
             f" (staged by the backfill: snapshot {snapshot.fingerprint[:12]})" if snapshot else "", wh.url)
    try:
        if not prepared:
            steps.prepare_warehouse(wh, log)
        if snapshot is None:
            steps.sync(settings, wh, full_refresh, log)
            # the sources' text is no longer referenced once staged: held through compute, it was
            # a sixth of a run's peak memory at scale 10
            staged = steps.stage(steps.extract(settings, wh, log), settings, log)
        else:
            staged = staged_from_snapshot(settings, wh, snapshot, log, steps)
        _note_staged(result, record, staged)
        steps.gate(staged, settings, wh, log)
        marts = steps.compute(staged.valid, settings, start, end, log, effort)
        days = (end - start).days + 1
        message = f"published {days} as-of date{'s' if days > 1 else ''} {start} … {end}"
        record.log_row = _log_row(result, record.at, "completed", message)
        result.written = steps.publish(wh, marts, start, end, (flow, run_id), record, log)
        result.headline = headline(marts.portfolio if isinstance(marts, MartSlices) else marts["portfolio_daily"])
        result.status, result.message = "completed", message
    except Exception as exc:
        _record_failure(result, record, wh, exc, log)
    if result.status == "completed" and review:
        try:
            steps.review_pack(settings, wh, end, log)
        except Exception as exc:
            log.error("review pack as of %s not written: %s", end, one_line(exc))
    return result


def _note_staged(result: RunResult, record: RunRecord, staged: Staged) -> None:
    """What staging gave goes into the result and into the run's record (its quarantine)."""
    result.counts = {name: {k: int(v) for k, v in row.items()} for name, row in staged.counts.iterrows()}
    result.quarantined_per_rule = staged.quarantined_per_rule.to_dict("records")
    record.quarantine, record.entities = staged.quarantine, list(staged.counts.index)


def _record_failure(result: RunResult, record: RunRecord, wh: Warehouse, exc: Exception, log: Log) -> None:
    """A failed run: its reason in the result, and in one transaction `failed` in the ledger for
    the dates its flow has not published, its quarantine (if staging finished) and its run_log row."""
    result.status = "failed"
    result.message, result.error = one_line(exc), exc
    log.error("%s %s failed: %s", result.flow, result.run_id, result.message)
    record.log_row = _log_row(result, record.at, "failed", result.message)
    try:
        record_failed_run(wh, result.flow, result.start, result.end, record)
    except Exception as again:  # the warehouse itself may be what failed: say so, keep the first error
        log.error("run_log, quarantine and partition_runs could not be updated: %s", one_line(again))


# --- a backfill over workers: stage once, every chunk reads the snapshot ------------------------

def stage_for_chunks(settings: Settings, start: dt.date, end: dt.date, *, warehouse: Warehouse, log: Log,
                     run_id: str, full_refresh: bool = False,
                     steps: Steps = STEPS) -> tuple[RunResult, SnapshotRef | None]:
    """What the parent of a backfill spread over workers does before it starts the chunks of
    start … end: sync, extract, stage and gate once, then write the snapshot of the staged
    sources to `settings.snapshot_dir` (tasks/snapshot.py). Returns the result and the snapshot
    to hand each chunk (`run(..., snapshot=...)`).

    Never raises: a failure (a bad snapshot_dir, a source, the gate, sources that changed while
    they were staged) is a failed result, recorded as a failed run is (its run_log row, its
    quarantine, `failed` in the ledger for the dates not published), and no snapshot: the chunks
    must not start. A snapshot that cannot be written is only a warning: the snapshot handed on
    is then missing, and each chunk stages the sources itself."""
    lean_arrow_memory()
    result = RunResult(run_id, "backfill", start, end)
    record = RunRecord(run_id, {}, at=dt.datetime.now(dt.UTC))
    wh = warehouse
    try:
        where = location(settings.snapshot_dir)  # an unusable setting fails now, not after staging
        steps.sync(settings, wh, full_refresh, log)
        seen = source_fingerprint(settings, wh)
        staged = steps.stage(steps.extract(settings, wh, log), settings, log)
        _note_staged(result, record, staged)
        steps.gate(staged, settings, wh, log)
        if source_fingerprint(settings, wh) != seen:
            raise SnapshotError("the sources changed while the backfill staged them: nothing published; rerun the "
                                "backfill")
    except Exception as exc:
        _record_failure(result, record, wh, exc, log)
        return result, None
    snapshot = SnapshotRef(location=where, fingerprint=seen)
    try:
        snapshot = write_snapshot(staged, where, seen)
        log.info("snapshot %s of the staged sources written to %s: the chunks read it instead of the sources",
                 seen[:12], snapshot.location)
    except Exception as exc:
        log.warning("snapshot %s not written to %s (%s): each chunk stages the sources itself", seen[:12], where,
                    one_line(exc))
    result.status, result.message = "staged", f"staged once for the chunks: snapshot {seen[:12]} in {where}"
    return result, snapshot


def staged_from_snapshot(settings: Settings, wh: Warehouse, snapshot: SnapshotRef, log: Log,
                         steps: Steps = STEPS) -> Staged:
    """A chunk's staged sources: the backfill's snapshot, once this run has checked that it sees
    the sources and settings the snapshot was staged from (SnapshotError otherwise: a chunk never
    publishes numbers staged from other sources). A snapshot that is missing or cannot be read
    (a worker that does not reach snapshot_dir) is no error: the sources are staged here, without
    syncing (the backfill did), and checked against the fingerprint again afterwards."""
    check_fingerprint(source_fingerprint(settings, wh), snapshot.fingerprint)
    try:
        staged, why = read_snapshot(snapshot.location, snapshot.fingerprint), "not found"
    except SnapshotError as exc:
        if not isinstance(exc, UnreachableStore):
            raise  # refused: never replaced by staging here, a damaged store should be seen
        staged, why = None, f"not readable here ({one_line(exc)})"
    except Exception as exc:  # I/O: permissions, network; staging here gives the same rows
        staged, why = None, f"not readable here ({one_line(exc)})"
    if staged is not None:
        log.info("stage: staged sources read from snapshot %s in %s (%d entities, %d valid rows, %d quarantined); "
                 "no source read or validated again", snapshot.fingerprint[:12], snapshot.location,
                 len(staged.valid), int(staged.counts["valid"].sum()), len(staged.quarantine))
        return staged
    log.warning("snapshot %s %s in %s: staging the sources in this run instead", snapshot.fingerprint[:12], why,
                snapshot.location)
    staged = steps.stage(steps.extract(settings, wh, log), settings, log)
    check_fingerprint(source_fingerprint(settings, wh), snapshot.fingerprint)
    return staged


def _log_row(result: RunResult, started: dt.datetime, status: str, message: str) -> dict:
    row = {"run_id": result.run_id, "flow": result.flow, "as_of_start": result.start, "as_of_end": result.end,
           "started_at": started, "finished_at": dt.datetime.now(dt.UTC), "status": status, "message": message}
    for name, c in result.counts.items():
        row |= {f"{name}_{k}": v for k, v in c.items() if k != "valid"}
    return row


# --- which dates ----------------------------------------------------------------------------

def yesterday(tz: str, now: dt.datetime | None = None) -> dt.date:
    """The day before today in the business time zone: what a nightly run computes."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(tz)).date() - dt.timedelta(days=1)


def catch_up_start(watermark: dt.date | None, last: dt.date) -> dt.date:
    """The first date the nightly run must (re)compute: the night after the last one it published,
    at most MAX_CATCH_UP nights back, and at least `last` itself (a rerun refreshes it)."""
    if watermark is None:
        return last
    return min(last, max(watermark + dt.timedelta(days=1), last - dt.timedelta(days=MAX_CATCH_UP - 1)))


def consecutive_ranges(dates: list[dt.date], max_days: int | None = None) -> list[tuple[dt.date, dt.date]]:
    """Dates grouped into runs of consecutive days, each at most `max_days` long (None: no limit):
    the passes of a backfill, or the chunks its workers take."""
    ranges: list[list[dt.date]] = []
    for d in sorted(dates):
        if ranges and d - ranges[-1][-1] == dt.timedelta(days=1) and (not max_days or len(ranges[-1]) < max_days):
            ranges[-1].append(d)
        else:
            ranges.append([d])
    return [(r[0], r[-1]) for r in ranges]


# --- the two jobs: the nightly refresh and a backfill -----------------------------------------

def failed_before_run(settings: Settings, flow: str, as_of: dt.date | None, run_id: str, exc: Exception) -> RunResult:
    """The result of a run that failed before the pipeline returned one (its warehouse could not be
    opened or upgraded): dated `as_of`, else yesterday, with the one-line reason; for the team's
    message (there is no run_log row to read it from)."""
    last = as_of or yesterday(settings.business_timezone)
    return RunResult(run_id, flow, last, last, "failed", one_line(exc), error=exc)


def nightly(settings: Settings, as_of: dt.date | None = None, *, warehouse: Warehouse, log: Log, run_id: str,
            full_refresh: bool = False, steps: Steps = STEPS, today: dt.datetime | None = None,
            allow_future: bool = False) -> RunResult:
    """Yesterday in the business time zone and every night missed since the last nightly run (at
    most MAX_CATCH_UP), in one pass; or `as_of` alone when it is given, which must not be after
    today in the business time zone unless `allow_future` (a SettingsError before anything is done).
    `today`: the moment taken as now (default: the clock)."""
    if as_of:
        check_not_future(as_of, settings.business_timezone, allow_future, now=today)
    steps.prepare_warehouse(warehouse, log)
    if as_of:
        start = last = as_of
    else:
        last = yesterday(settings.business_timezone, today)
        start = catch_up_start(nightly_watermark(warehouse), last)
        if start < last:
            log.info("catching up %d missed nights: %s … %s", (last - start).days, start, last)
    return run(settings, start, last, warehouse=warehouse, log=log, run_id=run_id, flow="nightly_refresh",
               full_refresh=full_refresh, prepared=True, steps=steps)


def backfill(settings: Settings, start: dt.date, end: dt.date, *, warehouse: Warehouse, log: Log, run_id: str,
             only_failed: bool = False, full_refresh: bool = False, steps: Steps = STEPS,
             allow_future: bool = False, today: dt.datetime | None = None) -> RunResult:
    """Every as-of date of start … end (with `only_failed`, those no run has published), one pass
    per run of consecutive dates; each pass has its own run_log row (`<run_id>#2/3`). Stops at the
    first pass that fails and returns it. `end` must not be after today in the business time zone
    unless `allow_future` (a SettingsError before anything is done)."""
    check_not_future(end, settings.business_timezone, allow_future, name="end_date", now=today)
    steps.prepare_warehouse(warehouse, log)
    dates = unpublished(warehouse, start, end) if only_failed else dates_between(start, end)
    if not dates:
        log.info("nothing to do: every date of %s … %s is published", start, end)
        return RunResult(run_id, "backfill", start, end, "completed", "nothing to do")
    passes = consecutive_ranges(dates)
    log.info("%d dates in %d passes", len(dates), len(passes))
    results = []
    for i, (first, last) in enumerate(passes, 1):
        part = f"{run_id}#{i}/{len(passes)}" if len(passes) > 1 else run_id
        results.append(run(settings, first, last, warehouse=warehouse, log=log, run_id=part, flow="backfill",
                           full_refresh=full_refresh and i == 1, prepared=True, steps=steps))
        if results[-1].status != "completed":
            return results[-1]
    if len(results) == 1:
        return results[0]
    return RunResult(run_id, "backfill", start, end, "completed",
                     f"published {len(dates)} as-of dates in {len(results)} passes", headline=results[-1].headline)
