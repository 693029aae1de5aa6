"""Every table the pipeline writes: the marts of ../shared/spec/METRICS.md and the operational
`quarantine` and `run_log`, with names, keys, types, definitions and units.

The marts order their columns by these declarations, the publisher creates tables from them, and
the docs (and, in PostgreSQL, COMMENT ON) show the definitions.
"""
from __future__ import annotations

from dataclasses import dataclass

from schemas.columns import Entity, Kind

# how a table is declared, and portfolio_daily: from schemas/outputs.py (its docstring says why),
# named here too, so every table is found in this module
from schemas.outputs import (
    _NPS,
    AS_OF,
    DATE,
    FLOAT,
    INTEGER,
    PORTFOLIO_DAILY,
    TEXT,
    TIMESTAMP,
    OutputColumn,
    Table,
    _count,
    _money,
    _nps,
    _share,
)
from schemas.sources import ENTITIES

# METRICS.md, project_daily `health` (active projects only): red if cost_variance > 0, milestones_overdue
# >= 2 or schedule_slip_days > 14; else amber if budget_burn > 0.9, milestones_overdue = 1 or
# schedule_slip_days > 0; else green. Declared once: the mart, the project page and the message read them.
HEALTH_RED_OVERDUE, HEALTH_RED_SLIP_DAYS, HEALTH_AMBER_BURN = 2, 14, 0.9

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

def _campaign_measures(of: str) -> tuple[OutputColumn, ...]:
    """The measures of campaign_daily, over the leads and spend `of` a row (METRICS.md: the funnel
    has every column of campaign_daily but `campaign`, each over the whole channel). Two cohorts:
    the leads created in W90 (young) and those created in P90 = D-179 ... D-90 (matured)."""
    return (
        _count("leads_90d", f"leads of {of} created in the 90 days ending D (the cohort)"),
        _count("qualified_90d", "of the cohort, leads qualified by D"),
        _count("converted_90d", "of the cohort, leads converted by D"),
        _count("won_90d", "of the cohort, leads with a valid deal won by D"),
        _money("cohort_won_amount", "sum of amount of the valid deals won by D (whenever they closed) whose lead_id "
               "is a lead of the cohort"),
        _money("spend_90d", f"sum of the spend of {of} with spend_date in the 90 days ending D"),
        _money("cost_per_lead_90d", "spend_90d / leads_90d"),
        _money("cost_per_win_90d", "spend_90d / won_90d"),
        OutputColumn("return_on_spend_90d", FLOAT, "cohort_won_amount / spend_90d",
                     "ratio (reporting currency won per unit spent)"),
        _count("opportunities_90d", f"opportunities (valid deals by lead_id) created in the 90 days ending D of the "
               f"leads of {of} created by D (in those 90 days or before them)"),
        _money("pipeline_amount_90d", "sum of amount of those opportunities, whatever their stage at D"),
        _money("cost_per_opportunity_90d", "spend_90d / opportunities_90d"),
        _count("leads_prior_90d", f"leads of {of} created in the 90 days before those 90 days (D-179 ... D-90: "
               "the matured cohort)"),
        _count("won_prior_90d", "of the matured cohort, leads with a valid deal won by D"),
        _money("won_amount_prior_90d", "sum of amount of the valid deals won by D whose lead_id is a lead of the "
               "matured cohort"),
        _money("spend_prior_90d", f"sum of the spend of {of} with spend_date in D-179 ... D-90"),
        _money("cost_per_win_prior_90d", "spend_prior_90d / won_prior_90d"),
        OutputColumn("return_on_spend_prior_90d", FLOAT, "won_amount_prior_90d / spend_prior_90d",
                     "ratio (reporting currency won per unit spent)"),
    )


CAMPAIGN_DAILY = Table(
    "campaign_daily", "which operating actions (campaigns) bring customers, for keep-or-drop decisions; one row "
    "per as-of date per (channel, campaign) with a lead created or a spend row dated in the 90 days ending D or in "
    "the 90 days before them (D-179 ... D-90)",
    ("as_of_date", "channel", "campaign"), (
        AS_OF,
        OutputColumn("channel", TEXT, "lead or spend channel"),
        OutputColumn("campaign", TEXT, "campaign of the leads and the spend, trimmed; unknown where it is missing"),
        *_campaign_measures("the channel and campaign"),
    ))

