"""Bulk writers: a frame's rows into a table, inside the caller's transaction, column by column.

They replace SQLAlchemy's executemany of one dict per row (SQLite) and psycopg's `copy.write_row`
per row (PostgreSQL), which made publishing effort_weekly (~715k rows at scale 10) take 15 s of a
100 s run. They store exactly what those stored (tests/warehouse/test_publish_fast.py compares):
on SQLite the values SQLAlchemy's types bound (Date as 'YYYY-MM-DD', DateTime as
'YYYY-MM-DD HH:MM:SS.ffffff' of the value's own wall clock, Float through float(), NULL for
NaN/NA/NaT), on PostgreSQL the values the text of psycopg's dumpers gave COPY.

SQLite: multi-row INSERT statements through sqlite3's executemany. PostgreSQL: COPY, in the binary
format when every column has an exact binary form (the marts: integers, floats, text, dates), else
as CSV (timestamps: quarantine, restatements).

Each column is converted once, by kind:
- numbers and text: numpy/Arrow turn the whole column into Python values (SQLite), big-endian
  bytes or Arrow arrays (PostgreSQL);
- dates, timestamps, booleans: SQLAlchemy's bind processor (SQLite) or psycopg's dumper (PostgreSQL
  CSV) runs once per distinct value (an as_of_date column has a few hundred), and the results are
  spread back with the factorize codes;
- anything else (an object column of mixed Python values): value by value, as before. The marts
  never have one; it keeps odd frames exact rather than fast.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.engine.processors import to_float

if TYPE_CHECKING:  # psycopg is imported where PostgreSQL is written: 0.2 s of every SQLite run's start-up
    from psycopg.adapt import Transformer

SQLITE_PARAMS = 999  # SQLite's historical bound on parameters per statement: safe on every build
SQLITE_BATCH = 50_000  # rows made Python values at once for SQLite: bounds the memory they take
COPY_BATCH = 100_000  # rows per chunk sent to COPY: bounds the bytes held in memory at once
CSV = pa_csv.WriteOptions(include_header=False)  # strings always quoted: "" is '' and nothing is NULL


def insert_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Append the rows of `frame` (columns named as `table`'s) to `table`, in conn's transaction."""
    if frame.empty:
        return
    if conn.dialect.name == "postgresql":
        copy_frame(conn, table, frame)
    else:
        sqlite_insert(conn, table, frame)


def table_name(conn: sa.Connection, table: sa.Table) -> str:
    """The quoted name of `table` in the database, after the connection's schema_translate_map."""
    schema = conn.get_execution_options().get("schema_translate_map", {}).get(table.schema, table.schema)
    quote = conn.dialect.identifier_preparer.quote
    return f"{quote(schema)}.{quote(table.name)}" if schema else quote(table.name)


def column_names(conn: sa.Connection, frame: pd.DataFrame) -> str:
    return ", ".join(conn.dialect.identifier_preparer.quote(c) for c in frame.columns)


# --- kinds of column --------------------------------------------------------------------------

