"""The ledger of as-of dates (partition_runs): which dates each flow has published, for backfills
that re-run only failed dates and for the nightly run's catch-up after missed nights.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tasks.warehouse.migrations import schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partition_runs",
        sa.Column("as_of_date", sa.Date(), primary_key=True),
        sa.Column("flow", sa.Text(), primary_key=True),
        sa.Column("run_id", sa.Text()),
        sa.Column("status", sa.Text()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("worker", sa.Text()),
        schema=schema(),
    )


def downgrade() -> None:
    op.drop_table("partition_runs", schema=schema())
