"""Rows per second of publishing an effort_weekly-shaped frame, against DataFrame.to_sql.

    make pg   # for the PostgreSQL figures (skipped without it)
    .venv/bin/python benchmarks/publish_throughput.py [--rows 500000] [--repeat 3] [--pg-url URL]

Each method writes the same frame (effort_weekly's columns and dtypes: a date per Monday, three
text columns, two floats, sorted by the primary key as the mart is) into a freshly created
effort_weekly table, `repeat` times; the median counts. Methods:

- to_sql: `DataFrame.to_sql(..., if_exists="append", index=False)` with its defaults (the baseline);
- ours: `publish_marts` (its transaction: DELETE, bulk insert, commit);
- ours_replacing: `publish_marts` once more over the table it filled: what a nightly run does;
- adbc (SQLite only): `adbc_ingest` of the same rows (week_start as our text) over a connection of
  its own, hence outside the run's transaction: measured, not used.

`measure(rows, pg_url)` returns {"rows": n, "sqlite": {method: rows/s}, "postgresql": {...}}
(no "postgresql" without a URL); run as a script it also prints the ratios to to_sql.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tasks.warehouse.bulk import sqlite_values  # noqa: E402
from tasks.warehouse.connect import Warehouse  # noqa: E402
from tasks.warehouse.publish import publish_marts  # noqa: E402
from tasks.warehouse.tables import TABLES  # noqa: E402

TABLE = TABLES["effort_weekly"]
WEEKS = 157  # three years of Mondays, as the sample data at any scale
ROLES = ["sales", "presales", "consultant", "engineer", "project_manager", "operations", "customer_success"]
PHASES = ["presales", "implementation", "acceptance", "after_sales"]
DAY = dt.date(2026, 3, 1)  # any: effort_weekly is replaced whole


def effort_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """`rows` distinct (week, project, role, phase) keys, sorted, with hours and labour cost."""
    rng = np.random.default_rng(seed)
    projects = max(1, -(-3 * rows // (WEEKS * len(ROLES) * len(PHASES))))  # a third of the grid filled
    per_week = projects * len(ROLES) * len(PHASES)
    picked = np.sort(rng.choice(WEEKS * per_week, rows, replace=False))
    week, rest = np.divmod(picked, per_week)
    project, rest = np.divmod(rest, len(ROLES) * len(PHASES))
    role, phase = np.divmod(rest, len(PHASES))
    mondays = np.array([dt.date(2023, 2, 27) + dt.timedelta(weeks=int(w)) for w in range(WEEKS)], dtype=object)
    hours = rng.integers(1, 120, rows) / 2
    return pd.DataFrame({
        "week_start": mondays[week],
        "project_id": pd.array(np.char.add("PRJ-", np.char.zfill(project.astype(str), 5)), dtype="str"),
        "role": pd.array(np.asarray(ROLES)[role], dtype="str"),
        "phase": pd.array(np.asarray(PHASES)[phase], dtype="str"),
        "hours": hours,
        "labour_cost": (hours * rng.uniform(80, 140, rows)).round(4),
    })


# --- one fresh table per sample ---------------------------------------------------------------

def sqlite_warehouse(folder: Path) -> Warehouse:
    wh = Warehouse.open(f"sqlite:///{folder / f'{uuid.uuid4().hex[:8]}.db'}")
    TABLE.create(wh.engine)  # the DDL the migrations give (tests/warehouse/test_migrations.py)
    return wh


def pg_warehouse(url: str) -> Warehouse:
    wh = Warehouse.open(url, f"bench_{uuid.uuid4().hex[:8]}")
    with wh.engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{wh.schema}"')
        TABLE.create(conn.execution_options(schema_translate_map=wh.schema_map))
    return wh


def drop(wh: Warehouse) -> None:
    if wh.is_postgres:
        with wh.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{wh.schema}" CASCADE')
    else:
        Path(wh.engine.url.database).unlink(missing_ok=True)
    wh.dispose()


def seconds(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- the methods: each returns the seconds its write took ---------------------------------------

def to_sql(wh: Warehouse, frame: pd.DataFrame) -> float:
    def write() -> None:
        with wh.engine.begin() as conn:
            frame.to_sql(TABLE.name, conn, schema=wh.schema, if_exists="append", index=False)
    return seconds(write)


def ours(wh: Warehouse, frame: pd.DataFrame) -> float:
    return seconds(lambda: publish_marts(wh, {TABLE.name: frame}, DAY, DAY))


def ours_replacing(wh: Warehouse, frame: pd.DataFrame) -> float:
    publish_marts(wh, {TABLE.name: frame}, DAY, DAY)
    return ours(wh, frame)


def adbc(wh: Warehouse, frame: pd.DataFrame) -> float:
    import adbc_driver_sqlite.dbapi as adbc_sqlite
    import pyarrow as pa

    wh.dispose()  # ADBC opens the file itself

    def write() -> None:
        # the week as the text we store (conversion timed too), the rest as Arrow has it
        week = sqlite_values(frame["week_start"], TABLE.c.week_start.type, wh.engine.dialect)
        data = pa.Table.from_pandas(frame.assign(week_start=week), preserve_index=False)
        with adbc_sqlite.connect(wh.engine.url.database) as conn, conn.cursor() as cursor:
            cursor.adbc_ingest(TABLE.name, data, mode="append")
            conn.commit()
    return seconds(write)


def median_rate(method: Callable, open_warehouse: Callable[[], Warehouse], frame: pd.DataFrame,
                repeat: int) -> float:
    times = []
    for _ in range(repeat):
        wh = open_warehouse()
        try:
            times.append(method(wh, frame))
        finally:
            drop(wh)
    return len(frame) / statistics.median(times)


def measure(rows: int, pg_url: str | None, repeat: int = 3) -> dict:
    """rows/s per method: {"rows": n, "sqlite": {...}, "postgresql": {...}}, medians of `repeat`."""
    frame = effort_frame(rows)
    result: dict = {"rows": rows}
    with tempfile.TemporaryDirectory(prefix="publish-throughput-") as tmp:
        sqlite_methods = {"to_sql": to_sql, "ours": ours, "ours_replacing": ours_replacing}
        try:
            import adbc_driver_sqlite  # noqa: F401 - measured only where installed
            sqlite_methods["adbc"] = adbc
        except ImportError:
            pass
        result["sqlite"] = {name: median_rate(method, lambda: sqlite_warehouse(Path(tmp)), frame, repeat)
                            for name, method in sqlite_methods.items()}
    if pg_url:
        result["postgresql"] = {name: median_rate(method, lambda: pg_warehouse(pg_url), frame, repeat)
                                for name, method in {"to_sql": to_sql, "ours": ours,
                                                     "ours_replacing": ours_replacing}.items()}
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pg-url", help="default: the test PostgreSQL's (.pg/url), if there is one")
    args = ap.parse_args()
    url_file = ROOT / ".pg" / "url"
    pg_url = args.pg_url or (url_file.read_text().strip() if url_file.exists() else None)
    result = measure(args.rows, pg_url, args.repeat)
    print(f"{args.rows:,} effort_weekly rows, median of {args.repeat}" + ("" if pg_url else "; no PostgreSQL"))
    for database in ("sqlite", "postgresql"):
        rates = result.get(database, {})
        for name, rate in rates.items():
            print(f"  {database:<10} {name:<15} {rate:>10,.0f} rows/s  {rate / rates['to_sql']:6.1f}× to_sql")


if __name__ == "__main__":
    main()