FUNNEL_BY_CHANNEL_DAILY = Table(
    "funnel_by_channel_daily", "which channels bring customers; one row per as-of date per channel (all eight): "
    "the measures of campaign_daily over the whole channel, whatever the campaign",
    ("as_of_date", "channel"), (
        AS_OF,
        OutputColumn("channel", TEXT, "lead channel"),
        *_campaign_measures("the channel (whatever their campaign)"),
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

# METRICS.md, review_signals: the metrics analysed, and how. The weekly flows as they are; the
# levels as their weekly change (a level that grows steadily has a steady weekly change: no signal).
# The 30- and 90-day windows and the rates are not analysed: sampled weekly, their windows overlap.
WEEKLY, WEEKLY_CHANGE = "weekly", "weekly_change"
SIGNAL_LEVELS = ("customers_total", "key_accounts_total", "open_pipeline_count", "open_pipeline_amount",
                 "active_projects", "milestones_overdue")
SIGNAL_SERIES: dict[str, str] = {
    **{c.name: WEEKLY for c in PORTFOLIO_DAILY.columns if c.name.endswith("_7d")},
    **{name: WEEKLY_CHANGE for name in SIGNAL_LEVELS},
}
SIGNAL_RULES = ("outside", "three_of_four", "eight_in_a_row")  # in the order they are tried
SIGNAL_WEEKS = 13  # x_0 … x_12: the latest week and the baseline before it

REVIEW_SIGNALS = Table(
    "review_signals", "what moved beyond its usual variation (an XmR process behaviour chart over 13 weekly values); "
    "one row per as-of date per analysed metric", ("as_of_date", "metric"), (
        AS_OF,
        OutputColumn("metric", TEXT, "a weekly flow (*_7d) of portfolio_daily, or a level analysed as its weekly change"),
        OutputColumn("series", TEXT, "weekly: v_k = the metric as of D-7k, k = 0 ... 12; weekly_change: v_k = its "
                     "value as of D-7k minus as of D-7(k+1), k = 0 ... 11"),
        OutputColumn("value", FLOAT, "v_0, the latest week", "the metric's unit"),
        OutputColumn("centre", FLOAT, "mean of the baseline (v_1 ... the oldest)", "the metric's unit"),
        OutputColumn("lower_limit", FLOAT, "centre - 2.66 x mean moving range of the baseline", "the metric's unit"),
        OutputColumn("upper_limit", FLOAT, "centre + 2.66 x mean moving range of the baseline", "the metric's unit"),
        OutputColumn("rule", TEXT, "the first rule that holds: outside (v_0 beyond a limit), three_of_four (3 of v_0 ... "
                     "v_3, v_0 among them, beyond the same midway, centre +- 1.33 x mean moving range), eight_in_a_row "
                     "(v_0 ... v_7 on one side of the centre); null: no signal, or a flat baseline (mean moving range 0)"),
        OutputColumn("side", TEXT, "up when v_0 > centre, down when v_0 < centre, null when equal"),
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


# METRICS.md, "targets, review_notes": the valid rows of the optional entities of the same names, as the
# latest run read them (not as-of, replaced whole). Their columns are the entities' (schemas/sources.py),
# stored by kind: only what each means, and its unit, is said here.
# The kinds their columns have; another kind would need its storage decided first (a KeyError here).
_STORED_AS = {Kind.TEXT: TEXT, Kind.ENUM: TEXT, Kind.DATE: DATE, Kind.TIMESTAMP: TIMESTAMP, Kind.DECIMAL: FLOAT}


def _valid_rows(entity: Entity, doc: str, docs: dict[str, str | tuple[str, str]]) -> Table:
    """The table of `entity`'s valid rows, column for column; `docs`: each column's definition, or
    (definition, unit)."""
    if set(docs) != set(entity.names):
        raise ValueError(f"{entity.name}: document every column, and only those: {sorted(set(docs) ^ set(entity.names))}")
    said = {name: text if isinstance(text, tuple) else (text, "") for name, text in docs.items()}
    return Table(entity.name, doc, entity.key, tuple(OutputColumn(c.name, _STORED_AS[c.kind], *said[c.name])
                                                     for c in entity.columns), as_of=False)


TARGETS = _valid_rows(
    ENTITIES["targets"], "the plan: what the team aims for, per metric and month, and who answers for it (not as-of: "
    "the valid rows of the source as the latest run read them)", {
        "metric": "the metric aimed at: a column of portfolio_daily (but as_of_date)",
        "month": ("the month, as its first day", "date"),
        "target": ("the value aimed for: of a flow or window metric (*_7d, *_30d, *_90d) at every date of the month, "
                   "of a level or rate at the month's last day; negative for a fall", "the metric's unit"),
        "owner": "who answers for the metric that month",
    })

REVIEW_NOTES = _valid_rows(
    ENTITIES["review_notes"], "what the review said and decided (not as-of: the valid rows of the source as the latest "
    "run read them)", {
        "note_id": "the note",
        "noted_on": ("the date of the review meeting", "date"),
        "metric": "the portfolio_daily metric the note is about, if any",
        "subject": "anything else it is about: a campaign as channel/campaign, a project id, an account id",
        "owner": "who acts on it",
        "decision": "keep, drop, watch or fix, when the review decided",
        "note": "what the review said",
        "follow_up_by": ("when the owner reports back", "date"),
        "closed_on": ("when the follow-up was done", "date"),
        "updated_at": "last change in the source (UTC)",
    })

MARTS: dict[str, Table] = {t.name: t for t in (PORTFOLIO_DAILY, PROJECT_DAILY, FUNNEL_BY_CHANNEL_DAILY, CAMPAIGN_DAILY,
                                               SEGMENT_DAILY, REVIEW_CHANGES, REVIEW_SIGNALS, EFFORT_WEEKLY, TARGETS,
                                               REVIEW_NOTES)}


# Not a table of METRICS.md: who is who, so the review pack can put names beside ids (a project's
# name, its account's name) and measure the schedule (start and planned end). The valid rows as the
# latest completed run read them, replaced whole like effort_weekly.
PROJECT_DIRECTORY = Table(
    "project_directory", "every valid project with its name, its account's name and its dates (not as-of: the valid "
    "rows as the latest run read them)", ("project_id",), (
        OutputColumn("project_id", TEXT, "the project"),
        OutputColumn("name", TEXT, "the project's name (projects.name)"),
        OutputColumn("account_id", TEXT, "the project's account"),
        OutputColumn("account_name", TEXT, "the account's name: account_name of the latest created valid deal of that "
                     "account that names it"),
        OutputColumn("deal_id", TEXT, "the project's deal, as the source gives it"),
        OutputColumn("status", TEXT, "planned, active, on_hold, delivered or cancelled (today's)"),
        OutputColumn("start_date", DATE, "start date", "date"),
        OutputColumn("planned_end_date", DATE, "planned end date", "date"),
        OutputColumn("actual_end_date", DATE, "actual end date, once delivered or cancelled", "date"),
    ), as_of=False)

# Not a table of METRICS.md: what each campaign spent each day, so the review can say what a campaign
# decided `drop` still spent after the decision (campaign_daily's windows cannot say since when).
CAMPAIGN_SPEND_DAILY = Table(
    "campaign_spend_daily", "valid marketing spend per day, channel and campaign (not as-of: all the valid rows as the "
    "latest run read them)", ("spend_date", "channel", "campaign"), (
        OutputColumn("spend_date", DATE, "the spend's date", "date"),
        OutputColumn("channel", TEXT, "spend channel"),
        OutputColumn("campaign", TEXT, "campaign, trimmed; unknown where it is missing"),
        _money("amount", "sum of the amounts of the spend rows of that day, channel and campaign"),
    ), as_of=False)

# Not tables of METRICS.md: what a project's page shows of its milestones, its licences and what its
# customers said (the valid rows as the latest run read them, replaced whole like effort_weekly).
PROJECT_MILESTONES = Table(
    "project_milestones", "every valid milestone of every project (not as-of: the valid rows as the latest run read "
    "them)", ("milestone_id",), (
        OutputColumn("milestone_id", TEXT, "the milestone"),
        OutputColumn("project_id", TEXT, "its project"),
        OutputColumn("name", TEXT, "its name"),
        OutputColumn("phase", TEXT, "presales, implementation, acceptance or after_sales"),
        OutputColumn("due_date", DATE, "when it is due", "date"),
        OutputColumn("completed_date", DATE, "when it was completed; null if not yet", "date"),
    ), as_of=False)

PROJECT_LICENSES = Table(
    "project_licenses", "every valid licence of every project: the products delivered (not as-of: the valid rows as "
    "the latest run read them)", ("license_id",), (
        OutputColumn("license_id", TEXT, "the licence"),
        OutputColumn("project_id", TEXT, "its project"),
        OutputColumn("product", TEXT, "the product"),
        _count("seats", "seats licensed", "seats"),
        OutputColumn("start_date", DATE, "first day of the licence", "date"),
        OutputColumn("end_date", DATE, "last day of the licence; null if open-ended", "date"),
        _count("active_users_latest", "active users of its latest usage row (any date)", "users"),
        OutputColumn("latest_usage_date", DATE, "the date of that row; null without usage", "date"),
    ), as_of=False)

FEEDBACK_RESPONSES = Table(
    "feedback_responses", "every valid feedback response, with its comment: what customers, partners and the team said "
    "(not as-of: the valid rows as the latest run read them)", ("feedback_id",), (
        OutputColumn("feedback_id", TEXT, "the response"),
        OutputColumn("account_id", TEXT, "the account it is about"),
        OutputColumn("project_id", TEXT, "its project, null when it names no valid project"),
        OutputColumn("respondent", TEXT, "customer, partner or a role of the team"),
        _count("score", "0-10: would you recommend", "score 0-10"),
        OutputColumn("comment", TEXT, "what they wrote"),
        OutputColumn("submitted_date", DATE, "date(submitted_at) in the business time zone", "date"),
    ), as_of=False)

DIMENSIONS: dict[str, Table] = {t.name: t for t in (PROJECT_DIRECTORY, CAMPAIGN_SPEND_DAILY, PROJECT_MILESTONES,
                                                    PROJECT_LICENSES, FEEDBACK_RESPONSES)}

# every table a run computes and publishes: the marts of METRICS.md and the dimensions
PUBLISHED: dict[str, Table] = {**MARTS, **DIMENSIONS}


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
