"""Backfill: every table of METRICS.md for every as-of date of a range.

From the command line it is one pass over the data (tasks/pipeline.py: backfill). Run from its
deployment, the range is split into chunks, each chunk its own flow run of the `backfill-chunk`
deployment, so the workers of the pool take chunks in parallel (bounded by that deployment's
concurrency limit). The parent stages the sources once and leaves a snapshot of the staged rows
in `snapshot_dir` (tasks/snapshot.py); each chunk reads it instead of the sources, after checking
that it sees the sources and settings the snapshot was staged from.

While the chunks run, the parent shows how far it is: a progress artifact updated as each chunk
ends, a log line per chunk (its dates, worker and state), and at the end a table artifact of every
date of the range and its state, with the dates to rerun with `only_failed`.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from uuid import UUID

from prefect import flow, get_client, get_run_logger
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.runtime import deployment

from flows.shell import pipeline_context, report, review_artifacts, run_id
from flows.steps import PREFECT_STEPS
from schemas.config import (
    MAX_BACKFILL_DAYS,
    RunOptions,
    Settings,
    SettingsError,
    SnapshotRef,
    check_not_future,
    check_range,
)
from tasks import pipeline
from tasks.errors import one_line
from tasks.report import RunResult
from tasks.snapshot import remove_snapshot
from tasks.warehouse.ledger import dates_between, unpublished

MAX_DAYS = MAX_BACKFILL_DAYS
CHUNK_DEPLOYMENT = "backfill_chunk/backfill-chunk"
PROGRESS_KEY, DATES_KEY, RERUN_KEY = "opsmetrics-backfill-progress", "opsmetrics-backfill-dates", "opsmetrics-backfill-rerun"
PAGE = 200  # flow runs read per request (the server's default limit)


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
            smaller chunks spread over more workers. The sources are staged once, by this run, and
            every chunk reads what it staged (snapshot_dir).
        options: overrides of the worker's configuration; leave empty to use it.
    """
    start, end = check_range(start_date, end_date, MAX_DAYS)
    if chunk_days < 1:
        raise SettingsError(f"chunk_days: {chunk_days} must be at least 1")
    options = options or RunOptions()
    log = get_run_logger()
    with pipeline_context(options) as (settings, wh):
        check_not_future(end, settings.business_timezone, options.allow_future, name="end_date")
        if deployment.get_id() is None:  # called in-process (the CLI): one pass per run of dates
            result = pipeline.backfill(settings, start, end, warehouse=wh, log=log, run_id=run_id(),
                                       only_failed=only_failed, full_refresh=options.full_refresh,
                                       allow_future=options.allow_future, steps=PREFECT_STEPS)
            return report(result, settings, wh)
        PREFECT_STEPS.prepare_warehouse(wh, log)
        dates = unpublished(wh, start, end) if only_failed else dates_between(start, end)
        if not dates:
            log.info("nothing to do: every date of %s … %s is published", start, end)
            return RunResult(run_id(), "backfill", start, end, "completed", "nothing to do")
        chunks = pipeline.consecutive_ranges(dates, chunk_days)
        log.info("%d dates in %d chunks", len(dates), len(chunks))
        staged, snapshot = pipeline.stage_for_chunks(settings, start, end, warehouse=wh, log=log, run_id=run_id(),
                                                     full_refresh=options.full_refresh, steps=PREFECT_STEPS)
        if snapshot is None:  # staging or the gate failed: no chunk would publish
            return report(staged, settings, wh)
    try:
        result = _fan_out(chunks, options, start, end, snapshot)
    finally:
        try:
            if remove_snapshot(snapshot):
                log.info("snapshot %s removed from %s", snapshot.fingerprint[:12], snapshot.location)
        except Exception as exc:
            log.warning("snapshot %s not removed from %s: %s", snapshot.fingerprint[:12], snapshot.location,
                        one_line(exc))
    _review(result, settings)
    return result


def _review(result: RunResult, settings: Settings) -> None:
    """The review pack as of the backfill's last date and its artifacts, once every chunk has
    published (the chunks write none: a pack reads 13 weeks back, which other chunks may not have
    published yet when one ends). A pack that cannot be written is an error in the log; the
    backfill stays completed, as a run does."""
    log = get_run_logger()
    try:
        wh = pipeline.open_warehouse(settings)
        try:
            PREFECT_STEPS.review_pack(settings, wh, result.end, log)
            review_artifacts(result, settings, wh)
        finally:
            wh.dispose()
    except Exception as exc:
        log.error("review pack as of %s not written: %s", result.end, one_line(exc))


