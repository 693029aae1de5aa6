"""Bring a warehouse to the current version: create its schema, run the pending migrations, and
refresh the documentation BI tools show (comments, metric_dictionary)."""
from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from tasks.warehouse.connect import Warehouse
from tasks.warehouse.docs import sync_docs

MIGRATIONS = Path(__file__).parent / "migrations"
FIRST = "0001"  # what a warehouse written before migrations existed is


def alembic_config(conn: sa.Connection, schema: str | None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes.update(connection=conn, schema=schema)
    return cfg


def current_revision(wh: Warehouse) -> str | None:
    with wh.engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table_schema": wh.schema}).get_current_revision()


MIGRATE_LOCK = "SELECT pg_advisory_xact_lock(hashtext('opsmetrics-migrate'))"


def prepare(wh: Warehouse) -> None:
    """What every run does first: migrate to the current version, then refresh the docs. Two runs
    starting at once take turns: the docs are a DELETE then INSERT of metric_dictionary, which
    would collide on its key."""
    with _sqlite_turn(wh):
        upgrade(wh)
        with wh.begin() as conn:
            if wh.is_postgres:
                conn.execute(sa.text(MIGRATE_LOCK))
            sync_docs(conn, wh)


@contextmanager
def _sqlite_turn(wh: Warehouse) -> Iterator[None]:
    """On SQLite, one process at a time through migration and docs: pysqlite runs DDL outside a
    transaction, so a second run could see the first one's new tables before its version row and
    take the warehouse for one from before versioning. An exclusive flock on the database file
    (not SQLite's own locks, which it leaves alone) makes the second wait. PostgreSQL uses advisory
    locks instead."""
    database = wh.engine.url.database
    if wh.engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(database, "ab") as handle:  # creates the file if needed: SQLite takes an empty file as a new database
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(wh: Warehouse, revision: str = "head") -> None:
    """Run the pending migrations in one transaction (PostgreSQL: serialised by an advisory lock,
    so two runs starting at once do not both migrate)."""
    with wh.engine.begin() as conn:
        if wh.is_postgres:
            conn.execute(sa.text(MIGRATE_LOCK))
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {wh.engine.dialect.identifier_preparer.quote(wh.schema)}"))
        cfg = alembic_config(conn, wh.schema)
        context = MigrationContext.configure(conn, opts={"version_table_schema": wh.schema})
        if context.get_current_revision() is None and _has_outputs(conn, wh.schema):
            command.stamp(cfg, FIRST)  # tables from before versioned migrations: the first version
        command.upgrade(cfg, revision)


def _has_outputs(conn: sa.Connection, schema: str | None) -> bool:
    return sa.inspect(conn).has_table("portfolio_daily", schema=schema)
