"""The contract's third version: the weekly flows of portfolio_daily (*_7d), the opportunities and
the matured cohort of campaign_daily and funnel_by_channel_daily (which now has every measure of
campaign_daily), the table review_signals (the XmR rules of the weekly review), and
project_directory (names and dates of the projects, for the review pack).

Columns are added in place, so an existing warehouse keeps its history (the new columns are null
on the dates written before; nothing is recomputed). The *_latest views are recreated (0005 says
why) and keep their readers; the roles that read portfolio_daily can read the two new tables.

Frozen, like 0001: the columns are spelled out here, not read from schemas/.

Revision ID: 0008
Revises: 0007
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

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _float() -> sa.Float:
    return sa.Float(precision=53)


WEEKLY_FLOWS = (("leads_created_7d", sa.BigInteger), ("leads_qualified_7d", sa.BigInteger),
                ("deals_created_7d", sa.BigInteger), ("deals_won_7d", sa.BigInteger), ("bookings_7d", _float),
                ("marketing_spend_7d", _float), ("new_customers_7d", sa.BigInteger),
                ("projects_delivered_7d", sa.BigInteger), ("hours_7d", _float), ("labour_cost_7d", _float),
                ("expenses_7d", _float), ("feedback_responses_7d", sa.BigInteger))
CAMPAIGN_V3 = (("opportunities_90d", sa.BigInteger), ("pipeline_amount_90d", _float),
               ("cost_per_opportunity_90d", _float), ("leads_prior_90d", sa.BigInteger),
               ("won_prior_90d", sa.BigInteger), ("won_amount_prior_90d", _float), ("spend_prior_90d", _float),
               ("cost_per_win_prior_90d", _float), ("return_on_spend_prior_90d", _float))
NEW_COLUMNS = {
    "portfolio_daily": WEEKLY_FLOWS,
    "campaign_daily": CAMPAIGN_V3,
    # the funnel had the W90 cohort's counts and costs; it gains the rest of campaign_daily's measures
    "funnel_by_channel_daily": (("cohort_won_amount", _float), ("return_on_spend_90d", _float), *CAMPAIGN_V3),
}
NEW_TABLES = ("review_signals", "project_directory")


def upgrade() -> None:
    readers = {view: select_grantees(view) for view in LATEST}
    portfolio_readers = select_grantees("portfolio_daily")
    drop_latest_views()
    for table, columns in NEW_COLUMNS.items():
        for name, kind in columns:
            op.add_column(table, sa.Column(name, kind(), nullable=True), schema=schema())
    op.create_table(
        "review_signals",
        sa.Column("as_of_date", sa.Date(), primary_key=True),
        sa.Column("metric", sa.Text(), primary_key=True),
        sa.Column("series", sa.Text()),
        *(sa.Column(name, _float()) for name in ("value", "centre", "lower_limit", "upper_limit")),
        sa.Column("rule", sa.Text()),
        sa.Column("side", sa.Text()),
        schema=schema(),
    )
    op.create_table(
        "project_directory",
        sa.Column("project_id", sa.Text(), primary_key=True),
        *(sa.Column(name, sa.Text()) for name in ("name", "account_id", "account_name", "deal_id", "status")),
        *(sa.Column(name, sa.Date()) for name in ("start_date", "planned_end_date", "actual_end_date")),
        schema=schema(),
    )
    create_latest_views()
    for view, roles in readers.items():
        grant_select(view, roles)
    for table in NEW_TABLES:
        grant_select(table, portfolio_readers)


def downgrade() -> None:
    drop_latest_views()
    for table in NEW_TABLES:
        op.drop_table(table, schema=schema())
    for table, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(table, schema=schema()) as batch:
            for name, _ in columns:
                batch.drop_column(name)
    create_latest_views()
