"""Raw landing for the connectors (HubSpot, SQL): every record as it came, upserted by id, and the
incremental cursor of each stream. In `<schema>_landing` on PostgreSQL, which readers are not granted.

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tasks.warehouse.connect import landing_schema
from tasks.warehouse.migrations import schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _landing() -> str | None:
    return landing_schema(schema()) if schema() else None


def upgrade() -> None:
    op.create_table(
        "landed_records",
        sa.Column("source", sa.Text(), primary_key=True),
        sa.Column("stream", sa.Text(), primary_key=True),
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True)),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
        schema=_landing(),
    )
    op.create_table(
        "sync_state",
        sa.Column("source", sa.Text(), primary_key=True),
        sa.Column("stream", sa.Text(), primary_key=True),
        sa.Column("cursor", sa.DateTime(timezone=True)),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        schema=_landing(),
    )


def downgrade() -> None:
    op.drop_table("sync_state", schema=_landing())
    op.drop_table("landed_records", schema=_landing())