def _fan_out(chunks: list[tuple[dt.date, dt.date]], options: RunOptions, start: dt.date, end: dt.date,
             snapshot: SnapshotRef) -> RunResult:
    """One `backfill-chunk` flow run per chunk, each handed the snapshot; wait for all of them (the
    deployment's concurrency limit decides how many run at once), showing progress as each ends. A
    rerun of this flow run does not start duplicates."""
    log = get_run_logger()
    parent = run_id()
    params = {"options": options.model_dump(exclude_defaults=True), "snapshot": snapshot.model_dump()}
    # effort_weekly (and project_directory) are not by as-of date: every chunk would write the same
    # tables from the snapshot, so the first writes them (at scale 10, 715,682 rows and ~3 s a chunk)
    runs = [run_deployment(CHUNK_DEPLOYMENT, timeout=0, idempotency_key=f"{parent}:{a}:{b}", as_subflow=True,
                           parameters={**params, "start_date": a, "end_date": b, "effort_weekly": i == 0})
            for i, (a, b) in enumerate(chunks)]
    board = Progress(chunks, [r.id for r in runs], log)
    board.start(start, end)
    _wait(list(board.chunk_of), board.finished)
    board.finish(start, end)
    if board.failed:
        raise RuntimeError(f"{len(board.failed)} of {len(runs)} chunks failed "
                           f"({', '.join(f'{a} … {b}' for a, b in board.failed)}); "
                           "rerun the backfill with only_failed to finish the range")
    n = sum((b - a).days + 1 for a, b in chunks)
    return RunResult(parent, "backfill", start, end, "completed", f"published {n} as-of dates in {len(runs)} chunks")


class Progress:
    """What the parent shows while its chunks run: a progress artifact (the share of the dates
    whose chunk has ended), a log line per chunk as it ends, and at the end a table artifact of
    every date of the range with its chunk, state, worker and flow run, and the dates to rerun.
    An artifact that cannot be written is a warning: it never fails the backfill."""

    def __init__(self, chunks: list[tuple[dt.date, dt.date]], ids: list[UUID], log) -> None:
        self.chunks, self.log = chunks, log
        self.chunk_of = {id_: i for i, id_ in enumerate(ids)}
        self.ended: dict[int, FlowRun] = {}
        self.failed: list[tuple[dt.date, dt.date]] = []
        self.total = sum((b - a).days + 1 for a, b in chunks)
        self.artifact: UUID | None = None

    def label(self, i: int) -> str:
        a, b = self.chunks[i]
        return f"{i + 1}/{len(self.chunks)} ({a} … {b})" if a != b else f"{i + 1}/{len(self.chunks)} ({a})"

    def start(self, start: dt.date, end: dt.date) -> None:
        self.artifact = self._artifact(create_progress_artifact, progress=0.0, key=PROGRESS_KEY,
                                       description=f"backfill {start} … {end}: 0 of {len(self.chunks)} chunks ended")

    def finished(self, flow_run: FlowRun) -> None:
        """A chunk's flow run reached a final state: its log line, and the progress moves."""
        i = self.chunk_of[flow_run.id]
        self.ended[i] = flow_run
        state = flow_run.state
        ok = bool(state and state.is_completed())
        if not ok:
            self.failed.append(self.chunks[i])
        why = "" if ok or not (state and state.message) else f": {one_line(state.message)}"
        (self.log.info if ok else self.log.error)(
            "chunk %s on %s: %s, flow run %s%s", self.label(i), worker_of(flow_run), state_name(flow_run),
            flow_run.name, why)
        done = sum((self.chunks[j][1] - self.chunks[j][0]).days + 1 for j in self.ended)
        if self.artifact is not None:
            self._artifact(update_progress_artifact, artifact_id=self.artifact, progress=100.0 * done / self.total,
                           description=f"{len(self.ended)} of {len(self.chunks)} chunks ended ({done} of {self.total} "
                                       f"dates): {len(self.ended) - len(self.failed)} completed, "
                                       f"{len(self.failed)} not")

    def finish(self, start: dt.date, end: dt.date) -> None:
        """The table of every date of the range and its state, and the dates to rerun."""
        rows, rerun = [], []
        by_date = {a + dt.timedelta(days=k): i for i, (a, b) in enumerate(self.chunks) for k in range((b - a).days + 1)}
        for day in dates_between(start, end):
            i = by_date.get(day)
            if i is None:  # only_failed: published by an earlier run, not computed again
                rows.append({"as_of_date": str(day), "chunk": "", "state": "published before", "worker": "",
                             "flow_run": ""})
                continue
            flow_run = self.ended[i]
            if self.chunks[i] in self.failed:
                rerun.append(day)
            rows.append({"as_of_date": str(day), "chunk": self.label(i), "state": state_name(flow_run),
                         "worker": worker_of(flow_run), "flow_run": flow_run.name})
        ranges = ", ".join(f"{a} … {b}" if a != b else str(a) for a, b in pipeline.consecutive_ranges(rerun)) or "none"
        self._artifact(create_table_artifact, table=rows, key=DATES_KEY,
                       description=f"backfill {start} … {end}: every as-of date and the state of the chunk that "
                                   f"computed it; to rerun with only_failed: {ranges}")
        self._artifact(create_markdown_artifact, key=RERUN_KEY,
                       markdown=f"Dates to rerun with `only_failed`: {ranges}",
                       description=f"backfill {start} … {end}: the dates no chunk published")
        self.log.info("backfill %s … %s: %d chunks, %d failed; dates to rerun with only_failed: %s", start, end,
                      len(self.chunks), len(self.failed), ranges)

    def _artifact(self, create: Callable, **kwargs) -> UUID | None:
        try:
            return create(**kwargs)
        except Exception as exc:
            self.log.warning("artifact %s not written: %s", kwargs.get("key") or "progress", one_line(exc))
            return None


