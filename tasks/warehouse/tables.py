"""SQLAlchemy tables from the declarations in schemas/tables.py.

Tables carry no schema: `Warehouse.begin()` maps them to the output schema. Migrations create them
(tasks/warehouse/migrations/); a test checks that the migrated database matches these.
"""
from __future__ import annotations

import sqlalchemy as sa

from schemas.tables import DATE, DOCUMENTATION, FLOAT, INTEGER, OPERATIONAL, PUBLISHED, TEXT, TIMESTAMP, Table
from tasks.warehouse.connect import LANDING

SQL_TYPES = {
    DATE: sa.Date(),
    TEXT: sa.Text(),
    INTEGER: sa.BigInteger(),
    FLOAT: sa.Float(precision=53),
    TIMESTAMP: sa.DateTime(timezone=True),
}

metadata = sa.MetaData()


def _table(t: Table) -> sa.Table:
    cols = [sa.Column(c.name, SQL_TYPES[c.type], primary_key=c.name in t.key, nullable=c.name not in t.key,
                      comment=c.comment) for c in t.columns]
    # no index of its own on as_of_date: the primary key starts with it (migration 0007)
    return sa.Table(t.name, metadata, *cols, comment=t.doc)


TABLES: dict[str, sa.Table] = {name: _table(t) for name, t in {**PUBLISHED, **OPERATIONAL, **DOCUMENTATION}.items()}

# Raw landing (connectors): declared in the symbolic schema LANDING, which Warehouse maps to
# `<schema>_landing` (PostgreSQL) or to the one database (SQLite).
LANDED_RECORDS = sa.Table(
    "landed_records", metadata,
    sa.Column("source", sa.Text(), primary_key=True),  # hubspot, sql
    sa.Column("stream", sa.Text(), primary_key=True),  # contacts, deals, companies; an entity for sql
    sa.Column("id", sa.Text(), primary_key=True),
    sa.Column("payload", sa.Text(), nullable=False),  # the record as JSON, as the source gave it
    sa.Column("modified_at", sa.DateTime(timezone=True)),  # the source's last-modified time
    sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
    schema=LANDING,
)
SYNC_STATE = sa.Table(
    "sync_state", metadata,
    sa.Column("source", sa.Text(), primary_key=True),
    sa.Column("stream", sa.Text(), primary_key=True),
    sa.Column("cursor", sa.DateTime(timezone=True)),  # latest modified_at landed and committed
    sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
    schema=LANDING,
)
