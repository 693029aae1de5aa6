"""Restatements: the portfolio_daily figures that changed when their as-of date was published
again (old and new value, the run that first published the old one and the run that changed it),
written by the publish in its own transaction; the weekly review pack lists them apart from real
movement.

On PostgreSQL the roles that can read portfolio_daily can read restatements: a reader granted by
`grant-reader` keeps reading everything (its default privileges cover new tables only when the
role that runs the migration is the one that granted them).

Frozen, like 0001: the columns are spelled out here, not read from schemas/.

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tasks.warehouse.migrations import qualified, schema

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    readers = _select_grantees("portfolio_daily")
    op.create_table(
        "restatements",
        sa.Column("as_of_date", sa.Date(), primary_key=True),
        sa.Column("metric", sa.Text(), primary_key=True),
        sa.Column("old_value", sa.Float(precision=53)),
        sa.Column("new_value", sa.Float(precision=53)),
        sa.Column("first_run_id", sa.Text()),
        sa.Column("run_id", sa.Text(), primary_key=True),
        sa.Column("restated_at", sa.DateTime(timezone=True)),
        schema=schema(),
    )
    quote = op.get_bind().dialect.identifier_preparer.quote
    for role in readers:
        op.execute(f"GRANT SELECT ON {qualified('restatements')} TO {quote(role)}")


def downgrade() -> None:
    op.drop_table("restatements", schema=schema())


def _select_grantees(name: str) -> list[str]:
    """PostgreSQL: the roles (but the owner and PUBLIC) granted SELECT on a table or view."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return []
    return list(bind.execute(sa.text(
        "SELECT DISTINCT pg_get_userbyid(a.grantee) FROM pg_class c, aclexplode(c.relacl) a "
        "WHERE c.oid = CAST(:name AS regclass) AND a.privilege_type = 'SELECT' "
        "AND a.grantee <> 0 AND a.grantee <> c.relowner ORDER BY 1"), {"name": qualified(name)}).scalars())
