"""The review loop's reading tables, not tables of METRICS.md: what each campaign spent each day
(campaign_spend_daily: what a campaign decided `drop` spent since), and what a project's page shows
of its milestones, licences and customers' words (project_milestones, project_licenses,
feedback_responses). Each holds the valid rows as the latest run read them, replaced whole.

On PostgreSQL the roles that can read portfolio_daily can read them (0008 says why).

Frozen, like 0001: the columns are spelled out here, not read from schemas/.

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tasks.warehouse.migrations import grant_select, schema, select_grantees

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NEW_TABLES = ("campaign_spend_daily", "project_milestones", "project_licenses", "feedback_responses")


def upgrade() -> None:
    readers = select_grantees("portfolio_daily")
    op.create_table(
        "campaign_spend_daily",
        sa.Column("spend_date", sa.Date(), primary_key=True),
        sa.Column("channel", sa.Text(), primary_key=True),
        sa.Column("campaign", sa.Text(), primary_key=True),
        sa.Column("amount", sa.Float(precision=53)),
        schema=schema(),
    )
    op.create_table(
        "project_milestones",
        sa.Column("milestone_id", sa.Text(), primary_key=True),
        *(sa.Column(name, sa.Text()) for name in ("project_id", "name", "phase")),
        *(sa.Column(name, sa.Date()) for name in ("due_date", "completed_date")),
        schema=schema(),
    )
    op.create_table(
        "project_licenses",
        sa.Column("license_id", sa.Text(), primary_key=True),
        *(sa.Column(name, sa.Text()) for name in ("project_id", "product")),
        sa.Column("seats", sa.BigInteger()),
        *(sa.Column(name, sa.Date()) for name in ("start_date", "end_date")),
        sa.Column("active_users_latest", sa.BigInteger()),
        sa.Column("latest_usage_date", sa.Date()),
        schema=schema(),
    )
    op.create_table(
        "feedback_responses",
        sa.Column("feedback_id", sa.Text(), primary_key=True),
        *(sa.Column(name, sa.Text()) for name in ("account_id", "project_id", "respondent")),
        sa.Column("score", sa.BigInteger()),
        sa.Column("comment", sa.Text()),
        sa.Column("submitted_date", sa.Date()),
        schema=schema(),
    )
    for table in NEW_TABLES:
        grant_select(table, readers)


def downgrade() -> None:
    for table in NEW_TABLES:
        op.drop_table(table, schema=schema())
