"""The warehouse as the first release wrote it: the six marts of METRICS.md, quarantine, run_log.

Frozen: the tables are spelled out as they were (not read from schemas/), so that later
migrations can change them and an old warehouse upgrades step by step.

Revision ID: 0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tasks.warehouse.migrations import schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TYPES = {"D": sa.Date, "T": sa.Text, "I": sa.BigInteger, "F": lambda: sa.Float(precision=53),
         "TS": lambda: sa.DateTime(timezone=True)}

# table: (primary key, with an index on as_of_date, "column:type …")
TABLES = {
    "portfolio_daily": (('as_of_date',), False, (
        "as_of_date:D leads_created_30d:I leads_qualified_30d:I lead_qualification_rate_90d:F "
        "lead_conversion_rate_90d:F deals_created_30d:I open_pipeline_count:I open_pipeline_amount:F "
        "deals_won_30d:I bookings_30d:F win_rate_90d:F avg_sales_cycle_days_90d:F "
        "median_sales_cycle_days_90d:F marketing_spend_30d:F new_customers_30d:I cac_30d:F "
        "customers_total:I key_accounts_total:I renewal_rate_90d:F active_projects:I "
        "projects_delivered_90d:I on_time_delivery_rate_90d:F milestones_overdue:I hours_30d:F "
        "labour_cost_30d:F expenses_30d:F delivered_margin_pct_90d:F "
    )),
    "project_daily": (('as_of_date', 'project_id'), True, (
        "as_of_date:D project_id:T account_id:T region:T industry:T state:T contract_value:F "
        "sales_cycle_days:I hours_to_date:F labour_cost_to_date:F expenses_to_date:F total_cost_to_date:F "
        "budget_cost:F budget_burn:F cost_variance:F margin_to_date:F margin_pct:F milestones_total:I "
        "milestones_completed:I milestones_overdue:I schedule_slip_days:I products_live:I seats_live:I "
        "active_users:I seat_utilization:F top_product:T health:T "
    )),
    "funnel_by_channel_daily": (('as_of_date', 'channel'), True, (
        "as_of_date:D channel:T leads_90d:I qualified_90d:I converted_90d:I won_90d:I spend_90d:F "
        "cost_per_lead_90d:F cost_per_win_90d:F "
    )),
    "segment_daily": (('as_of_date', 'dimension', 'segment'), True, (
        "as_of_date:D dimension:T segment:T bookings_90d:F win_rate_90d:F open_pipeline_amount:F "
        "customers_total:I active_projects:I "
    )),
    "review_changes": (('as_of_date', 'metric'), True, (
        "as_of_date:D metric:T value:F value_7d_ago:F change:F change_pct:F "
    )),
    "effort_weekly": (('week_start', 'project_id', 'role', 'phase'), False, (
        "week_start:D project_id:T role:T phase:T hours:F labour_cost:F "
    )),
    "quarantine": ((), False, (
        "run_id:T entity:T record_id:T rule:T detail:T record:T quarantined_at:TS "
    )),
    "run_log": (('run_id',), False, (
        "run_id:T flow:T as_of_start:D as_of_end:D started_at:TS finished_at:TS status:T message:T "
        "leads_read:I leads_quarantined:I leads_superseded:I leads_collapsed:I deals_read:I "
        "deals_quarantined:I deals_superseded:I deals_collapsed:I marketing_spend_read:I "
        "marketing_spend_quarantined:I marketing_spend_superseded:I marketing_spend_collapsed:I "
        "projects_read:I projects_quarantined:I projects_superseded:I projects_collapsed:I "
        "milestones_read:I milestones_quarantined:I milestones_superseded:I milestones_collapsed:I "
        "licenses_read:I licenses_quarantined:I licenses_superseded:I licenses_collapsed:I usage_read:I "
        "usage_quarantined:I usage_superseded:I usage_collapsed:I rate_card_read:I "
        "rate_card_quarantined:I rate_card_superseded:I rate_card_collapsed:I time_entries_read:I "
        "time_entries_quarantined:I time_entries_superseded:I time_entries_collapsed:I expenses_read:I "
        "expenses_quarantined:I expenses_superseded:I expenses_collapsed:I "
    )),
}


def upgrade() -> None:
    for name, (key, indexed, columns) in TABLES.items():
        cols = []
        for spec in columns.split():
            col, code = spec.split(":")
            cols.append(sa.Column(col, TYPES[code](), primary_key=col in key, nullable=col not in key))
        op.create_table(name, *cols, schema=schema())
        if indexed:
            op.create_index(f"ix_{name}_as_of_date", name, ["as_of_date"], schema=schema())


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name, schema=schema())
