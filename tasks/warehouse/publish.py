"""Writing to the warehouse.

The marts of a run go in one transaction: each as-of table loses the run's dates and gets the new
rows, effort_weekly is replaced whole. A reader sees the old tables or the new ones, never half a
run, and a failure anywhere leaves every table as it was. On PostgreSQL the rows are bulk-loaded
with COPY into temporary staging tables first, then swapped in with DELETE + INSERT … SELECT.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from schemas.tables import MARTS
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.ledger import mark_failed, mark_published
from tasks.warehouse.tables import TABLES


def python_rows(frame: pd.DataFrame) -> Iterator[tuple]:
    """Rows as tuples of plain Python values, NaN/NA as None: what every DBAPI driver, and
    psycopg's COPY (which adapts no numpy scalar), accepts."""
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None):
        yield tuple(v.item() if isinstance(v, np.generic) else v for v in row)


def records(frame: pd.DataFrame) -> list[dict]:
    """The same rows as dicts, for SQLAlchemy's executemany."""
    columns = list(frame.columns)
    return [dict(zip(columns, row, strict=True)) for row in python_rows(frame)]


def publish_marts(wh: Warehouse, marts: dict[str, pd.DataFrame], start: dt.date, end: dt.date,
                  run: tuple[str, str] | None = None, record: RunRecord | None = None) -> dict[str, int]:
    """Replace the dates start … end of every as-of table (and all of effort_weekly) in one
    transaction; with `run` (flow, run id) the ledger marks those dates published in it too, and
    with `record` the run's quarantine and run_log row are written in it as well."""
    written = {}
    with wh.begin() as conn:
        if wh.is_postgres:
            # one publish at a time: under READ COMMITTED a concurrent run's DELETE would not see
            # this run's new rows, and its INSERT would then fail on the primary key
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('opsmetrics-publish'))"))
        for name, frame in marts.items():
            table = TABLES[name]
            where = table.c.as_of_date.between(start, end) if MARTS[name].as_of else sa.true()
            frame = frame[MARTS[name].names]
            if wh.is_postgres:
                copy_replace(conn, wh, table, frame, where)
            else:
                conn.execute(table.delete().where(where))
                if len(frame):
                    conn.execute(table.insert(), records(frame))
            written[name] = len(frame)
        if run:
            mark_published(conn, *run, start, end)
        if record:
            write_record(conn, record)
    return written


def copy_replace(conn: sa.Connection, wh: Warehouse, table: sa.Table, frame: pd.DataFrame, where) -> None:
    """COPY the rows into a temporary copy of `table`, then replace the `where` rows with them."""
    stage = f"stage_{table.name}"
    cols = ", ".join(wh.engine.dialect.identifier_preparer.quote(c) for c in frame.columns)
    conn.exec_driver_sql(f"CREATE TEMP TABLE {stage} (LIKE {wh.qualified(table.name)}) ON COMMIT DROP")
    cursor = conn.connection.driver_connection.cursor()  # psycopg 3, inside the same transaction
    with cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
        for row in python_rows(frame):
            copy.write_row(row)
    conn.execute(table.delete().where(where))
    conn.exec_driver_sql(f"INSERT INTO {wh.qualified(table.name)} ({cols}) SELECT {cols} FROM {stage}")


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
    rows = records(quarantine.assign(run_id=run_id, quarantined_at=at)[[c.name for c in table.columns]])
    conn.execute(table.delete().where(table.c.entity.in_(list(entities))))
    if rows:
        conn.execute(table.insert(), rows)
    return len(rows)
