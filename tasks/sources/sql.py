"""The SQL source (SOURCES.md, "Configuration"): entities from any database SQLAlchemy reaches, one
table or query per entity giving the canonical columns.

An entity is read when the pipeline extracts it, in chunks. An entity listed under `incremental`
is synced into the landing tables instead, like HubSpot's streams: the rows whose `updated_at` is
at least the cursor minus a safety margin (the first sync and a full refresh read everything and
drop what the source no longer has), each chunk landed before the next is read, and the cursor
moved only when the whole entity is landed. Extract then reads it back from the landing tables.

The URL may hold a password: messages and logs name the database by its URL with the password
masked and by where the URL came from, never by the value.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import quote, quote_plus

import pandas as pd
import sqlalchemy as sa

from schemas.columns import Entity
from schemas.sources import ENTITIES
from tasks.sources import landing
from tasks.sources.base import SourceError, as_text, check_columns
from tasks.sources.credentials import resolve
from tasks.warehouse.connect import Warehouse

SOURCE = "sql"
DEFAULT_CHUNK_SIZE = 50_000
DEFAULT_MARGIN_MINUTES = 10
DEFAULT_ATTEMPTS = 3
BACKOFF_SECONDS = 2.0  # the wait before the second attempt; it doubles after each failure
CONNECT_TIMEOUT_SECONDS = 30  # libpq waits forever by default: a silent hang is worse than an error
# `name`, `schema.name` or `database.schema.name` is a table; anything else is a query
TABLE_NAME = re.compile(r"[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*){0,2}")
SECRET_QUERY_KEY = re.compile(r"pass|secret|token", re.IGNORECASE)  # `?sslpassword=…` and the like
MASK = "***"
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SqlConfig:
    """`sources.sql`, checked. The URL reference is resolved only when the database is opened."""

    url: str = field(repr=False)  # env:NAME, secret:BLOCK, or the URL itself
    entities: dict[str, str]  # entity → table name or query
    incremental: tuple[str, ...]
    chunk_size: int = DEFAULT_CHUNK_SIZE
    margin: dt.timedelta = dt.timedelta(minutes=DEFAULT_MARGIN_MINUTES)
    max_attempts: int = DEFAULT_ATTEMPTS

    @classmethod
    def parse(cls, conf: dict | None) -> SqlConfig:
        conf = conf or {}
        if not conf.get("url"):
            raise SourceError("sources.sql.url: not set (give env:VARIABLE, secret:BLOCK_NAME or a SQLAlchemy URL)")
        entities = conf.get("entities") or {}
        if not isinstance(entities, dict):
            raise SourceError("sources.sql.entities: give a mapping of entity name to a table name or a query")
        for name, spec in entities.items():
            if not isinstance(spec, str) or not spec.strip():
                raise SourceError(f"sources.sql.entities.{name}: give a table name or a query")
        incremental = conf.get("incremental") or []
        incremental = [incremental] if isinstance(incremental, str) else list(incremental)
        for name in incremental:
            if name not in entities:
                raise SourceError(f"sources.sql.incremental: {name} is not one of sources.sql.entities")
            if ENTITIES[name].version_column is None:
                raise SourceError(f"sources.sql.incremental: {name} has no updated_at to be read incrementally by")
        margin = _number(conf, "safety_margin_minutes", DEFAULT_MARGIN_MINUTES, minimum=0)
        return cls(str(conf["url"]), dict(entities), tuple(incremental),
                   chunk_size=int(_number(conf, "chunk_size", DEFAULT_CHUNK_SIZE, minimum=1)),
                   margin=dt.timedelta(minutes=margin),
                   max_attempts=int(_number(conf, "max_attempts", DEFAULT_ATTEMPTS, minimum=1)))


def _number(conf: dict, key: str, default: float, minimum: float) -> float:
    try:
        value = float(conf.get(key, default))
    except (TypeError, ValueError):
        value = minimum - 1
    if value < minimum:
        raise SourceError(f"sources.sql.{key}: {conf.get(key)!r} is not a number ≥ {minimum:g}")
    return value


class _Failed(Exception):
    """A source-database error, raised where it happened (connect, query, fetch) so that a
    warehouse error while landing a chunk is never mistaken for one and retried."""

    def __init__(self, error: Exception):
        super().__init__(type(error).__name__)
        self.error = error


@dataclass
class Database:
    """The source database: one engine for a sync or a read, and how to name it in a message."""

    engine: sa.Engine
    label: str  # the URL with its secrets masked, and where it came from
    secrets: tuple[str, ...] = field(repr=False)
    max_attempts: int = DEFAULT_ATTEMPTS

    @classmethod
    def open(cls, reference: str, max_attempts: int = DEFAULT_ATTEMPTS) -> Database:
        text, origin = _url_text(reference)
        try:
            url = sa.engine.make_url(text)
        except (sa.exc.ArgumentError, ValueError):  # their message repeats the URL: not ours to print
            raise SourceError(f"sources.sql.url ({origin}): not a valid SQLAlchemy URL") from None
        secrets = _secrets(url)
        label = _scrub(f"{_masked(url)} (from {origin})", secrets)
        try:
            engine = sa.create_engine(url, pool_pre_ping=True, **_engine_options(url))
        except Exception as exc:  # an unknown dialect, a driver that is not installed
            raise SourceError(_scrub(f"sql database {label}: cannot be opened: {exc}", secrets)) from None
        if engine.dialect.name == "postgresql":
            sa.event.listen(engine, "connect", _utc_session)
        return cls(engine, label, secrets, max_attempts)

    def dispose(self) -> None:
        self.engine.dispose()

    def chunks(self, sql: str, params: dict, size: int) -> Iterator[pd.DataFrame]:
        """The result of `sql` in frames of at most `size` rows, through a server-side cursor where
        the database has one, so a large table is never held whole in memory."""
        statement = sa.text(sql).execution_options(stream_results=True)
        try:
            # our own transaction: pandas would open one and end it before the first chunk is read
            with self.engine.connect() as conn, conn.begin():
                # coerce_float=False: NUMERIC stays an exact Decimal instead of becoming a float
                yield from pd.read_sql(statement, conn, params=params, chunksize=size, coerce_float=False)
        except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
            raise _Failed(_unwrap(exc)) from exc

    def run(self, what: str, attempt: Callable[[], T]) -> T:
        """`attempt()`, again after a dropped or refused connection (up to max_attempts, waiting
        longer each time), then a SourceError naming `what` and the reason."""
        for n in range(1, self.max_attempts + 1):
            try:
                return attempt()
            except _Failed as failed:
                reason = self.reason(failed.error)
                if not _transient(failed.error):
                    raise SourceError(f"{what}: the query failed: {reason}") from None
                if n == self.max_attempts:
                    raise SourceError(f"{what}: the database could not be read ({n} attempt{'s' * (n > 1)}, "
                                      f"the last failed with: {reason})") from None
                wait = BACKOFF_SECONDS * 2 ** (n - 1)
                log.warning("%s: attempt %d of %d failed (%s); trying again in %g s", what, n, self.max_attempts,
                            reason, wait)
                _sleep(wait)
        raise AssertionError("unreachable")

    def reason(self, error: Exception) -> str:
        """The database's own message on one line (not SQLAlchemy's, which repeats the statement
        and its parameters), without any secret."""
        text = " ".join(str(getattr(error, "orig", None) or error).split())
        return _scrub(text[:400], self.secrets)


def _url_text(reference: str) -> tuple[str, str]:
    """The URL and where it came from: "environment variable X", a Secret block, or the setting itself."""
    if reference.startswith(("env:", "secret:")):
        credential = resolve(reference, "sources.sql.url")
        return credential.value, credential.origin
    return reference, "sources.sql.url"


def _secrets(url: sa.URL) -> tuple[str, ...]:
    """Every form in which the URL's secrets could turn up in a message, longest first."""
    values = [v for k, v in url.query.items() if SECRET_QUERY_KEY.search(k)]
    values = [x for v in values for x in ([v] if isinstance(v, str) else v)]
    if url.password:
        values.append(str(url.password))
    forms = {f for v in values for f in (v, quote(v, safe=""), quote_plus(v))}
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def _masked(url: sa.URL) -> str:
    hidden = {k: MASK for k in url.query if SECRET_QUERY_KEY.search(k)}
    shown = url.update_query_dict(hidden) if hidden else url
    return shown.render_as_string(hide_password=True).replace(quote_plus(MASK), MASK)


