"""Read-only access for BI tools (PostgreSQL): a role that can read the output schema and nothing
else: not the landing schema with the raw source rows, not write anywhere."""
from __future__ import annotations

import re

import sqlalchemy as sa

from tasks.warehouse.connect import Warehouse, landing_schema, sql_literal

ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class AccessError(ValueError):
    """The reader role cannot be set up as asked; the message says why."""


def grant_reader(wh: Warehouse, role: str, password: str | None = None) -> list[str]:
    """Create or update `role`: LOGIN (with `password` if given), SELECT on every present and
    future table and view of the output schema, nothing more. Returns the statements run, with the
    password masked."""
    if not wh.is_postgres:
        raise AccessError(f"grant-reader needs PostgreSQL; {wh.url} is {wh.engine.dialect.name}")
    if not ROLE_NAME.fullmatch(role):
        raise AccessError(f"role {role!r}: use letters, digits and underscores (at most 63)")
    quote = wh.engine.dialect.identifier_preparer.quote
    r, s, landing = quote(role), quote(wh.schema), quote(landing_schema(wh.schema))
    with wh.engine.begin() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        login = "LOGIN" + (f" PASSWORD {sql_literal(password)}" if password else "")
        statements = [
            f"{'ALTER' if exists else 'CREATE'} ROLE {r} {login} NOSUPERUSER NOCREATEDB NOCREATEROLE",
            # nothing but reading: drop what earlier grants may have given, then grant SELECT
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
            f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
            f"GRANT USAGE ON SCHEMA {s} TO {r}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT ON TABLES TO {r}",
            f"REVOKE ALL ON SCHEMA {landing} FROM {r}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {landing} FROM {r}",
        ]
        for sql in statements:
            conn.exec_driver_sql(sql)
    return [sql.replace(sql_literal(password), "'********'") if password else sql for sql in statements]
