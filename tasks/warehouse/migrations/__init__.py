"""Versioned warehouse migrations (Alembic). `tasks.warehouse.migrate.upgrade` runs them on every
run, so a warehouse written by an older version is brought to the current tables in place."""
from __future__ import annotations


def schema() -> str | None:
    """The output schema the migrations run in (None on SQLite), as the caller configured it."""
    from alembic import context

    return context.config.attributes.get("schema")


def qualified(name: str) -> str:
    """`"schema"."name"` (or `"name"`), quoted for the dialect the migration runs on."""
    from alembic import op

    quote = op.get_bind().dialect.identifier_preparer.quote
    s = schema()
    return f"{quote(s)}.{quote(name)}" if s else quote(name)
