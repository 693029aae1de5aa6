"""The bulk writers (tasks/warehouse/bulk.py) store exactly what the row-by-row path stored before
them: SQLAlchemy's insert of one dict per row on SQLite, psycopg's COPY write_row on PostgreSQL.

Every kind of column goes both ways into two databases, and the stored values are compared raw:
on SQLite what sqlite3 reads back with typeof(), on PostgreSQL what psycopg reads back; repr()
tells -0.0 from 0.0 and shows every digit of a float.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import uuid

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from builders import dataset

from tasks.marts.build import build_marts
from tasks.staging.stage import stage_sources
from tasks.warehouse import bulk
from tasks.warehouse.bulk import insert_frame
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.migrate import prepare
from tasks.warehouse.publish import publish_marts, replace_quarantine
from tasks.warehouse.tables import TABLES

NAT, NA, NAN = pd.NaT, pd.NA, float("nan")
PARIS, NEW_YORK = "Europe/Paris", "America/New_York"


# --- the path publish took before bulk.py, kept here as the reference -------------------------

def old_rows(frame: pd.DataFrame):
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None):
        yield tuple(v.item() if isinstance(v, np.generic) else v for v in row)


def old_insert(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    if len(frame):
        conn.execute(table.insert(), [dict(zip(frame.columns, row, strict=True)) for row in old_rows(frame)])


def old_copy(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    target = f'"{conn.get_execution_options()["schema_translate_map"][None]}"."{table.name}"'
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    with conn.connection.driver_connection.cursor().copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
        for row in old_rows(frame):
            copy.write_row(row)


# --- frames of every kind ---------------------------------------------------------------------

def _ts(values: list, tz: str | None = None, unit: str = "ns") -> pd.Series:
    """Timestamps given in UTC, shown in `tz` (naive without one)."""
    s = pd.Series(pd.to_datetime(values, format="ISO8601")).astype(f"datetime64[{unit}]")
    return s.dt.tz_localize("UTC").dt.tz_convert(tz) if tz else s


def kinds(n: int = 6) -> dict[str, tuple[sa.types.TypeEngine, pd.Series]]:
    """column → (declared type, values): every pandas kind the writers may meet per declared type,
    with the missing values of each (NaN, NA, None, NaT). Six rows; tiled by the tests."""
    aware = [dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=h))) for h in (1, -5, 0, 1, 9, 0)]
    return {
        "date_objects": (sa.Date(), pd.Series([dt.date(2026, 3, 1), None, dt.date(12, 1, 2), NAN, dt.date(9999, 12, 31),
                                               dt.date(2026, 3, 2)], dtype=object)),
        "date_naive": (sa.Date(), _ts(["2026-03-01", None, "2026-03-01 23:59:59.999999", "1900-01-01", "2026-03-01",
                                       "2026-12-31"])),
        "date_aware": (sa.Date(), _ts(["2026-03-01 23:30", None, "2026-03-01 00:30", "2026-03-02", "2026-03-01",
                                       "2026-03-01"], PARIS)),
        "text_str": (sa.Text(), pd.Series(["a", None, "", "é✓ \"q\" 'x', \\ \t\n\r end", "\\.", "NULL"], dtype="str")),
        "text_object": (sa.Text(), pd.Series(["a", None, NAN, "", "b", "\\N"], dtype=object)),
        "text_none": (sa.Text(), pd.Series([None] * n, dtype=object)),
        "integer": (sa.BigInteger(), pd.Series([0, -1, 2**62, -(2**63), 2**63 - 1, 42], dtype="int64")),
        "integer_na": (sa.BigInteger(), pd.Series([1, NA, -3, NA, 0, 7], dtype="Int64")),
        "integer_small": (sa.BigInteger(), pd.Series([1, 2, 3, 4, 5, 255], dtype="uint8")),
        "float": (sa.Float(precision=53), pd.Series([0.1 + 0.2, NAN, -0.0, 5e-324, 1.7976931348623157e308,
                                                     float("inf")])),
        "float_negative_inf": (sa.Float(precision=53), pd.Series([float("-inf"), 1e16, 1 / 3, NAN, 123456789.125, 0.0])),
        "float_from_int": (sa.Float(precision=53), pd.Series([1, 2**53 + 1, -7, 0, 3, 9007199254740993], dtype="int64")),
        "float_na": (sa.Float(precision=53), pd.Series([1.5, NA, -2.25, NA, 0.0, 1e-300], dtype="Float64")),
        "float_int_na": (sa.Float(precision=53), pd.Series([1, NA, 3, 4, NA, 6], dtype="Int64")),
        "float32": (sa.Float(precision=53), pd.Series([0.1, NAN, 1 / 3, 1e30, -0.0, 2.5], dtype="float32")),
        "timestamp_utc": (sa.DateTime(timezone=True), _ts(["2026-03-01 12:00:00.123456", None, "2026-03-01",
                                                           "1970-01-01", "2026-03-01 23:59:59.999999", "2000-01-01"],
                                                          "UTC", "us")),
        "timestamp_new_york_ns": (sa.DateTime(timezone=True), _ts(["2026-03-01 12:00:00.123456789", NAT,
                                                                   "2026-11-01 01:30", "2026-03-08 03:30",
                                                                   "1960-06-01 00:00:00.5", "2026-03-01"], NEW_YORK)),
        "timestamp_naive": (sa.DateTime(timezone=True), _ts(["2026-03-01 12:00", None, "2026-03-01 00:00:00.000001",
                                                             "2026-03-01", "1999-12-31 23:59:59", "2026-03-01"])),
        "timestamp_objects_mixed_offsets": (sa.DateTime(timezone=True), pd.Series(aware, dtype=object)),
        "timestamp_from_dates": (sa.DateTime(timezone=True), pd.Series([dt.date(2026, 3, 1), None] * 3, dtype=object)),
    }


SQLITE_ONLY = {  # kinds the old path stored on SQLite but psycopg's COPY refused ('t' is no bigint)
    "integer_bool": (sa.BigInteger(), pd.Series([True, False, True, True, False, False])),
    "float_bool": (sa.Float(precision=53), pd.Series([True, False, NA, True, False, NA], dtype="boolean")),
    "integer_from_float": (sa.BigInteger(), pd.Series([1.0, NAN, 2.5, -0.0, 1e300, 3.0])),
}


def kinds_table(metadata: sa.MetaData, columns: dict, schema: str | None = None) -> sa.Table:
    return sa.Table(f"kinds_{uuid.uuid4().hex[:6]}", metadata, sa.Column("id", sa.BigInteger(), primary_key=True),
                    *[sa.Column(name, sql_type) for name, (sql_type, _) in columns.items()], schema=schema)


def kinds_frame(columns: dict, rows: int) -> pd.DataFrame:
    """`rows` rows of the six of every kind, tiled: more rows than one multi-row INSERT takes."""
    picks = np.arange(rows) % 6
    frame = pd.DataFrame({name: values.iloc[picks].reset_index(drop=True) for name, (_, values) in columns.items()})
    return frame.assign(id=np.arange(rows))[["id", *columns]]


# --- SQLite -----------------------------------------------------------------------------------

def sqlite_dump(path, table: str, by_rowid: bool = True) -> list[tuple]:
    """Every stored value with its storage class, as repr (exact digits, -0.0): with the rowid in
    rowid order, or (`by_rowid=False`) without it, sorted (rows may go in in another order)."""
    with sqlite3.connect(path) as con:
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
        select = ", ".join(f'"{c}", typeof("{c}")' for c in cols)
        if not by_rowid:
            return sorted(tuple(map(repr, row)) for row in con.execute(f'SELECT {select} FROM "{table}"'))
        return [tuple(map(repr, row)) for row in con.execute(f'SELECT rowid, {select} FROM "{table}" ORDER BY rowid')]


def sqlite_pair(tmp_path, create) -> tuple[Warehouse, Warehouse]:
    pair = tuple(Warehouse.open(f"sqlite:///{tmp_path / name}.db") for name in ("old", "new"))
    for wh in pair:
        create(wh)
    return pair


@pytest.mark.parametrize("rows", [0, 1, 6, 997])
def test_sqlite_stores_what_sqlalchemy_stored(tmp_path, rows):
    columns = kinds() | SQLITE_ONLY
    table = kinds_table(sa.MetaData(), columns)
    old, new = sqlite_pair(tmp_path, lambda wh: table.metadata.create_all(wh.engine))
    frame = kinds_frame(columns, rows)
    with old.begin() as conn:
        old_insert(conn, table, frame)
    with new.begin() as conn:
        insert_frame(conn, table, frame)
    stored = sqlite_dump(tmp_path / "new.db", table.name)
    assert stored == sqlite_dump(tmp_path / "old.db", table.name)
    assert len(stored) == rows


def test_sqlite_dates_and_timestamps_are_the_text_of_their_own_wall_clock(tmp_path):
    columns = {k: v for k, v in kinds().items() if k in ("date_aware", "timestamp_new_york_ns", "timestamp_utc")}
    table = kinds_table(sa.MetaData(), columns)
    wh = Warehouse.open(f"sqlite:///{tmp_path / 'w.db'}")
    table.metadata.create_all(wh.engine)
    with wh.begin() as conn:
        insert_frame(conn, table, kinds_frame(columns, 6))
    with sqlite3.connect(tmp_path / "w.db") as con:
        first = con.execute(f'SELECT date_aware, timestamp_new_york_ns, timestamp_utc FROM "{table.name}" '
                            "ORDER BY id LIMIT 2").fetchall()
    # the Paris wall date (00:30 on the 2nd when UTC is 23:30 on the 1st), New York's wall clock
    # (UTC 12:00 is 07:00 there), nanoseconds cut, the offsets dropped
    assert first == [("2026-03-02", "2026-03-01 07:00:00.123456", "2026-03-01 12:00:00.123456"), (None, None, None)]


@pytest.fixture(scope="module")
def marts():
    raw = dataset(leads=[{"lead_id": "L1"}, {"lead_id": "L2", "channel": "event"}],
                  deals=[{"deal_id": "D1", "stage": "won", "closed_at": "2026-02-01T00:00:00Z"}],
                  projects=[{"project_id": "P1", "deal_id": "D1"}, {"project_id": "P2"}],
                  time_entries=[{"entry_id": "T1"}, {"entry_id": "T2", "project_id": "P2", "hours": "2.5"}])
    staged = stage_sources(raw, "USD")
    return build_marts(staged.valid, "UTC", dt.date(2026, 3, 1), dt.date(2026, 3, 3))


def quarantine_frame() -> pd.DataFrame:
    return pd.DataFrame({"entity": ["leads", "deals", "leads"], "record_id": ["L1", "D1", None],
                         "rule": ["r", "r", "shape"], "detail": ["d", "", "line 3"], "record": ["{}", '{"a": 1}', "x"]})


def test_sqlite_marts_and_quarantine_as_before(tmp_path, marts):
    old, new = sqlite_pair(tmp_path, prepare)
    at = dt.datetime(2026, 3, 3, 4, 5, 6, 789, tzinfo=dt.UTC)
    with old.begin() as conn:
        for name, frame in marts.items():
            old_insert(conn, TABLES[name], frame[[c.name for c in TABLES[name].columns]])
        q = TABLES["quarantine"]
        old_insert(conn, q, quarantine_frame().assign(run_id="r1", quarantined_at=at)[[c.name for c in q.columns]])
    publish_marts(new, marts, dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    replace_quarantine(new, "r1", quarantine_frame(), ["leads", "deals"], at)
    for name in [*marts, "quarantine"]:  # the same rows (in key order now: see the test below)
        assert sqlite_dump(tmp_path / "new.db", name, False) == sqlite_dump(tmp_path / "old.db", name, False), name
    assert len(sqlite_dump(tmp_path / "new.db", "effort_weekly")) == len(marts["effort_weekly"]) > 0


def test_sqlite_rows_go_in_in_the_order_of_the_primary_key(wh):
    """project_daily comes by project, then date; inserted in that order its key's index was
    filled page by random page (most of a 365-date publish). Rows go in by (as_of_date, project_id)."""
    table = TABLES["project_daily"]
    dates = [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
    frame = pd.DataFrame({c.name: pd.Series([None] * 4, dtype=object) for c in table.columns})
    frame["as_of_date"] = dates * 2  # P2's dates, then P1's: (P2, 1st) (P2, 2nd) (P1, 1st) (P1, 2nd)
    frame["project_id"] = ["P2", "P2", "P1", "P1"]
    frame["contract_value"] = [1.0, 2.0, 3.0, 4.0]
    with wh.begin() as conn:
        insert_frame(conn, table, frame)
        got = conn.execute(sa.text(f"SELECT as_of_date, project_id, contract_value FROM "
                                   f"{wh.qualified('project_daily')} ORDER BY rowid")).fetchall()
    # key order: (1st, P1) = row 3, (1st, P2) = row 1, (2nd, P1) = row 4, (2nd, P2) = row 2
    assert got == [("2026-03-01", "P1", 3.0), ("2026-03-01", "P2", 1.0), ("2026-03-02", "P1", 4.0),
                   ("2026-03-02", "P2", 2.0)]


def test_key_order_is_none_when_the_rows_are_already_in_order():
    frame = pd.DataFrame({"d": [dt.date(2026, 3, 1), dt.date(2026, 3, 1), dt.date(2026, 3, 2)],
                          "k": ["a", "b", "a"]})
    assert bulk.key_order(frame, ["d", "k"]) is None
    assert bulk.key_order(frame, ["k", "d"]).tolist() == [0, 2, 1]  # (a,1st) (a,2nd) (b,1st)


def test_a_constraint_broken_on_sqlite_raises_sqlalchemys_integrity_error(wh):
    frame = pd.DataFrame({"week_start": [dt.date(2026, 3, 2)] * 2, "project_id": ["P1"] * 2, "role": ["r"] * 2,
                          "phase": ["p"] * 2, "hours": [1.0, 2.0], "labour_cost": [1.0, 2.0]})
    with pytest.raises(sa.exc.IntegrityError), wh.begin() as conn:
        insert_frame(conn, TABLES["effort_weekly"], frame)


# --- PostgreSQL -------------------------------------------------------------------------------

@pytest.fixture
def pg():
    from pgserver import drop_schema, new_schema, require_pg

    url, schema = require_pg(), new_schema()
    wh = Warehouse.open(url, schema)
    with wh.engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield wh
    wh.dispose()
    drop_schema(url, schema)


def pg_dump(wh: Warehouse, table: sa.Table) -> list[tuple]:
    """Every value as psycopg reads it back, as repr, in id order (or the order of every column)."""
    with wh.engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        order = ", ".join(str(i + 1) for i in range(len(table.c)))
        cursor.execute(f"SELECT * FROM {wh.qualified(table.name)} ORDER BY {order}")
        return [tuple(map(repr, row)) for row in cursor.fetchall()]


BINARY = ("date_objects", "text_str", "text_object", "text_none", "integer", "integer_na", "integer_small", "float",
          "float_negative_inf", "float_from_int", "float_na", "float_int_na", "float32")  # the marts' kinds


@pytest.mark.parametrize(("copy_format", "rows"), [("binary", n) for n in (0, 1, 6, 1000, bulk.COPY_BATCH + 3)]
                         + [("csv", n) for n in (0, 1, 6, 1000)])
def test_postgres_reads_back_what_write_row_sent(pg, rows, copy_format, monkeypatch):
    """Binary COPY when every column has an exact binary form (two batches of it), CSV when one
    has not (timestamps)."""
    used = []
    for name in ("_binary_chunks", "_csv_chunks"):
        real = getattr(bulk, name)
        monkeypatch.setattr(bulk, name, lambda *a, name=name, real=real: used.append(name) or real(*a))
    columns = {k: v for k, v in kinds().items() if k in BINARY or copy_format == "csv"}
    metadata = sa.MetaData()
    old_table, new_table = kinds_table(metadata, columns, pg.schema), kinds_table(metadata, columns, pg.schema)
    metadata.create_all(pg.engine)
    frame = kinds_frame(columns, rows)
    with pg.begin() as conn:
        conn.exec_driver_sql("SET LOCAL TIME ZONE 'Asia/Kolkata'")  # naive values are read in the session's zone
        old_copy(conn, old_table, frame)
        insert_frame(conn, new_table, frame)
    stored = pg_dump(pg, new_table)
    assert stored == pg_dump(pg, old_table)
    assert len(stored) == rows
    assert used == ([f"_{copy_format}_chunks"] if rows else [])


def test_postgres_marts_and_quarantine_as_before(pg, marts):
    with pg.engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{pg.schema}" CASCADE')
    prepare(pg)
    metadata = sa.MetaData()
    old_tables = {name: sa.Table(f"old_{name}", metadata, *[sa.Column(c.name, c.type) for c in TABLES[name].columns])
                  for name in [*marts, "quarantine"]}
    with pg.engine.begin() as conn:
        for name, old in old_tables.items():
            conn.exec_driver_sql(f"CREATE TABLE {pg.qualified(old.name)} (LIKE {pg.qualified(name)} INCLUDING DEFAULTS)")
    at = dt.datetime(2026, 3, 3, 4, 5, 6, 789, tzinfo=dt.UTC)
    q = TABLES["quarantine"]
    with pg.begin() as conn:
        for name, frame in marts.items():
            old_copy(conn, old_tables[name], frame[[c.name for c in TABLES[name].columns]])
        old_copy(conn, old_tables["quarantine"],
                 quarantine_frame().assign(run_id="r1", quarantined_at=at)[[c.name for c in q.columns]])
    publish_marts(pg, marts, dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    replace_quarantine(pg, "r1", quarantine_frame(), ["leads", "deals"], at)
    for name, old in old_tables.items():
        assert pg_dump(pg, TABLES[name]) == pg_dump(pg, old), name
    assert len(pg_dump(pg, TABLES["effort_weekly"])) == len(marts["effort_weekly"]) > 0
