"""Writing to the warehouse.

The marts of a run go in one transaction: each as-of table loses the run's dates and gets the new
rows, effort_weekly is replaced whole. A reader sees the old tables or the new ones, never half a
run, and a failure anywhere leaves every table as it was. The rows go in column by column
(tasks/warehouse/bulk.py): COPY on PostgreSQL, a prepared multi-row INSERT on SQLite, both straight
into the table after the DELETE; the transaction makes the swap atomic.

A date published again whose portfolio_daily figures change leaves a row per changed figure in
`restatements` (old and new value, the run that first published the old one, the run that changed
it), in the same transaction: the review pack tells a restated past from real movement.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from schemas.tables import PUBLISHED
from tasks.warehouse.bulk import insert_frame
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.ledger import mark_failed, mark_published
from tasks.warehouse.tables import TABLES

Slice = tuple[dt.date, dt.date, dict[str, pd.DataFrame]]  # a slice's first and last date, its tables
RESTATED = "portfolio_daily"  # the table whose changed figures are restatements


def publish_marts(wh: Warehouse, marts: dict[str, pd.DataFrame] | Iterable[Slice], start: dt.date, end: dt.date,
                  run: tuple[str, str] | None = None, record: RunRecord | None = None) -> dict[str, int]:
    """Replace the dates start … end of every as-of table (and all of effort_weekly) in one
    transaction; with `run` (flow, run id) the ledger marks those dates published in it too, and
    with `record` the run's quarantine and run_log row are written in it as well.

    `marts` is the tables of start … end, or slices of them as (slice start, slice end, tables)
    (tasks/marts/build.py MartSlices, computed as they are iterated): each slice replaces its
    dates, all in the one transaction, so a reader still sees the old tables or the new ones."""
    written: dict[str, int] = {}
    parts = [(start, end, marts)] if isinstance(marts, dict) else marts
    with wh.begin() as conn:
        if wh.is_postgres:
            # one publish at a time: under READ COMMITTED a concurrent run's DELETE would not see
            # this run's new rows, and its INSERT would then fail on the primary key
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('opsmetrics-publish'))"))
        for first, last, tables in parts:
            for name, frame in tables.items():
                table = TABLES[name]
                frame = frame[PUBLISHED[name].names]
                if name == RESTATED and run:
                    written["restatements"] = written.get("restatements", 0) + record_restatements(
                        conn, frame, first, last, run[1])
                # a whole table goes without WHERE: SQLite then empties it at once instead of row by row
                conn.execute(table.delete().where(table.c.as_of_date.between(first, last)) if PUBLISHED[name].as_of
                             else table.delete())
                insert_frame(conn, table, frame)
                written[name] = written.get(name, 0) + len(frame)
        if run:
            mark_published(conn, *run, start, end)
        if record:
            write_record(conn, record)
    return written


# --- restatements -----------------------------------------------------------------------------

RESTATEMENT_COLUMNS = ["as_of_date", "metric", "old_value", "new_value"]


def changed_figures(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """The figures of the dates in both frames (one row per as_of_date, one column per metric)
    whose value differs: as_of_date, metric, old_value, new_value. Equal is exact equality
    (no tolerance) with NaN equal to NaN; +0 and -0 are equal (SQLite does not keep the sign of
    a zero). Integer counts are compared as float64, exact below 2**53."""
    metrics = [c for c in new.columns if c != "as_of_date" and c in old.columns]
    left = old.assign(as_of_date=pd.to_datetime(old["as_of_date"]))
    right = new.assign(as_of_date=pd.to_datetime(new["as_of_date"]))
    both = left[["as_of_date", *metrics]].merge(right[["as_of_date", *metrics]], on="as_of_date",
                                                suffixes=("_old", "_new"))
    a = both[[f"{m}_old" for m in metrics]].to_numpy(dtype="float64", na_value=np.nan)
    b = both[[f"{m}_new" for m in metrics]].to_numpy(dtype="float64", na_value=np.nan)
    rows, cols = np.nonzero(~((a == b) | (np.isnan(a) & np.isnan(b))))
    return pd.DataFrame({"as_of_date": both["as_of_date"].dt.date.to_numpy()[rows],
                         "metric": np.asarray(metrics, dtype=object)[cols],
                         "old_value": a[rows, cols], "new_value": b[rows, cols]}, columns=RESTATEMENT_COLUMNS)


def record_restatements(conn: sa.Connection, new: pd.DataFrame, start: dt.date, end: dt.date, run_id: str) -> int:
    """Inside the publishing transaction, before the dates start … end of portfolio_daily are
    replaced by `new`: a restatements row per figure that changes. Returns how many."""
    table = TABLES[RESTATED]
    old = _frame(conn, sa.select(table).where(table.c.as_of_date.between(start, end)))
    if old.empty:
        return 0  # nothing published before: a first publication restates nothing
    changed = changed_figures(old, new)
    if changed.empty:
        return 0
    changed["first_run_id"] = first_runs(conn, changed, start, end)
    changed["run_id"] = run_id
    changed["restated_at"] = dt.datetime.now(dt.UTC)
    target = TABLES["restatements"]
    insert_frame(conn, target, changed[[c.name for c in target.columns]])
    return len(changed)


def first_runs(conn: sa.Connection, changed: pd.DataFrame, start: dt.date, end: dt.date) -> list[str | None]:
    """Per changed figure, the run that first published its old value: the run of the figure's
    latest restatement, else the first completed run (run_log) whose as-of dates include the date
    (before restatements were recorded, a change went unrecorded: that run is the best known)."""
    r, log = TABLES["restatements"], TABLES["run_log"]
    prior = _frame(conn, sa.select(r.c.as_of_date, r.c.metric, r.c.run_id, r.c.restated_at)
                   .where(r.c.as_of_date.between(start, end), r.c.metric.in_(sorted(set(changed["metric"])))))
    key = pd.MultiIndex.from_arrays([pd.to_datetime(changed["as_of_date"]), changed["metric"]])
    if prior.empty:
        by_restatement = pd.Series([None] * len(changed), index=key, dtype=object)
    else:
        latest = (prior.assign(as_of_date=pd.to_datetime(prior["as_of_date"])).sort_values("restated_at")
                  .drop_duplicates(["as_of_date", "metric"], keep="last").set_index(["as_of_date", "metric"])["run_id"])
        by_restatement = latest.reindex(key)
    runs = _frame(conn, sa.select(log.c.run_id, log.c.as_of_start, log.c.as_of_end)
                  .where(log.c.status == "completed", log.c.as_of_start <= end, log.c.as_of_end >= start)
                  .order_by(log.c.finished_at, log.c.started_at))
    days, day_of = np.unique(pd.to_datetime(changed["as_of_date"]).to_numpy(), return_inverse=True)
    first_of_day = np.full(len(days), None, dtype=object)
    if not runs.empty:  # dates × runs: does the run cover the date? the first that does, per date
        covers = (pd.to_datetime(runs["as_of_start"]).to_numpy()[None, :] <= days[:, None]) & (
            days[:, None] <= pd.to_datetime(runs["as_of_end"]).to_numpy()[None, :])
        found = covers.any(axis=1)
        first_of_day[found] = runs["run_id"].to_numpy(dtype=object)[covers.argmax(axis=1)[found]]
    by_first_run = first_of_day[day_of]
    out = np.array(by_restatement.to_numpy(dtype=object), dtype=object)  # writable (copy-on-write gives a view)
    missing = pd.isna(out)
    out[missing] = by_first_run[missing]
    return [None if pd.isna(v) else str(v) for v in out]


def _frame(conn: sa.Connection, statement) -> pd.DataFrame:
    result = conn.execute(statement)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


@dataclass
class RunRecord:
    """What a run leaves beside the tables: its run_log row and, once staging has finished, its
    quarantine. Both are written in one transaction with the run's outcome (the publish, or the
    ledger's `failed`), so a run killed at any point leaves all of them as they were."""

    run_id: str
    log_row: dict  # the columns of run_log
    quarantine: pd.DataFrame | None = None  # QUARANTINE_COLUMNS; None: staging did not finish, keep the last
    entities: list[str] = field(default_factory=list)  # the entities whose quarantine this run replaces
    at: dt.datetime | None = None  # when the rows were quarantined


