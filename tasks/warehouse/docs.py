"""The documentation BI tools show, from the declarations in schemas/tables.py: COMMENT ON every
table, view and column (PostgreSQL), and the rows of metric_dictionary (every database).

Refreshed by every run, so a definition edited in schemas/ reaches the warehouse without a
migration: comments are documentation, not structure.
"""
from __future__ import annotations

import sqlalchemy as sa

from schemas.tables import DOCUMENTATION, OPERATIONAL, PUBLISHED, VIEWS, Table
from tasks.warehouse.connect import Warehouse, sql_literal
from tasks.warehouse.tables import TABLES

DOCUMENTED: dict[str, Table] = {**PUBLISHED, **OPERATIONAL, **DOCUMENTATION}


def dictionary_rows() -> list[dict[str, str]]:
    return [{"table_name": t.name, "column_name": c.name, "definition": c.doc, "unit": c.unit or None}
            for t in (*PUBLISHED.values(), *OPERATIONAL.values()) for c in t.columns]


def sync_docs(conn: sa.Connection, wh: Warehouse) -> None:
    table = TABLES["metric_dictionary"]
    conn.execute(table.delete())
    conn.execute(table.insert(), dictionary_rows())
    if wh.is_postgres:
        for statement in comment_statements(wh):
            conn.exec_driver_sql(statement)


def comment_statements(wh: Warehouse) -> list[str]:
    quote = wh.engine.dialect.identifier_preparer.quote
    out = []
    for t in DOCUMENTED.values():
        out.append(f"COMMENT ON TABLE {wh.qualified(t.name)} IS {sql_literal(t.doc)}")
        out += [f"COMMENT ON COLUMN {wh.qualified(t.name)}.{quote(c.name)} IS {sql_literal(c.comment)}"
                for c in t.columns]
    for v in VIEWS.values():
        out.append(f"COMMENT ON VIEW {wh.qualified(v.name)} IS {sql_literal(v.doc)}")
        out += [f"COMMENT ON COLUMN {wh.qualified(v.name)}.{quote(c.name)} IS {sql_literal(c.comment)}"
                for c in PUBLISHED[v.table].columns]
    return out
