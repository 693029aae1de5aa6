"""The ledger of as-of dates (partition_runs): per date and flow, the last run that tried it.

A date becomes `published` in the same transaction that publishes its rows, so the ledger never
claims what the tables do not hold. A failed run records `failed` only for dates its flow has not
published: the tables still hold what an earlier run wrote.
"""
from __future__ import annotations

import datetime as dt
import os
import socket

import sqlalchemy as sa

from tasks.warehouse.connect import Warehouse
from tasks.warehouse.tables import TABLES

LEDGER = TABLES["partition_runs"]


def worker_name() -> str:
    """Who ran this: OPSMETRICS_WORKER if the worker's environment names it, else host:parent pid
    (a process worker's flow runs are its child processes)."""
    return os.environ.get("OPSMETRICS_WORKER") or f"{socket.gethostname()}:{os.getppid()}"


def dates_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def mark_published(conn: sa.Connection, flow: str, run_id: str, start: dt.date, end: dt.date) -> None:
    """Inside the publishing transaction: these dates are published by this run."""
    now = dt.datetime.now(dt.UTC)
    conn.execute(LEDGER.delete().where(LEDGER.c.flow == flow, LEDGER.c.as_of_date.between(start, end)))
    conn.execute(LEDGER.insert(), [{"as_of_date": d, "flow": flow, "run_id": run_id, "status": "published",
                                    "finished_at": now, "worker": worker_name()} for d in dates_between(start, end)])


def mark_failed(conn: sa.Connection, flow: str, run_id: str, start: dt.date, end: dt.date) -> None:
    """Inside the caller's transaction, after a failed run: `failed` for the dates this flow has
    not published."""
    now = dt.datetime.now(dt.UTC)
    published = {_date(d) for d in conn.execute(sa.select(LEDGER.c.as_of_date).where(
        LEDGER.c.flow == flow, LEDGER.c.status == "published", LEDGER.c.as_of_date.between(start, end))).scalars()}
    todo = [d for d in dates_between(start, end) if d not in published]
    conn.execute(LEDGER.delete().where(LEDGER.c.flow == flow, LEDGER.c.as_of_date.in_(todo)))
    if todo:
        conn.execute(LEDGER.insert(), [{"as_of_date": d, "flow": flow, "run_id": run_id, "status": "failed",
                                        "finished_at": now, "worker": worker_name()} for d in todo])


def unpublished(wh: Warehouse, start: dt.date, end: dt.date) -> list[dt.date]:
    """The dates of start … end that no run of any flow has published."""
    with wh.begin() as conn:
        done = {_date(x) for x in conn.execute(sa.select(LEDGER.c.as_of_date).where(
            LEDGER.c.status == "published", LEDGER.c.as_of_date.between(start, end))).scalars()}
    return [d for d in dates_between(start, end) if d not in done]


def nightly_watermark(wh: Warehouse) -> dt.date | None:
    """The latest date the nightly run has published: only nightly runs move it, so a backfill
    of recent dates never makes the nightly skip its own catch-up."""
    with wh.begin() as conn:
        value = conn.execute(sa.select(sa.func.max(LEDGER.c.as_of_date)).where(
            LEDGER.c.flow == "nightly_refresh", LEDGER.c.status == "published")).scalar()
    return _date(value) if value else None


def _date(value) -> dt.date:
    """SQLite may give a date back as text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
