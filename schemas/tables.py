"""Every table the pipeline writes: the marts of ../shared/spec/METRICS.md and the operational
`quarantine` and `run_log`, with names, keys, types, definitions and units.

The marts order their columns by these declarations, the publisher creates tables from them, and
the docs (and, in PostgreSQL, COMMENT ON) show the definitions.
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
))

PROJECT_DAILY = Table(
    "project_daily", "one row per project per as-of date, for projects active, delivered or cancelled at D",
    ("as_of_date", "project_id"), (
        AS_OF,
        OutputColumn("project_id", TEXT, "the project"),
        OutputColumn("account_id", TEXT, "the project's account"),
        OutputColumn("region", TEXT, "region of the project's deal (unknown without a valid deal)"),
        OutputColumn("industry", TEXT, "industry of the project's deal (unknown without a valid deal)"),
        OutputColumn("state", TEXT, "project state at D: active, delivered or cancelled"),
        _money("contract_value", "amount of the project's deal if that deal is won by D, else null"),
        OutputColumn("sales_cycle_days", INTEGER, "sales cycle of its deal, if won by D", "days"),
        OutputColumn("hours_to_date", FLOAT, "sum of hours with work_date <= D", "hours"),
        _money("labour_cost_to_date", "sum of labour cost of entries with work_date <= D"),
        _money("expenses_to_date", "sum of expenses with expense_date <= D"),
        _money("total_cost_to_date", "labour_cost_to_date + expenses_to_date"),
        _money("budget_cost", "the project's budget"),
        _share("budget_burn", "total_cost_to_date / budget_cost"),
        _money("cost_variance", "total_cost_to_date - budget_cost"),
        _money("margin_to_date", "contract_value - total_cost_to_date"),
        _share("margin_pct", "margin_to_date / contract_value"),
        _count("milestones_total", "the project's milestones"),
        _count("milestones_completed", "its milestones completed by D"),
        _count("milestones_overdue", "its milestones overdue at D"),
        OutputColumn("schedule_slip_days", INTEGER, "delivered/cancelled: actual_end_date - planned_end_date; "
            "active: max(0, D - planned_end_date)", "days"),
        _count("products_live", "distinct products of its licences live at D"),
        _count("seats_live", "sum of seats of its licences live at D", "seats"),
        _count("active_users", "sum of active users at D of its licences live at D", "users"),
        _share("seat_utilization", "active_users / seats_live"),
        _count("feedback_responses_180d", "customer responses with date(submitted_at) in the 180 days ending D "
               "whose project_id is this project"),
        _nps("nps_180d", f"NPS of the same responses: {_NPS}"),
        OutputColumn("top_product", TEXT, "among live licences, the product with the most active users at D "
            "(ties: first by name); null if active_users is 0"),
        OutputColumn("health", TEXT, "active projects only: red if cost_variance > 0, milestones_overdue >= 2 or "
            "schedule_slip_days > 14; else amber if budget_burn > 0.9, milestones_overdue = 1 or "
            "schedule_slip_days > 0; else green"),
    ))

FUNNEL_BY_CHANNEL_DAILY = Table(
    "funnel_by_channel_daily", "which channels bring customers; one row per as-of date per channel (all eight)",
    ("as_of_date", "channel"), (
        AS_OF,
        OutputColumn("channel", TEXT, "lead channel"),
        _count("leads_90d", "leads of the channel created in the 90 days ending D (the cohort)"),
        _count("qualified_90d", "of the cohort, leads qualified by D"),
        _count("converted_90d", "of the cohort, leads converted by D"),
        _count("won_90d", "of the cohort, leads with a valid deal won by D"),
        _money("spend_90d", "sum of the channel's spend with spend_date in the 90 days ending D"),
        _money("cost_per_lead_90d", "spend_90d / leads_90d"),
        _money("cost_per_win_90d", "spend_90d / won_90d"),
    ))

CAMPAIGN_DAILY = Table(
    "campaign_daily", "which operating actions (campaigns) bring customers, for keep-or-drop decisions; one row "
    "per as-of date per (channel, campaign) with a lead created or a spend row dated in the 90 days ending D",
    ("as_of_date", "channel", "campaign"), (
        AS_OF,
        OutputColumn("channel", TEXT, "lead or spend channel"),
        OutputColumn("campaign", TEXT, "campaign of the leads and the spend, trimmed; unknown where it is missing"),
        _count("leads_90d", "leads of the channel and campaign created in the 90 days ending D (the cohort)"),
        _count("qualified_90d", "of the cohort, leads qualified by D"),
        _count("converted_90d", "of the cohort, leads converted by D"),
        _count("won_90d", "of the cohort, leads with a valid deal won by D"),
        _money("cohort_won_amount", "sum of amount of the valid deals won by D (whenever they closed) whose lead_id "
               "is a lead of the cohort"),
        _money("spend_90d", "sum of the spend with this channel and campaign and spend_date in the 90 days ending D"),
        _money("cost_per_lead_90d", "spend_90d / leads_90d"),
        _money("cost_per_win_90d", "spend_90d / won_90d"),
        OutputColumn("return_on_spend_90d", FLOAT, "cohort_won_amount / spend_90d",
                     "ratio (reporting currency won per unit spent)"),
    ))

SEGMENT_DAILY = Table(
    "segment_daily", "regional and industry character; one row per as-of date per segment of the deals that "
    "exist by D", ("as_of_date", "dimension", "segment"), (
        AS_OF,
        OutputColumn("dimension", TEXT, "region or industry"),
        OutputColumn("segment", TEXT, "a value of the dimension among the valid deals that exist by D"),
        _money("bookings_90d", "sum of amount of the segment's deals won in the 90 days ending D"),
        _share("win_rate_90d", "the segment's deals won / closed in the 90 days ending D"),
        _money("open_pipeline_amount", "sum of amount of the segment's deals open at D"),
        _count("customers_total", "distinct account_id of the segment's deals won by D"),
        _count("active_projects", "projects active at D whose segment (that of their deal) is this one"),
    ))

REVIEW_CHANGES = Table(
    "review_changes", "week over week, for the review meeting; one row per as-of date per portfolio metric",
    ("as_of_date", "metric"), (
        AS_OF,
        OutputColumn("metric", TEXT, "a column of portfolio_daily"),
        OutputColumn("value", FLOAT, "the metric as of D"),
        OutputColumn("value_7d_ago", FLOAT, "the metric as of D - 7"),
        OutputColumn("change", FLOAT, "value - value_7d_ago"),
        _share("change_pct", "change / abs(value_7d_ago)"),
    ))

EFFORT_WEEKLY = Table(
    "effort_weekly", "who spent how long in which phase, per week (all valid time entries, not as-of)",
    ("week_start", "project_id", "role", "phase"), (
        OutputColumn("week_start", DATE, "the Monday of work_date", "date"),
        OutputColumn("project_id", TEXT, "the project"),
        OutputColumn("role", TEXT, "role of the person who logged the hours"),
        OutputColumn("phase", TEXT, "project phase"),
        OutputColumn("hours", FLOAT, "sum of hours", "hours"),
        _money("labour_cost", "sum of labour cost (hours x rate)"),
    ), as_of=False)

MARTS: dict[str, Table] = {t.name: t for t in (PORTFOLIO_DAILY, PROJECT_DAILY, FUNNEL_BY_CHANNEL_DAILY, CAMPAIGN_DAILY,
                                               SEGMENT_DAILY, REVIEW_CHANGES, EFFORT_WEEKLY)}


QUARANTINE = Table(
    "quarantine", "rejected source rows; a run replaces the rows of the entities it read", (), (
        OutputColumn("run_id", TEXT, "the run that read the row"),
        OutputColumn("entity", TEXT, "source entity"),
        OutputColumn("record_id", TEXT, "the row's key (a composite key joined with |)"),
        OutputColumn("rule", TEXT, "the first rule the row broke"),
        OutputColumn("detail", TEXT, "where the row is and every rule it broke, with the offending value"),
        OutputColumn("record", TEXT, "the raw row as JSON"),
        OutputColumn("quarantined_at", TIMESTAMP, "when the run wrote it (UTC)"),
    ), as_of=False)


def _entity_counts() -> tuple[OutputColumn, ...]:
    from schemas.sources import ENTITIES

    what = {"read": "rows read", "quarantined": "rows quarantined",
            "superseded": "older versions of a key, left out", "collapsed": "identical copies collapsed"}
    return tuple(_count(f"{e}_{k}", f"{e}: {text}", "rows") for e in ENTITIES for k, text in what.items())


RUN_LOG = Table(
    "run_log", "one row per run, failed ones included", ("run_id",), (
        OutputColumn("run_id", TEXT, "the Prefect flow run id"),
        OutputColumn("flow", TEXT, "nightly_refresh or backfill"),
        OutputColumn("as_of_start", DATE, "first as-of date of the run", "date"),
        OutputColumn("as_of_end", DATE, "last as-of date of the run", "date"),
        OutputColumn("started_at", TIMESTAMP, "UTC"),
        OutputColumn("finished_at", TIMESTAMP, "UTC"),
        OutputColumn("status", TEXT, "completed or failed"),
        OutputColumn("message", TEXT, "what the run did, or the one-line reason it failed"),
        *_entity_counts(),
    ), as_of=False)

PARTITION_RUNS = Table(
    "partition_runs", "the ledger of as-of dates: which run of which flow last wrote each date, and how it ended",
    ("as_of_date", "flow"), (
        AS_OF,
        OutputColumn("flow", TEXT, "nightly_refresh or backfill"),
        OutputColumn("run_id", TEXT, "the flow run that last tried the date"),
        OutputColumn("status", TEXT, "published, or failed when no run of this flow has published the date yet"),
        OutputColumn("finished_at", TIMESTAMP, "when that run published or failed (UTC)"),
        OutputColumn("worker", TEXT, "the worker (or host:process) that ran it"),
    ), as_of=False)

RESTATEMENTS = Table(
    "restatements", "portfolio_daily figures that changed when their as-of date was published again: the value "
    "published before and the new one, with the runs; written in the publishing transaction, equal values (NaN = NaN) "
    "record nothing", ("as_of_date", "metric", "run_id"), (
        OutputColumn("as_of_date", DATE, "the as-of date whose figure changed", "date"),
        OutputColumn("metric", TEXT, "a column of portfolio_daily"),
        OutputColumn("old_value", FLOAT, "the value published before (null: it was null)", "the metric's unit"),
        OutputColumn("new_value", FLOAT, "the value this run published (null: it is null)", "the metric's unit"),
        OutputColumn("first_run_id", TEXT, "the run that first published old_value: the run of the figure's previous "
                     "restatement, else the first completed run whose as-of dates include as_of_date"),
        OutputColumn("run_id", TEXT, "the run that changed it"),
        OutputColumn("restated_at", TIMESTAMP, "when that run published the new value (UTC)"),
    ), as_of=False)

OPERATIONAL: dict[str, Table] = {t.name: t for t in (QUARANTINE, RUN_LOG, PARTITION_RUNS, RESTATEMENTS)}

METRIC_DICTIONARY = Table(
    "metric_dictionary", "what every column of the output tables means: definition and unit, from METRICS.md",
    ("table_name", "column_name"), (
        OutputColumn("table_name", TEXT, "an output table"),
        OutputColumn("column_name", TEXT, "one of its columns"),
        OutputColumn("definition", TEXT, "what the column holds"),
        OutputColumn("unit", TEXT, "count, ratio 0-1, reporting currency, days, …"),
    ), as_of=False)

DOCUMENTATION: dict[str, Table] = {METRIC_DICTIONARY.name: METRIC_DICTIONARY}


@dataclass(frozen=True)
class View:
    name: str
    doc: str
    table: str  # the table whose rows at the latest as_of_date it shows


VIEWS: dict[str, View] = {v.name: v for v in (
    View("portfolio_latest", "portfolio_daily at its latest as_of_date", "portfolio_daily"),
    View("project_latest", "project_daily at its latest as_of_date", "project_daily"),
)}