def write_record(conn: sa.Connection, record: RunRecord) -> None:
    """Inside the caller's transaction: the run's quarantine (if it has one) and its run_log row."""
    if record.quarantine is not None:
        _replace_quarantine(conn, record.run_id, record.quarantine, record.entities, record.at)
    table = TABLES["run_log"]
    conn.execute(table.delete().where(table.c.run_id == record.run_id))
    conn.execute(table.insert(), [{c.name: record.log_row.get(c.name) for c in table.columns}])


def record_failed_run(wh: Warehouse, flow: str, start: dt.date, end: dt.date, record: RunRecord) -> None:
    """After a failed run, in one transaction: `failed` in the ledger for the dates this flow has
    not published, the run's quarantine (it says why the gate failed) and its run_log row."""
    with wh.begin() as conn:
        mark_failed(conn, flow, record.run_id, start, end)
        write_record(conn, record)


def replace_quarantine(wh: Warehouse, run_id: str, quarantine: pd.DataFrame, entities: Iterable[str],
                       at: dt.datetime) -> int:
    """The quarantine rows of `entities` become this run's (SOURCES.md: a run replaces the rows of
    the entities it read), in a transaction of their own."""
    with wh.begin() as conn:
        return _replace_quarantine(conn, run_id, quarantine, entities, at)


def _replace_quarantine(conn: sa.Connection, run_id: str, quarantine: pd.DataFrame, entities: Iterable[str],
                        at: dt.datetime | None) -> int:
    table = TABLES["quarantine"]
    rows = quarantine.assign(run_id=run_id, quarantined_at=at)[[c.name for c in table.columns]]
    conn.execute(table.delete().where(table.c.entity.in_(list(entities))))
    insert_frame(conn, table, rows)
    return len(rows)