def _engine_options(url: sa.URL) -> dict:
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("psycopg", "psycopg2") \
            and "connect_timeout" not in url.query:
        return {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS}}
    return {}


def _utc_session(dbapi_connection, _record) -> None:
    """A timestamp without an offset is UTC (SOURCES.md): a UTC session makes PostgreSQL agree when
    it compares a `timestamp` column with the cursor, and gives `timestamptz` values in UTC."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET TIME ZONE 'UTC'")
    finally:
        cursor.close()
    dbapi_connection.commit()  # SET is transactional: the pool's rollback on check-in would undo it


def _unwrap(error: Exception) -> Exception:
    """pandas wraps errors raised when the query starts; the SQLAlchemy error says more."""
    cause = error.__cause__
    return cause if isinstance(error, pd.errors.DatabaseError) and isinstance(cause, sa.exc.SQLAlchemyError) else error


def _transient(error: Exception) -> bool:
    """Worth another attempt: the connection failed or was lost (a server restart, a network drop,
    a killed session), as opposed to a query the database rejects."""
    return isinstance(error, sa.exc.OperationalError) or bool(getattr(error, "connection_invalidated", False))


def _sleep(seconds: float) -> None:  # a seam for the tests
    time.sleep(seconds)


def _select(spec: str, engine: sa.Engine) -> tuple[str, str]:
    """The SQL that reads an entity, and how to name it in a message."""
    spec = spec.strip().rstrip(";").strip()
    if TABLE_NAME.fullmatch(spec):
        quote_name = engine.dialect.identifier_preparer.quote  # quotes only what needs it: case, keywords
        return "SELECT * FROM " + ".".join(quote_name(p) for p in spec.split(".")), f"table {spec}"
    short = " ".join(spec.split())
    return spec, f"query {short if len(short) <= 80 else short[:77] + '...'!r}"


def _changed_since(sql: str, column: str, since: dt.datetime, engine: sa.Engine) -> tuple[str, dict]:
    """`sql` narrowed to the rows whose `column` is at or after `since` (UTC), and its parameter."""
    since = since.astimezone(dt.UTC)
    dialect = engine.dialect.name
    if dialect == "sqlite":  # timestamps are text there: compare instants, whatever the format and offset
        condition, value = f"julianday({column}) >= julianday(:since)", since.isoformat()
    elif dialect == "postgresql":  # works for timestamptz and (in the UTC session) for timestamp
        condition, value = f"{column} >= :since", since
    else:  # a naive value is UTC by the contract, and every driver can bind one
        condition, value = f"{column} >= :since", since.replace(tzinfo=None)
    return f"SELECT * FROM ({sql}) AS src WHERE {condition}", {"since": value}


def _text(chunk: pd.DataFrame, entity: Entity, where: str) -> pd.DataFrame:
    return as_text(check_columns(chunk, entity, where), entity)


def _frame_attrs(frame: pd.DataFrame, entity: str) -> pd.DataFrame:
    frame.attrs.update(source=f"SQL {entity}", locator="row {}", first_position=1)
    return frame


def read_entity(wh: Warehouse | None, conf: dict, entity: str) -> pd.DataFrame:
    """The entity's rows as text, like a CSV of the file drop: read now from the database, or for
    an incremental entity, what the syncs have landed."""
    config = SqlConfig.parse(conf)
    if entity in config.incremental:
        if wh is None:
            raise SourceError(f"sql {entity}: an incremental entity is read from the warehouse's landing tables")
        return _frame_attrs(_landed_frame(wh, ENTITIES[entity]), entity)
    db = Database.open(config.url, config.max_attempts)
    try:
        sql, what = _select(config.entities[entity], db.engine)
        where = f"sql {entity} ({what} on {db.label})"
        # a retry starts the entity again from its first row: no chunk is kept twice
        frames = db.run(where, lambda: [_text(c, ENTITIES[entity], where) for c in db.chunks(sql, {}, config.chunk_size)])
    finally:
        db.dispose()
    return _frame_attrs(pd.concat(frames, ignore_index=True), entity)


def _landed_frame(wh: Warehouse, entity: Entity) -> pd.DataFrame:
    rows = landing.landed(wh, SOURCE, entity.name)["payload"].tolist()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in entity.names})
    frame = pd.DataFrame.from_records(rows)
    columns = [c for c in entity.names if c in frame.columns]
    return frame[columns].fillna("").astype("str")


def sync(wh: Warehouse, conf: dict, entities: list[str], full_refresh: bool = False) -> list[landing.StreamSync]:
    """Land the incremental ones among `entities` (the others are read at extract); what each did."""
    config = SqlConfig.parse(conf)
    streams = [e for e in entities if e in config.incremental]
    if not streams:
        return []
    db = Database.open(config.url, config.max_attempts)
    try:
        return [sync_stream(db, wh, config, e, full_refresh) for e in streams]
    finally:
        db.dispose()


def sync_stream(db: Database, wh: Warehouse, config: SqlConfig, entity: str,
                full_refresh: bool = False) -> landing.StreamSync:
    if full_refresh:
        landing.reset(wh, SOURCE, entity)
    since = landing.cursor(wh, SOURCE, entity)
    result = landing.StreamSync(entity, "full" if since is None else "incremental")
    sql, what = _select(config.entities[entity], db.engine)
    params: dict = {}
    if since is not None:
        # margin: a row committed after the last sync with an older updated_at (a long transaction,
        # clocks that differ) is still at or after cursor − margin; re-reading a few rows is harmless
        sql, params = _changed_since(sql, ENTITIES[entity].version_column, since - config.margin, db.engine)
    where = f"sql {entity} ({what} on {db.label})"
    result.landed, seen = db.run(where, lambda: _land_all(db, wh, ENTITIES[entity], sql, params, config.chunk_size, where))
    if result.mode == "full":  # what a full read did not return was deleted at the source
        result.removed = landing.remove_unseen(wh, SOURCE, entity, seen)
    result.cursor = landing.advance_cursor(wh, SOURCE, entity)
    log.info("sql %s: %s sync, %d rows landed, %d removed, cursor %s", entity, result.mode, result.landed,
             result.removed, result.cursor)
    return result


def _land_all(db: Database, wh: Warehouse, entity: Entity, sql: str, params: dict, size: int,
              where: str) -> tuple[int, set[str]]:
    """One attempt at a stream: land chunk by chunk (each committed). If the connection drops
    midway, the landed chunks stay and the cursor has not moved: the next attempt reads the same
    rows again, and upsert by key makes that harmless."""
    latest: dict[str, dt.datetime | None] = {}  # key → updated_at of the row landed for it
    landed = repeated = 0
    for chunk in db.chunks(sql, params, size):
        records, n = _one_per_key(_records(_text(chunk, entity, where), entity), latest)
        landed += landing.land(wh, SOURCE, entity.name, records)
        repeated += n
    if repeated:
        log.warning("%s: %d rows repeat a key read before; the landing keeps one row per key, the one with the "
                    "latest updated_at", where, repeated)
    return landed, set(latest)


def _records(frame: pd.DataFrame, entity: Entity) -> list[landing.Landed]:
    keys = [frame[k].str.strip() for k in entity.key]
    ids = ["|".join(parts) for parts in zip(*keys)]
    modified = [_instant(v) for v in frame[entity.version_column]]
    return [landing.Landed(i, row, m) for i, row, m in zip(ids, frame.to_dict("records"), modified)]


def _one_per_key(records: list[landing.Landed], latest: dict[str, dt.datetime | None]) -> tuple[list, int]:
    """One record per key (a query may repeat one: a join, a table without a primary key): the
    latest updated_at stands, as in staging (SOURCES.md, "Duplicate keys"); also how many repeated."""
    keep: dict[str, landing.Landed] = {}
    repeated = 0
    for r in records:
        if r.id in latest:
            repeated += 1
            if _order(r.modified_at) < _order(latest[r.id]):
                continue
        latest[r.id] = r.modified_at
        keep[r.id] = r
    return list(keep.values()), repeated


def _order(moment: dt.datetime | None) -> dt.datetime:
    return moment or dt.datetime.min.replace(tzinfo=dt.UTC)


def _instant(text: str) -> dt.datetime | None:
    """updated_at as a UTC instant for the cursor; None when unreadable (staging reports the row)."""
    try:
        stamp = pd.Timestamp(text.strip()) if text.strip() else pd.NaT
    except (ValueError, OverflowError):
        return None
    if stamp is pd.NaT:
        return None
    return (stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")).to_pydatetime()
