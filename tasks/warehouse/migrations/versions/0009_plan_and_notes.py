"""The plan and the review's notes (issue 23): the tables targets and review_notes (METRICS.md: not
as-of, the valid rows of the optional source entities of the same names), and run_log's counts of
those two entities.

Nothing existing changes shape but run_log, which gains columns (null on the runs logged before:
they did not read these entities, and the shrink guard compares nothing there). The *_latest views
are left as they are: their tables keep their columns. On PostgreSQL the roles that read
portfolio_daily can read the two new tables (0005 says why the grant is made here).

Frozen, like 0001: the columns are spelled out here, not read from schemas/.

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tasks.warehouse.migrations import grant_select, schema, select_grantees

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

NEW_TABLES = ("targets", "review_notes")
RUN_LOG_COLUMNS = tuple(f"{entity}_{count}" for entity in NEW_TABLES
                        for count in ("read", "quarantined", "superseded", "collapsed"))


def upgrade() -> None:
    portfolio_readers = select_grantees("portfolio_daily")
    for name in RUN_LOG_COLUMNS:
        op.add_column("run_log", sa.Column(name, sa.BigInteger(), nullable=True), schema=schema())
    op.create_table(
        "targets",
        sa.Column("metric", sa.Text(), primary_key=True),
        sa.Column("month", sa.Date(), primary_key=True),
        sa.Column("target", sa.Float(precision=53)),
        sa.Column("owner", sa.Text()),
        schema=schema(),
    )
    op.create_table(
        "review_notes",
        sa.Column("note_id", sa.Text(), primary_key=True),
        sa.Column("noted_on", sa.Date()),
        *(sa.Column(name, sa.Text()) for name in ("metric", "subject", "owner", "decision", "note")),
        *(sa.Column(name, sa.Date()) for name in ("follow_up_by", "closed_on")),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        schema=schema(),
    )
    for table in NEW_TABLES:
        grant_select(table, portfolio_readers)


def downgrade() -> None:
    for table in NEW_TABLES:
        op.drop_table(table, schema=schema())
    with op.batch_alter_table("run_log", schema=schema()) as batch:
        for name in RUN_LOG_COLUMNS:
            batch.drop_column(name)