def _kind(series: pd.Series) -> str:
    """text, number, bool, empty (nothing but NA), dates (an object column of dates), object (of
    anything else) or typed (datetime64 and the other pandas dtypes)."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return "text"
    if pd.api.types.is_object_dtype(dtype):
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        return {"string": "text", "empty": "empty", "date": "dates"}.get(inferred, "object")
    return {"i": "number", "u": "number", "f": "number", "b": "bool"}.get(dtype.kind, "typed")


def _per_distinct(series: pd.Series, convert: Callable[[list], list]) -> np.ndarray | None:
    """`convert` on each distinct value (as a plain Python object), spread over the rows; NA stays
    None. None when two distinct values could have been taken for one (see _distinct_is_exact)."""
    codes, uniques = pd.factorize(series)
    values = [_plain(v) for v in (uniques.tolist() if isinstance(uniques, np.ndarray) else list(uniques))]
    if not _distinct_is_exact(series, values):
        return None
    done = np.fromiter([*convert(values), None], dtype=object, count=len(values) + 1)
    return done[codes]  # code -1 (NA) picks the None at the end


def _plain(value: object) -> object:
    """A numpy scalar as the Python one: what the old path handed the drivers."""
    return value.item() if isinstance(value, np.generic) else value


def _one_by_one(series: pd.Series) -> list:
    """The column as the old publish path handed it over, value by value (NA as None): the slow
    way, for object columns of mixed values only."""
    return [_plain(v) for v in series.astype(object).where(series.notna(), None)]


def _distinct_is_exact(series: pd.Series, uniques: list) -> bool:
    """Factorize merges equal values: fine for a typed column (equal values of one dtype store the
    same), and for an object column whose distinct values are all plain dates (a date equals no
    datetime); not for aware datetimes of different offsets, equal instants but other wall clocks."""
    return not pd.api.types.is_object_dtype(series.dtype) or all(type(v) is dt.date for v in uniques)


# --- SQLite -----------------------------------------------------------------------------------

def sqlite_values(series: pd.Series, sql_type: sa.types.TypeEngine, dialect: sa.Dialect) -> np.ndarray:
    """The column as the Python values SQLAlchemy's insert bound for it: an object array."""
    process = sql_type.dialect_impl(dialect).bind_processor(dialect)
    kind = _kind(series)
    if kind == "empty":  # every processor maps None to None
        return np.full(len(series), None, dtype=object)
    if process is None and kind in ("text", "number", "bool"):
        return series.to_numpy(dtype=object, na_value=None)
    if process is to_float and kind in ("number", "bool"):
        values = series.to_numpy(dtype="float64", na_value=np.nan).astype(object)
        values[series.isna().to_numpy()] = None
        return values
    process = process or (lambda v: v)
    if kind in ("dates", "bool", "typed"):
        spread = _per_distinct(series, lambda values: [process(v) for v in values])
        if spread is not None:
            return spread
    return np.fromiter((process(v) for v in _one_by_one(series)), dtype=object, count=len(series))