def worker_of(flow_run: FlowRun) -> str:
    """The worker that ran a flow run (the label a worker gives the runs it takes), else its
    process, else unknown (a run that never started)."""
    name = (flow_run.labels or {}).get("prefect.worker.name")
    if name:
        return f"worker {name}"
    return f"process {flow_run.infrastructure_pid}" if flow_run.infrastructure_pid else "no worker"


def state_name(flow_run: FlowRun) -> str:
    return flow_run.state.name if flow_run.state else "Unknown"


def _wait(ids: list[UUID], on_final: Callable[[FlowRun], None], poll_seconds: float = 3.0) -> dict[UUID, FlowRun]:
    """Poll the chunk runs until every one is final (completed, failed, crashed or cancelled),
    calling `on_final` for each as soon as it is seen final."""
    pending, done = set(ids), {}
    with get_client(sync_client=True) as client:
        while pending:
            batch = list(pending)[:PAGE]
            for flow_run_ in client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=batch)),
                                                   limit=len(batch)):
                if flow_run_.id in pending and flow_run_.state and flow_run_.state.is_final():
                    pending.discard(flow_run_.id)
                    done[flow_run_.id] = flow_run_
                    on_final(flow_run_)
            if pending:
                time.sleep(poll_seconds)
    return done


@flow(name="backfill_chunk", log_prints=True)
def backfill_chunk(start_date: dt.date, end_date: dt.date, options: RunOptions | None = None,
                   snapshot: SnapshotRef | None = None, effort_weekly: bool = True) -> RunResult:
    """One chunk of a backfill: every summary table for start_date … end_date, in one pass.

    Started by the `backfill` flow, with the snapshot of the sources it staged: the chunk reads it
    instead of the sources, and fails without publishing if the sources or settings it sees are
    not those the snapshot was staged from; it writes no review pack (the backfill writes one when
    every chunk has published). It can be run by hand too: no snapshot, it stages the sources
    itself and writes the pack as of end_date.

    Args:
        effort_weekly: also replace effort_weekly and the dimensions, which are not by as-of
            date; the backfill asks
            its first chunk only (from one snapshot every chunk would write the same table).
    """
    start, end = check_range(start_date, end_date, MAX_DAYS)
    options = options or RunOptions()
    with pipeline_context(options) as (settings, wh):
        check_not_future(end, settings.business_timezone, options.allow_future, name="end_date")
        result = pipeline.run(settings, start, end, warehouse=wh, log=get_run_logger(), run_id=run_id(),
                              flow="backfill", full_refresh=options.full_refresh, steps=PREFECT_STEPS,
                              snapshot=snapshot, review=snapshot is None, effort=effort_weekly)
        return report(result, settings, wh, review=snapshot is None)
