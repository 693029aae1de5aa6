"""The source database: opened from `sources.sql.url`, read in chunks, retried when the connection
drops, and named in every message by its URL with the password (and any secret in the query
string) masked and by where the URL came from, never by the value."""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import quote, quote_plus

import pandas as pd
import sqlalchemy as sa

from schemas.config import is_reference
from tasks.credentials import resolve
from tasks.sources.base import SourceError
from tasks.sources.retry import NO_CAP, RetryPolicy, TryAgain, retry

URL_SETTING = "sources.sql.url"
BACKOFF_SECONDS = 2.0  # the wait before the second attempt; it doubles after each failure
CONNECT_TIMEOUT_SECONDS = 30  # libpq waits forever by default: a silent hang is worse than an error
SECRET_QUERY_KEY = re.compile(r"pass|secret|token", re.IGNORECASE)  # `?sslpassword=…` and the like
MASK = "***"
REASON_CHARS = 400  # a database's message is cut there: some repeat whole statements
T = TypeVar("T")
log = logging.getLogger(__name__)


class DatabaseFailure(Exception):
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
    retries: RetryPolicy
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def open(cls, reference: str, max_attempts: int, sleep: Callable[[float], None] = time.sleep) -> Database:
        """`reference`: `sources.sql.url`, the URL itself or where it is (env:NAME, secret:BLOCK)."""
        text, origin = _url_and_origin(reference)
        try:
            url = sa.engine.make_url(text)
        except (sa.exc.ArgumentError, ValueError):  # their message repeats the URL: not ours to print
            raise SourceError(f"{URL_SETTING} ({origin}): not a valid SQLAlchemy URL") from None
        secrets = _secrets(url)
        label = _scrub(f"{_masked(url)} (from {origin})", secrets)
        try:
            engine = sa.create_engine(url, pool_pre_ping=True, **_engine_options(url))
        except Exception as exc:  # an unknown dialect, a driver that is not installed
            raise SourceError(_scrub(f"sql database {label}: cannot be opened: {exc}", secrets)) from None
        if engine.dialect.name == "postgresql":
            sa.event.listen(engine, "connect", _utc_session)
        # no jitter: one pipeline reads the database, there is no crowd to spread out
        retries = RetryPolicy(max_attempts, backoff=BACKOFF_SECONDS, max_wait=NO_CAP, jitter=0)
        return cls(engine, label, secrets, retries, sleep)

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
            raise DatabaseFailure(_unwrap(exc)) from exc

    def run(self, what: str, attempt: Callable[[], T]) -> T:
        """`attempt()`, made again from the start after a dropped or refused connection (up to the
        policy's attempts, waiting longer each time), then a SourceError naming `what` and the reason."""

        def once() -> T:
            try:
                return attempt()
            except DatabaseFailure as failure:
                reason = self.reason(failure.error)
                if not _transient(failure.error):
                    raise SourceError(f"{what}: the query failed: {reason}") from None
                raise TryAgain(reason) from None

        def announce(number: int, failure: TryAgain, wait: float) -> None:
            log.warning("%s: attempt %d of %d failed (%s); trying again in %g s", what, number,
                        self.retries.max_attempts, failure.reason, wait)

        def gave_up(attempts: int, failure: TryAgain) -> SourceError:
            return SourceError(f"{what}: the database could not be read ({attempts} attempt{'s' * (attempts > 1)}, "
                               f"the last failed with: {failure.reason})")

        return retry(once, self.retries, sleep=self.sleep, announce=announce, gave_up=gave_up)

    def reason(self, error: Exception) -> str:
        """The database's own message on one line (not SQLAlchemy's, which repeats the statement
        and its parameters), without any secret."""
        text = " ".join(str(getattr(error, "orig", None) or error).split())
        return _scrub(text[:REASON_CHARS], self.secrets)


def _url_and_origin(reference: str) -> tuple[str, str]:
    """The URL, and where it came from for the messages: "environment variable X", a Secret block,
    or the setting itself. (tasks.credentials.resolve_url gives the URL alone.)"""
    if is_reference(reference):
        credential = resolve(reference, URL_SETTING)
        return credential.value, credential.origin
    return reference, URL_SETTING


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
