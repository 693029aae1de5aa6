"""What an entity's setting under `sources.sql.entities` reads: a table, or a query of its own, and
the same narrowed to the rows changed since a moment (an incremental sync)."""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

# `name`, `schema.name` or `database.schema.name` is a table; anything else is a query
TABLE_NAME = re.compile(r"[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*){0,2}")
SHOWN_QUERY_CHARS = 80  # a query is named by its start in messages


def select_sql(spec: str, engine: sa.Engine) -> tuple[str, str]:
    """The SQL that reads an entity, and how to name it in a message ("table x", "query '…'")."""
    spec = spec.strip().rstrip(";").strip()
    if TABLE_NAME.fullmatch(spec):
        quote_name = engine.dialect.identifier_preparer.quote  # quotes only what needs it: case, keywords
        return "SELECT * FROM " + ".".join(quote_name(p) for p in spec.split(".")), f"table {spec}"
    short = " ".join(spec.split())
    if len(short) > SHOWN_QUERY_CHARS:
        short = short[:SHOWN_QUERY_CHARS - 3] + "..."
    return spec, f"query {short!r}"


def changed_since(sql: str, column: str, since: dt.datetime, engine: sa.Engine) -> tuple[str, dict]:
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
