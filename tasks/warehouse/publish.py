"""Writing to the warehouse.

The marts of a run go in one transaction: each as-of table loses the run's dates and gets the new
rows, effort_weekly is replaced whole. A reader sees the old tables or the new ones, never half a
run, and a failure anywhere leaves every table as it was.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from schemas.tables import MARTS
from tasks.warehouse.tables import TABLES, ensure_tables


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain Python values, NaN/NA as None (what every DBAPI driver accepts)."""
    if frame.empty:
        return []
    out = frame.astype(object).where(frame.notna(), None)
    rows = out.to_dict("records")
    for row in rows:
        for k, v in row.items():
            if isinstance(v, np.generic):
                row[k] = v.item()
    return rows


def publish_marts(engine: sa.Engine, marts: dict[str, pd.DataFrame], start: dt.date, end: dt.date) -> dict[str, int]:
    """Replace the dates start … end of every as-of table (and all of effort_weekly) in one transaction."""
    ensure_tables(engine)
    written = {}
    with engine.begin() as conn:
        for name, frame in marts.items():
            table = TABLES[name]
            if MARTS[name].as_of:
                conn.execute(table.delete().where(table.c.as_of_date.between(start, end)))
            else:
                conn.execute(table.delete())
            rows = records(frame[MARTS[name].names])
            if rows:
                conn.execute(table.insert(), rows)
            written[name] = len(rows)
    return written


def replace_quarantine(engine: sa.Engine, run_id: str, quarantine: pd.DataFrame, entities: Iterable[str],
                       at: dt.datetime) -> int:
    """The quarantine rows of `entities` become this run's (SOURCES.md: a run replaces the rows of
    the entities it read). Written even when the gate then fails: it says why."""
    ensure_tables(engine)
    table = TABLES["quarantine"]
    rows = records(quarantine.assign(run_id=run_id, quarantined_at=at)[[c.name for c in table.columns]])
    with engine.begin() as conn:
        conn.execute(table.delete().where(table.c.entity.in_(list(entities))))
        if rows:
            conn.execute(table.insert(), rows)
    return len(rows)


def write_run_log(engine: sa.Engine, row: dict) -> None:
    ensure_tables(engine)
    table = TABLES["run_log"]
    with engine.begin() as conn:
        conn.execute(table.delete().where(table.c.run_id == row["run_id"]))
        conn.execute(table.insert(), [{c.name: row.get(c.name) for c in table.columns}])
