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

from tasks.warehouse.migrations import qualified, schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LATEST = {"portfolio_latest": "portfolio_daily", "project_latest": "project_daily"}


def _float() -> sa.Float:
    return sa.Float(precision=53)


NEW_COLUMNS = {
    "portfolio_daily": (("feedback_responses_90d", sa.BigInteger), ("nps_90d", _float),
                        ("team_score_avg_90d", _float)),
    "project_daily": (("feedback_responses_180d", sa.BigInteger), ("nps_180d", _float)),
    "run_log": tuple((f"feedback_{k}", sa.BigInteger) for k in ("read", "quarantined", "superseded", "collapsed")),
}


def upgrade() -> None:
    readers = {view: _select_grantees(view) for view in LATEST}
    portfolio_readers = _select_grantees("portfolio_daily")
    _drop_views()
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
    _create_views()
    for view, roles in readers.items():
        _grant_select(view, roles)
    _grant_select("campaign_daily", portfolio_readers)


def downgrade() -> None:
    _drop_views()
    op.drop_index("ix_campaign_daily_as_of_date", "campaign_daily", schema=schema())
    op.drop_table("campaign_daily", schema=schema())
    for table, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(table, schema=schema()) as batch:
            for name, _ in columns:
                batch.drop_column(name)
    _create_views()


def _drop_views() -> None:
    for view in LATEST:
        op.execute(f"DROP VIEW {qualified(view)}")


def _create_views() -> None:
    for view, table in LATEST.items():
        op.execute(f"CREATE VIEW {qualified(view)} AS SELECT * FROM {qualified(table)} "
                   f"WHERE as_of_date = (SELECT max(as_of_date) FROM {qualified(table)})")


def _select_grantees(name: str) -> list[str]:
    """PostgreSQL: the roles (but the owner and PUBLIC) granted SELECT on a table or view."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return []
    return list(bind.execute(sa.text(
        "SELECT DISTINCT pg_get_userbyid(a.grantee) FROM pg_class c, aclexplode(c.relacl) a "
        "WHERE c.oid = CAST(:name AS regclass) AND a.privilege_type = 'SELECT' "
        "AND a.grantee <> 0 AND a.grantee <> c.relowner ORDER BY 1"), {"name": qualified(name)}).scalars())


def _grant_select(name: str, roles: list[str]) -> None:
    quote = op.get_bind().dialect.identifier_preparer.quote
    for role in roles:
        op.execute(f"GRANT SELECT ON {qualified(name)} TO {quote(role)}")