def sqlite_insert(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """INSERT … VALUES of many rows per statement through sqlite3's executemany. One statement per
    row costs SQLite a cursor open and a descent of the primary key per row: several rows per
    statement halve the time (effort_weekly, 500k rows: ~1.0 s against ~2.1 s of CPU).

    The Python values are made SQLITE_BATCH rows at a time: a whole table of them (project_daily
    of a 365-date backfill at scale 10, 65 million values, each a Python object) took 3 GB. Rows go
    in the order of the primary key: project_daily comes by project, then date, and inserted so
    its key's B-tree took a page from anywhere for each row, far more pages than SQLite's cache
    holds (2.2 million rows: 39 s, most of it writing and reading pages; in order: see BENCHMARKS.md)."""
    rows, width = frame.shape
    per = max(1, SQLITE_PARAMS // width)
    batch = per * max(1, SQLITE_BATCH // per)  # whole statements, but the last of the last batch
    insert = f"INSERT INTO {table_name(conn, table)} ({column_names(conn, frame)}) VALUES "
    one = "(" + ", ".join(["?"] * width) + ")"
    cursor = conn.connection.driver_connection.cursor()  # sqlite3's own: the transaction SQLAlchemy began
    order = key_order(frame, [c.name for c in table.primary_key.columns])
    try:
        for start in range(0, rows, batch):
            part = frame.iloc[start:start + batch] if order is None else frame.take(order[start:start + batch])
            grid = np.empty((len(part), width), dtype=object)
            for i, name in enumerate(frame.columns):
                grid[:, i] = sqlite_values(part[name], table.c[name].type, conn.dialect)
            full = len(part) // per * per
            if full:
                cursor.executemany(insert + ", ".join([one] * per), grid[:full].reshape(-1, per * width).tolist())
            if full < len(part):
                cursor.execute(insert + ", ".join([one] * (len(part) - full)), grid[full:].ravel().tolist())
    except conn.dialect.loaded_dbapi.Error as exc:
        # SQLAlchemy's exception classes, as its own insert raised: callers catch IntegrityError
        raise sa.exc.DBAPIError.instance(insert, None, exc, conn.dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()


def key_order(frame: pd.DataFrame, key: list[str]) -> np.ndarray | None:
    """The positions of the rows in the order of `key` (ascending, as the primary key's index
    holds them); None when they already are in that order (or have no key)."""
    if not key or len(frame) < 2:
        return None
    codes = [pd.factorize(frame[k], sort=True, use_na_sentinel=True)[0] for k in reversed(key)]
    order = np.lexsort(codes)  # the last array given is the first key
    return None if (order[1:] > order[:-1]).all() else order


# --- PostgreSQL -------------------------------------------------------------------------------

def copy_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """COPY the rows into `table`: in PostgreSQL's binary format when every column has an exact
    binary form (the marts: numbers, text, dates), else as CSV that pyarrow writes. Binary spares
    the server parsing text: effort_weekly, 500k rows, takes ~1.9 s instead of ~2.5 s."""
    into = f"COPY {table_name(conn, table)} ({column_names(conn, frame)}) FROM STDIN"
    encoding = conn.connection.driver_connection.info.encoding
    # binary text goes as it is, read in the client encoding: only when that is UTF-8, as Arrow's
    columns = [pg_binary_column(frame[c], table.c[c].type) for c in frame.columns] if encoding == "utf-8" else [None]
    binary = all(columns)
    from psycopg.adapt import Transformer  # the connection has loaded psycopg by now: free here

    with conn.connection.driver_connection.cursor() as cursor, \
            cursor.copy(f"{into} (FORMAT binary)" if binary else f"{into} (FORMAT csv, ENCODING 'UTF8')") as copy:
        chunks = _binary_chunks(columns, len(frame)) if binary else _csv_chunks(
            pg_table(frame, Transformer(cursor), encoding))
        for chunk in chunks:
            copy.write(chunk)


def _csv_chunks(data: pa.Table) -> Iterator[memoryview]:
    for batch in data.to_batches(max_chunksize=COPY_BATCH):
        buffer = io.BytesIO()
        pa_csv.write_csv(batch, buffer, CSV)  # pyarrow writes UTF-8: hence COPY's ENCODING
        yield buffer.getbuffer()


# a binary column: (values, missing) as numpy arrays of a fixed-width type, or Arrow binary values
BinaryColumn = tuple[np.ndarray | pa.Array, np.ndarray]
PG_EPOCH = dt.date(2000, 1, 1)  # day 0 of PostgreSQL's binary dates
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # then flags and header extension: none
COPY_TRAILER = b"\xff\xff"
EMPTY = pa.scalar(b"", pa.large_binary())


def pg_binary_column(series: pd.Series, sql_type: sa.types.TypeEngine) -> BinaryColumn | None:
    """The column ready for binary COPY into a column of `sql_type`, if it has a form there that
    is exactly the value the text of psycopg's dumper gave; None otherwise."""
    kind, missing = _kind(series), series.isna().to_numpy()
    if isinstance(sql_type, sa.BigInteger) and kind == "number" and series.dtype.kind in "iu" and (
            series.dtype.kind == "i" or series.dtype.itemsize < 8):
        return series.to_numpy(dtype="int64", na_value=0).astype(">i8"), missing
    if isinstance(sql_type, sa.Float) and (sql_type.precision or 53) > 24 and kind == "number":
        # an int's digits are read as the nearest double, as numpy converts; NaN that is no NA stays
        return series.to_numpy(dtype="float64", na_value=np.nan).astype(">f8"), missing
    if isinstance(sql_type, sa.String) and kind in ("text", "empty"):
        text = pa.array(series, from_pandas=True)  # a pandas str column may hand over its chunks
        return (text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text).cast(pa.large_binary()), missing
    if isinstance(sql_type, sa.Date) and kind == "dates":
        days = _per_distinct(series, lambda dates: [(d - PG_EPOCH).days for d in dates])
        return None if days is None else (np.where(missing, 0, days).astype(">i4"), missing)
    return None


def _binary_chunks(columns: list[BinaryColumn], rows: int) -> Iterator[bytes | memoryview]:
    """COPY's binary format: the signature, then per row the field count and each field as its
    length (-1: NULL) and bytes, then the trailer. Arrow joins the fields of all rows at once."""
    yield COPY_SIGNATURE
    count = pa.scalar(len(columns).to_bytes(2, "big"), pa.large_binary())
    for start in range(0, rows, COPY_BATCH):
        stop = min(start + COPY_BATCH, rows)
        fields = [_fields(values, missing, start, stop) for values, missing in columns]
        joined = pc.binary_join_element_wise(count, *fields, EMPTY)
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64, count=len(joined) + 1)
        yield memoryview(joined.buffers()[2])[offsets[0]:offsets[-1]]
    yield COPY_TRAILER


def _fields(values: np.ndarray | pa.Array, missing: np.ndarray, start: int, stop: int) -> pa.Array:
    """Rows start … stop of a column as binary COPY fields, one Arrow binary value per row."""
    missing = missing[start:stop]
    if isinstance(values, pa.Array):
        data = pc.fill_null(values.slice(start, stop - start), EMPTY)
        lengths = np.where(missing, -1, pc.binary_length(data).to_numpy(zero_copy_only=False))
        return pc.binary_join_element_wise(_binary(lengths.astype(">i4").view(np.uint8), np.full(len(lengths), 4)),
                                           data, EMPTY)
    width = values.dtype.itemsize
    block = np.empty((stop - start, 4 + width), dtype=np.uint8)
    block[:, :4] = np.frombuffer(width.to_bytes(4, "big"), dtype=np.uint8)
    block[:, 4:] = values[start:stop].view(np.uint8).reshape(-1, width)
    block[missing, :4] = 0xFF  # length -1, and no bytes follow
    keep = np.ones(block.shape, dtype=bool)
    keep[missing, 4:] = False
    return _binary(block[keep], np.where(missing, 4, 4 + width))


def _binary(data: np.ndarray, sizes: np.ndarray) -> pa.Array:
    """An Arrow large_binary array over `data` (uint8), cut in pieces of `sizes` bytes."""
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(sizes),
                                            [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))])


