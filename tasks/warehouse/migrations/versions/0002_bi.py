"""For BI tools: the metric dictionary, the *_latest views, and a separate schema for raw landing
tables (PostgreSQL) that readers are not granted.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tasks.warehouse.connect import landing_schema
from tasks.warehouse.migrations import qualified, schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LATEST = {"portfolio_latest": "portfolio_daily", "project_latest": "project_daily"}


def upgrade() -> None:
    op.create_table(
        "metric_dictionary",
        sa.Column("table_name", sa.Text(), primary_key=True),
        sa.Column("column_name", sa.Text(), primary_key=True),
        sa.Column("definition", sa.Text()),
        sa.Column("unit", sa.Text()),
        schema=schema(),
    )
    for view, table in LATEST.items():
        op.execute(f"CREATE VIEW {qualified(view)} AS SELECT * FROM {qualified(table)} "
                   f"WHERE as_of_date = (SELECT max(as_of_date) FROM {qualified(table)})")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {bind.dialect.identifier_preparer.quote(landing_schema(schema()))}")


def downgrade() -> None:
    for view in LATEST:
        op.execute(f"DROP VIEW {qualified(view)}")
    op.drop_table("metric_dictionary", schema=schema())
