"""Read the SQL source's entities, and land its incremental ones.

An entity is read when the pipeline extracts it, in chunks. An entity listed under `incremental`
is synced into the landing tables instead, like HubSpot's streams (tasks/sources/landing.py): the
rows whose `updated_at` is at least the cursor minus the safety margin (the first sync and a full
refresh read everything and drop what the source no longer has), each chunk landed before the
next is read, the cursor moved only when the whole entity is landed. Extract then reads it back
from the landing tables.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Iterator

import pandas as pd

from schemas.columns import Entity
from schemas.config import Settings, SqlSource
from schemas.sources import ENTITIES
from tasks.sources import landing
from tasks.sources.base import SourceError, as_text, check_columns
from tasks.sources.landing import Page, StreamSync
from tasks.sources.sql.database import Database
from tasks.sources.sql.query import changed_since, select_sql
from tasks.warehouse.connect import Warehouse

SOURCE = "sql"
EARLIEST = pd.Timestamp(dt.datetime.min.replace(tzinfo=dt.UTC))  # where a row without updated_at sorts
Sleep = Callable[[float], None]
log = logging.getLogger(__name__)


def read_entity(wh: Warehouse | None, conf: SqlSource, entity: str, *, sleep: Sleep = time.sleep) -> pd.DataFrame:
    """The entity's rows as text, like a CSV of the file drop: read now from the database, or for
    an incremental entity, what the syncs have landed."""
    if entity in conf.incremental:
        if wh is None:
            raise SourceError(f"sql {entity}: an incremental entity is read from the warehouse's landing tables")
        return _described(_landed_frame(wh, ENTITIES[entity]), entity)
    db = Database.open(conf.url, conf.max_attempts, sleep)
    try:
        sql, what = select_sql(conf.entities[entity], db.engine)
        where = f"sql {entity} ({what} on {db.label})"
        # a retry starts the entity again from its first row: no chunk is kept twice
        frames = db.run(where, lambda: [_as_text(chunk, ENTITIES[entity], where)
                                        for chunk in db.chunks(sql, {}, conf.chunk_size)])
    finally:
        db.dispose()
    return _described(pd.concat(frames, ignore_index=True), entity)


def sync(wh: Warehouse, conf: SqlSource, entities: list[str], full_refresh: bool = False, *,
         sleep: Sleep = time.sleep) -> list[StreamSync]:
    """Land the incremental ones among `entities` (the others are read at extract); what each did."""
    streams = [e for e in entities if e in conf.incremental]
    if not streams:
        return []
    db = Database.open(conf.url, conf.max_attempts, sleep)
    try:
        return [sync_stream(db, wh, conf, e, full_refresh) for e in streams]
    finally:
        db.dispose()


def sync_stream(db: Database, wh: Warehouse, conf: SqlSource, entity: str, full_refresh: bool = False) -> StreamSync:
    """One incremental entity. A dropped connection restarts the read from the first row: the
    chunks landed before it stay and the cursor has not moved, so the rows read again upsert
    harmlessly."""
    spec = ENTITIES[entity]
    sql, what = select_sql(conf.entities[entity], db.engine)
    where = f"sql {entity} ({what} on {db.label})"

    def read_changes(since: dt.datetime | None) -> Iterator[Page]:
        query, params = (sql, {}) if since is None else changed_since(sql, spec.version_column, since, db.engine)
        return _pages(db.chunks(query, params, conf.chunk_size), spec, where)

    return landing.sync_stream(wh, SOURCE, entity, read_changes,
                               margin=dt.timedelta(minutes=conf.safety_margin_minutes), full_refresh=full_refresh,
                               retrying=lambda attempt: db.run(where, attempt))


def _pages(chunks: Iterable[pd.DataFrame], entity: Entity, where: str) -> Iterator[Page]:
    """The chunks of one read as pages of records, one record per key: a query may repeat a key (a
    join, a table without a primary key), and then the row with the latest updated_at stands, as in
    staging (SOURCES.md, "Duplicate keys"), across chunks too."""
    newest = pd.Series(dtype="datetime64[us, UTC]")  # key → updated_at of the row landed for it
    repeated = 0
    for chunk in chunks:
        records, newest, repeats = _newest_per_key(_records(_as_text(chunk, entity, where), entity), newest)
        repeated += repeats
        yield Page(entity.name, records)
    if repeated:
        log.warning("%s: %d rows repeat a key read before; the landing keeps one row per key, the one with the "
                    "latest updated_at", where, repeated)


def _records(frame: pd.DataFrame, entity: Entity) -> pd.DataFrame:
    """Text rows as landing records: the key's values joined by "|" as the id, the row as payload."""
    keys = [frame[k].str.strip() for k in entity.key]
    ids = keys[0].str.cat(keys[1:], sep="|")
    return landing.record_frame(ids, frame.to_dict("records"), landing.instants(frame[entity.version_column]))


def _newest_per_key(records: pd.DataFrame, newest: pd.Series) -> tuple[pd.DataFrame, pd.Series, int]:
    """The records to land from one chunk, given the updated_at already landed per key (`newest`):
    per key, its last row at the latest updated_at, unless a newer one is landed. Also the updated
    `newest`, and how many rows repeated a key."""
    order = records["modified_at"].fillna(EARLIEST)
    repeats = int((records["id"].duplicated() | records["id"].isin(newest.index)).sum())
    # a stable sort keeps the rows' order among equal times: the last row of a key wins a tie, as
    # upserting the rows one after the other would have it
    latest = (records.assign(order=order).sort_values("order", kind="stable")
              .drop_duplicates("id", keep="last").sort_index())
    landed_before = newest.reindex(latest["id"]).set_axis(latest.index)
    kept = latest[landed_before.isna() | (latest["order"] >= landed_before)]
    newest = pd.concat([newest.drop(kept["id"], errors="ignore"), kept.set_index("id")["order"]])
    return kept.drop(columns="order"), newest, repeats


def _as_text(chunk: pd.DataFrame, entity: Entity, where: str) -> pd.DataFrame:
    return as_text(check_columns(chunk, entity, where), entity)


def _landed_frame(wh: Warehouse, entity: Entity) -> pd.DataFrame:
    payloads = landing.read_landed(wh, SOURCE, entity.name)["payload"]
    if payloads.empty:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in entity.names})
    frame = pd.DataFrame.from_records(payloads.tolist())
    return frame[[c for c in entity.names if c in frame.columns]].fillna("").astype("str")


def _described(frame: pd.DataFrame, entity: str) -> pd.DataFrame:
    """How staging names the frame and its rows in a report."""
    frame.attrs.update(source=f"SQL {entity}", locator="row {}", first_position=1)
    return frame


class SqlConnector:
    """The SQL source as the registry sees it (tasks/sources/registry.py: Connector)."""

    name = SOURCE
    provides = tuple(ENTITIES)
    config_model = SqlSource

    def sync(self, wh: Warehouse, conf: SqlSource, entities: list[str], full_refresh: bool) -> list[StreamSync]:
        return sync(wh, conf, entities, full_refresh)

    def read_entity(self, wh: Warehouse | None, conf: SqlSource, entity: str, settings: Settings) -> pd.DataFrame:
        return read_entity(wh, conf, entity)


CONNECTOR = SqlConnector()
