"""The contract's second version: campaign_daily, the customer's voice in portfolio_daily
(feedback_responses_90d, nps_90d, team_score_avg_90d) and project_daily (feedback_responses_180d,
nps_180d), and run_log's counts of the new `feedback` entity.

Columns are added in place, so an existing warehouse keeps its history (the new columns are null on
the dates written before). The *_latest views are recreated: PostgreSQL expands a view's `SELECT *`
when the view is created, so they would not show the new columns. On PostgreSQL the roles that
could read a view before can read it again, and the roles that read portfolio_daily can read
campaign_daily: a reader granted by `grant-reader` keeps reading everything (its default privileges
cover new tables only when the role that runs the migration is the one that granted them).

Frozen, like 0001: the columns are spelled out here, not read from schemas/.

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tasks.warehouse.migrations import (
    LATEST,
    create_latest_views,
    drop_latest_views,
    grant_select,
    schema,
    select_grantees,
)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _float() -> sa.Float:
    return sa.Float(precision=53)


NEW_COLUMNS = {
    "portfolio_daily": (("feedback_responses_90d", sa.BigInteger), ("nps_90d", _float),
                        ("team_score_avg_90d", _float)),
    "project_daily": (("feedback_responses_180d", sa.BigInteger), ("nps_180d", _float)),
    "run_log": tuple((f"feedback_{k}", sa.BigInteger) for k in ("read", "quarantined", "superseded", "collapsed")),
}


def upgrade() -> None:
    readers = {view: select_grantees(view) for view in LATEST}
    portfolio_readers = select_grantees("portfolio_daily")
    drop_latest_views()
    for table, columns in NEW_COLUMNS.items():
        for name, kind in columns:
            op.add_column(table, sa.Column(name, kind(), nullable=True), schema=schema())
    op.create_table(
        "campaign_daily",
        sa.Column("as_of_date", sa.Date(), primary_key=True),
        sa.Column("channel", sa.Text(), primary_key=True),
        sa.Column("campaign", sa.Text(), primary_key=True),
        *(sa.Column(name, sa.BigInteger()) for name in ("leads_90d", "qualified_90d", "converted_90d", "won_90d")),
        *(sa.Column(name, _float()) for name in ("cohort_won_amount", "spend_90d", "cost_per_lead_90d",
                                                 "cost_per_win_90d", "return_on_spend_90d")),
        schema=schema(),
    )
    op.create_index("ix_campaign_daily_as_of_date", "campaign_daily", ["as_of_date"], schema=schema())
    create_latest_views()
    for view, roles in readers.items():
        grant_select(view, roles)
    grant_select("campaign_daily", portfolio_readers)


def downgrade() -> None:
    drop_latest_views()
    op.drop_index("ix_campaign_daily_as_of_date", "campaign_daily", schema=schema())
    op.drop_table("campaign_daily", schema=schema())
    for table, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(table, schema=schema()) as batch:
            for name, _ in columns:
                batch.drop_column(name)
    create_latest_views()