def pg_table(frame: pd.DataFrame, tx: Transformer, encoding: str) -> pa.Table:
    """The frame as Arrow columns whose CSV text PostgreSQL reads as the values write_row sent."""
    return pa.table({name: pg_column(frame[name], tx, encoding) for name in frame.columns})


def pg_column(series: pd.Series, tx: Transformer, encoding: str) -> pa.Array:
    """Numbers and text as Arrow writes them (floats in shortest round-trip form, as Python's
    repr that psycopg sent); anything else as the text psycopg's dumper gives each value."""
    kind = _kind(series)
    if kind in ("text", "number", "empty"):
        array = pa.array(series, from_pandas=True)  # NaN, NA, None: null, written as nothing
        # a float32 went to psycopg as the Python float it widens to: write that float's digits
        return array.cast(pa.float64()) if pa.types.is_floating(array.type) else array

    from psycopg.adapt import PyFormat

    def dump(values: list) -> list[str | None]:
        texts = tx.dump_sequence(values, [PyFormat.TEXT] * len(values))
        return [None if b is None else bytes(b).decode(encoding) for b in texts]

    spread = _per_distinct(series, dump) if kind != "object" else None
    if spread is None:
        spread = np.array(dump(_one_by_one(series)), dtype=object)
    return pa.array(spread, type=pa.string(), from_pandas=True)
