"""Bring a warehouse to the current version: create its schema, run the pending migrations, and
refresh the documentation BI tools show (comments, metric_dictionary)."""
from __future__ import annotations

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


def prepare(wh: Warehouse) -> None:
    """What every run does first: migrate to the current version, then refresh the docs."""
    upgrade(wh)
    with wh.begin() as conn:
        sync_docs(conn, wh)


def upgrade(wh: Warehouse, revision: str = "head") -> None:
    """Run the pending migrations in one transaction (PostgreSQL: serialised by an advisory lock,
    so two runs starting at once do not both migrate)."""
    with wh.engine.begin() as conn:
        if wh.is_postgres:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('opsmetrics-migrate'))"))
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {wh.engine.dialect.identifier_preparer.quote(wh.schema)}"))
        cfg = alembic_config(conn, wh.schema)
        context = MigrationContext.configure(conn, opts={"version_table_schema": wh.schema})
        if context.get_current_revision() is None and _has_outputs(conn, wh.schema):
            command.stamp(cfg, FIRST)  # tables from before versioned migrations: the first version
        command.upgrade(cfg, revision)


def _has_outputs(conn: sa.Connection, schema: str | None) -> bool:
    return sa.inspect(conn).has_table("portfolio_daily", schema=schema)
