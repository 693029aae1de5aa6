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


# The views of the latest as-of date (0002), as every migration that recreates them writes them.
LATEST = {"portfolio_latest": "portfolio_daily", "project_latest": "project_daily"}


def drop_latest_views() -> None:
    from alembic import op

    for view in LATEST:
        op.execute(f"DROP VIEW {qualified(view)}")


def create_latest_views() -> None:
    """PostgreSQL expands a view's `SELECT *` when the view is created: a migration that adds
    columns to their tables drops the views first and creates them again after."""
    from alembic import op

    for view, table in LATEST.items():
        op.execute(f"CREATE VIEW {qualified(view)} AS SELECT * FROM {qualified(table)} "
                   f"WHERE as_of_date = (SELECT max(as_of_date) FROM {qualified(table)})")


def select_grantees(name: str) -> list[str]:
    """PostgreSQL: the roles (but the owner and PUBLIC) granted SELECT on a table or view."""
    import sqlalchemy as sa
    from alembic import op

    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return []
    return list(bind.execute(sa.text(
        "SELECT DISTINCT pg_get_userbyid(a.grantee) FROM pg_class c, aclexplode(c.relacl) a "
        "WHERE c.oid = CAST(:name AS regclass) AND a.privilege_type = 'SELECT' "
        "AND a.grantee <> 0 AND a.grantee <> c.relowner ORDER BY 1"), {"name": qualified(name)}).scalars())


def grant_select(name: str, roles: list[str]) -> None:
    from alembic import op

    quote = op.get_bind().dialect.identifier_preparer.quote
    for role in roles:
        op.execute(f"GRANT SELECT ON {qualified(name)} TO {quote(role)}")
