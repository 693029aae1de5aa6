"""How an output table is declared (column types, `OutputColumn`, `Table` and the helpers of the usual
columns), and portfolio_daily, the project-wide view.

Part of the declarations of schemas/tables.py, which takes all of this from here: the contract's
entities name portfolio_daily's columns (the plan: `targets.metric`, `review_notes.metric` in
schemas/sources.py), while schemas/tables.py reads the entities (run_log's rows per entity), so the
columns of portfolio_daily are declared in a module that reads no entity.
"""
from __future__ import annotations

from dataclasses import dataclass

# column types: how the publisher stores them
DATE, TEXT, INTEGER, FLOAT, TIMESTAMP = "date", "text", "integer", "float", "timestamp"


@dataclass(frozen=True)
class OutputColumn:
    name: str
    type: str
    doc: str
    unit: str = ""

    @property
    def comment(self) -> str:
        """What BI tools show for the column: the definition and its unit."""
        return f"{self.doc} [{self.unit}]" if self.unit else self.doc


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    key: tuple[str, ...]
    columns: tuple[OutputColumn, ...]
    as_of: bool = True  # rows per as_of_date, replaced date by date

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _count(name: str, doc: str, unit: str = "count") -> OutputColumn:
    return OutputColumn(name, INTEGER, doc, unit)


def _money(name: str, doc: str) -> OutputColumn:
    return OutputColumn(name, FLOAT, doc, "reporting currency")


def _share(name: str, doc: str) -> OutputColumn:
    return OutputColumn(name, FLOAT, doc, "ratio 0-1")


def _nps(name: str, doc: str) -> OutputColumn:
    return OutputColumn(name, FLOAT, doc, "NPS points, -100 to 100")


# METRICS.md, "Shared definitions": the words of the feedback columns
_NPS = "100 x (promoters (score 9-10) - detractors (score 0-6)) / responses; null over no responses"


AS_OF = OutputColumn("as_of_date", DATE, "the business date D the row is computed as of", "date")

PORTFOLIO_DAILY = Table("portfolio_daily", "the project-wide view, one row per as-of date", ("as_of_date",), (
    AS_OF,
    _count("leads_created_30d", "leads with date(created_at) in the 30 days ending D"),
    _count("leads_qualified_30d", "leads with date(qualified_at) in the 30 days ending D"),
    _share("lead_qualification_rate_90d", "of the leads created in the 90 days ending D, the share qualified by D"),
    _share("lead_conversion_rate_90d", "of the leads created in the 90 days ending D, the share converted by D"),
    _count("deals_created_30d", "deals with date(created_at) in the 30 days ending D"),
    _count("open_pipeline_count", "deals open at D (created by D, not won or lost by D)"),
    _money("open_pipeline_amount", "sum of amount of the deals open at D"),
    _count("deals_won_30d", "deals won in the 30 days ending D"),
    _money("bookings_30d", "sum of amount of the deals won in the 30 days ending D"),
    _share("win_rate_90d", "deals won / deals closed (won or lost) in the 90 days ending D"),
    OutputColumn("avg_sales_cycle_days_90d", FLOAT, "mean sales cycle (date(closed_at) - date(created_at)) of the deals won "
        "in the 90 days ending D", "days"),
    OutputColumn("median_sales_cycle_days_90d", FLOAT, "median sales cycle of the deals won in the 90 days ending D",
                 "days"),
    _money("marketing_spend_30d", "sum of marketing spend with spend_date in the 30 days ending D"),
    _count("new_customers_30d", "accounts whose first won deal closed in the 30 days ending D"),
    _money("cac_30d", "customer acquisition cost: marketing_spend_30d / new_customers_30d"),
    _count("customers_total", "accounts with a deal won by D"),
    _count("key_accounts_total", "customers with a deal won by D flagged is_key_account"),
    _share("renewal_rate_90d", "among renewal deals: won / closed in the 90 days ending D"),
    _count("active_projects", "projects active at D (started, not delivered or cancelled by D; on hold counts)"),
    _count("projects_delivered_90d", "projects delivered with actual_end_date in the 90 days ending D"),
    _share("on_time_delivery_rate_90d", "of those, the share with actual_end_date <= planned_end_date"),
    _count("milestones_overdue", "milestones overdue at D (due before D, not completed by D) of projects active at D"),
    OutputColumn("hours_30d", FLOAT, "sum of hours of time entries with work_date in the 30 days ending D", "hours"),
    _money("labour_cost_30d", "sum of labour cost (hours x rate) of the same entries"),
    _money("expenses_30d", "sum of expenses with expense_date in the 30 days ending D"),
    _share("delivered_margin_pct_90d", "over projects delivered in the 90 days ending D with a contract value: "
           "(sum of contract value - sum of total cost to date) / sum of contract value"),
    _count("feedback_responses_90d", "customer responses (valid feedback with respondent customer) with "
           "date(submitted_at) in the 90 days ending D"),
    _nps("nps_90d", f"NPS of the customer responses in the 90 days ending D: {_NPS}"),
    OutputColumn("team_score_avg_90d", FLOAT, "mean score of the team responses (valid feedback with any other "
                 "respondent than customer, partners included) with date(submitted_at) in the 90 days ending D",
                 "score 0-10"),
    # the review's weekly grain: sampled every 7 days these windows do not overlap
    _count("leads_created_7d", "leads with date(created_at) in the 7 days ending D"),
    _count("leads_qualified_7d", "leads with date(qualified_at) in the 7 days ending D"),
    _count("deals_created_7d", "deals with date(created_at) in the 7 days ending D"),
    _count("deals_won_7d", "deals won in the 7 days ending D"),
    _money("bookings_7d", "sum of amount of the deals won in the 7 days ending D"),
    _money("marketing_spend_7d", "sum of marketing spend with spend_date in the 7 days ending D"),
    _count("new_customers_7d", "accounts whose first won deal closed in the 7 days ending D"),
    _count("projects_delivered_7d", "projects delivered with actual_end_date in the 7 days ending D"),
    OutputColumn("hours_7d", FLOAT, "sum of hours of time entries with work_date in the 7 days ending D", "hours"),
    _money("labour_cost_7d", "sum of labour cost (hours x rate) of the same entries"),
    _money("expenses_7d", "sum of expenses with expense_date in the 7 days ending D"),
    _count("feedback_responses_7d", "customer responses with date(submitted_at) in the 7 days ending D"),
))
