"""SQLAlchemy tables from the declarations in schemas/tables.py."""
from __future__ import annotations

import sqlalchemy as sa

from schemas.tables import DATE, FLOAT, INTEGER, MARTS, OPERATIONAL, TEXT, TIMESTAMP, Table

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
                      comment=c.doc) for c in t.columns]
    indexes = [sa.Index(f"ix_{t.name}_as_of_date", "as_of_date")] if t.as_of and len(t.key) > 1 else []
    return sa.Table(t.name, metadata, *cols, *indexes, comment=t.doc)


TABLES: dict[str, sa.Table] = {name: _table(t) for name, t in {**MARTS, **OPERATIONAL}.items()}


def ensure_tables(engine: sa.Engine) -> None:
    """Create the tables that do not exist yet (existing ones and their rows are left alone)."""
    metadata.create_all(engine, checkfirst=True)
