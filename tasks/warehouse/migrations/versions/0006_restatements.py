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

from tasks.warehouse.migrations import grant_select, schema, select_grantees

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    readers = select_grantees("portfolio_daily")
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
    grant_select("restatements", readers)


def downgrade() -> None:
    op.drop_table("restatements", schema=schema())
