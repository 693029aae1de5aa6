"""The thirteen source entities of ../shared/spec/SOURCES.md (`feedback`, `targets` and `review_notes`
optional), declared once.

Order matters: an entity comes after every entity it depends on (the cascade runs in this order).
"""
from __future__ import annotations

from schemas.columns import Column, Entity, Kind, NotBefore, Parent, RequiredUnless, SetIff
from schemas.outputs import PORTFOLIO_DAILY

CHANNELS = ("website", "paid_ads", "content", "event", "partner", "outbound", "referral", "other")
DEAL_TYPES = ("new", "renewal", "expansion")
DEAL_STAGES = ("discovery", "proposal", "negotiation", "won", "lost")
CLOSED_STAGES = ("won", "lost")
PROJECT_STATUSES = ("planned", "active", "on_hold", "delivered", "cancelled")
FINISHED_STATUSES = ("delivered", "cancelled")
PHASES = ("presales", "implementation", "acceptance", "after_sales")
ROLES = ("sales", "presales", "project_manager", "engineer", "consultant", "operations", "customer_success")
RESPONDENTS = ("customer", "partner", *ROLES)
UNKNOWN = "unknown"  # what an empty or missing industry, region or campaign becomes
# what a target or a review note can be about: every column of portfolio_daily but as_of_date
# (SOURCES.md: targets.metric, review_notes.metric), read from its declaration
PORTFOLIO_METRICS = tuple(c.name for c in PORTFOLIO_DAILY.columns if c.name not in PORTFOLIO_DAILY.key)
DECISIONS = ("keep", "drop", "watch", "fix")


def _id(name: str, doc: str = "") -> Column:
    return Column(name, Kind.TEXT, required=True, doc=doc)


def _updated_at() -> Column:
    return Column("updated_at", Kind.TIMESTAMP, required=True, doc="last change in the source system")


def _money(name: str = "amount", *, required: bool = True, strict: bool = False, doc: str = "") -> Column:
    return Column(name, Kind.MONEY, required=required, minimum=0, min_strict=strict, doc=doc)


def _currency() -> Column:
    return Column("currency", Kind.CURRENCY, required=True, doc="ISO 4217; must be the reporting currency")


LEADS = Entity(
    "leads",
    key=("lead_id",),
    doc="people/companies that showed interest (CRM)",
    columns=(
        _id("lead_id"),
        Column("created_at", Kind.TIMESTAMP, required=True),
        _updated_at(),
        Column("channel", Kind.ENUM, required=True, values=CHANNELS),
        Column("company", Kind.TEXT),
        Column("industry", Kind.TEXT, default=UNKNOWN),
        Column("region", Kind.TEXT, default=UNKNOWN),
        Column("qualified_at", Kind.TIMESTAMP),
        Column("converted_at", Kind.TIMESTAMP, doc="became a deal"),
        Column("campaign", Kind.TEXT, default=UNKNOWN, doc="the campaign (operating action) that brought the lead"),
    ),
    not_before=(NotBefore("qualified_at", "created_at"), NotBefore("converted_at", "created_at")),
)

DEALS = Entity(
    "deals",
    key=("deal_id",),
    doc="opportunities and their outcome (CRM)",
    columns=(
        _id("deal_id"),
        Column("lead_id", Kind.TEXT, doc="may point at no valid lead: the deal is kept, as if it had no lead"),
        _id("account_id"),
        Column("account_name", Kind.TEXT),
        Column("industry", Kind.TEXT, default=UNKNOWN),
        Column("region", Kind.TEXT, default=UNKNOWN),
        Column("deal_type", Kind.ENUM, required=True, values=DEAL_TYPES),
        Column("stage", Kind.ENUM, required=True, values=DEAL_STAGES),
        _money(),
        _currency(),
        Column("created_at", Kind.TIMESTAMP, required=True),
        Column("closed_at", Kind.TIMESTAMP, doc="set if and only if stage is won or lost"),
        Column("owner", Kind.TEXT),
        Column("is_key_account", Kind.BOOLEAN, default=False),
        _updated_at(),
    ),
    not_before=(NotBefore("closed_at", "created_at"),),
    set_iff=(SetIff("closed_at", "stage", CLOSED_STAGES),),
    parents=(Parent("lead_id", "leads", soft=True),),
)

MARKETING_SPEND = Entity(
    "marketing_spend",
    key=("spend_id",),
    doc="acquisition spend (ad platforms, events)",
    columns=(
        _id("spend_id"),
        Column("spend_date", Kind.DATE, required=True),
        Column("channel", Kind.ENUM, required=True, values=CHANNELS),
        Column("campaign", Kind.TEXT, default=UNKNOWN),
        _money(),
        _currency(),
        _updated_at(),
    ),
)

PROJECTS = Entity(
    "projects",
    key=("project_id",),
    doc="delivery projects (project system)",
    columns=(
        _id("project_id"),
        Column("deal_id", Kind.TEXT, doc="may point at no valid deal: kept, with no contract value"),
        Column("name", Kind.TEXT),
        Column("account_id", Kind.TEXT),
        Column("status", Kind.ENUM, required=True, values=PROJECT_STATUSES),
        Column("start_date", Kind.DATE, doc="required unless status is planned"),
        Column("planned_end_date", Kind.DATE, required=True),
        Column("actual_end_date", Kind.DATE, doc="set if and only if status is delivered or cancelled"),
        _money("budget_cost", doc="in the reporting currency"),
        Column("budget_hours", Kind.DECIMAL, minimum=0),
        _updated_at(),
    ),
    not_before=(NotBefore("planned_end_date", "start_date"), NotBefore("actual_end_date", "start_date")),
    set_iff=(SetIff("actual_end_date", "status", FINISHED_STATUSES),),
    required_unless=(RequiredUnless("start_date", "status", ("planned",)),),
    parents=(Parent("deal_id", "deals", soft=True),),
)

FEEDBACK = Entity(
    "feedback",
    key=("feedback_id",),
    doc="the customer's voice: survey answers, interviews, reviews by partners and the team (optional)",
    columns=(
        _id("feedback_id"),
        _id("account_id", doc="not checked against other entities"),
        Column("project_id", Kind.TEXT,
               doc="may point at no valid project: the response is kept, as if it had no project"),
        Column("respondent", Kind.ENUM, required=True, values=RESPONDENTS),
        Column("score", Kind.INTEGER, required=True, minimum=0, maximum=10,
               doc='the 0-10 "would you recommend" scale'),
        Column("comment", Kind.TEXT),
        Column("submitted_at", Kind.TIMESTAMP, required=True),
        _updated_at(),
    ),
    parents=(Parent("project_id", "projects", soft=True),),
    optional=True,
)

MILESTONES = Entity(
    "milestones",
    key=("milestone_id",),
    doc="project milestones (project system)",
    columns=(
        _id("milestone_id"),
        _id("project_id"),
        Column("name", Kind.TEXT),
        Column("phase", Kind.ENUM, required=True, values=PHASES),
        Column("due_date", Kind.DATE, required=True),
        Column("completed_date", Kind.DATE),
        _updated_at(),
    ),
    parents=(Parent("project_id", "projects"),),
)

LICENSES = Entity(
    "licenses",
    key=("license_id",),
    doc="products delivered to a project and their licences (project system)",
    columns=(
        _id("license_id"),
        _id("project_id"),
        Column("product", Kind.TEXT, required=True),
        Column("seats", Kind.INTEGER, required=True, minimum=0),
        Column("start_date", Kind.DATE, required=True),
        Column("end_date", Kind.DATE, doc="missing = open-ended"),
        _updated_at(),
    ),
    not_before=(NotBefore("end_date", "start_date"),),
    parents=(Parent("project_id", "projects"),),
)

USAGE = Entity(
    "usage",
    key=("license_id", "usage_date"),
    doc="daily active users per licence (product telemetry)",
    columns=(
        _id("license_id"),
        Column("usage_date", Kind.DATE, required=True),
        Column("active_users", Kind.INTEGER, required=True, minimum=0),
    ),
    parents=(Parent("license_id", "licenses"),),
    version_column=None,
)

RATE_CARD = Entity(
    "rate_card",
    key=("role", "valid_from"),
    doc="internal cost of an hour, per role (finance)",
    columns=(
        Column("role", Kind.ENUM, required=True, values=ROLES),
        Column("valid_from", Kind.DATE, required=True),
        _money("hourly_cost", strict=True, doc="in the reporting currency"),
    ),
    version_column=None,
)

TIME_ENTRIES = Entity(
    "time_entries",
    key=("entry_id",),
    doc="hours people logged on projects (timesheets)",
    columns=(
        _id("entry_id"),
        _id("project_id"),
        _id("person_id"),
        Column("role", Kind.ENUM, required=True, values=ROLES),
        Column("phase", Kind.ENUM, required=True, values=PHASES),
        Column("work_date", Kind.DATE, required=True),
        Column("hours", Kind.DECIMAL, required=True, minimum=0, min_strict=True, maximum=24),
        _updated_at(),
    ),
    # the rate card is a parent too (SOURCES.md, "Order of rules"); see tasks/staging/rates.py
    parents=(Parent("project_id", "projects"),),
)

EXPENSES = Entity(
    "expenses",
    key=("expense_id",),
    doc="project costs other than labour (finance)",
    columns=(
        _id("expense_id"),
        _id("project_id"),
        Column("expense_date", Kind.DATE, required=True),
        Column("category", Kind.TEXT),
        _money(),
        _currency(),
        _updated_at(),
    ),
    parents=(Parent("project_id", "projects"),),
)

# The plan and the review's notes: typed by people (often in a spreadsheet), hence kept by hand (the
# gate and the shrink guard pass them by) and optional (a team may keep neither). No parents: a metric
# is a column of portfolio_daily, and a note's subject is free text, checked against nothing.
TARGETS = Entity(
    "targets",
    key=("metric", "month"),
    doc="what the team aims for, per metric and month, and who answers for it (optional; the plan, often kept in "
        "a spreadsheet)",
    columns=(
        Column("metric", Kind.ENUM, required=True, values=PORTFOLIO_METRICS,
               doc="a column of portfolio_daily other than as_of_date"),
        Column("month", Kind.DATE, required=True, first_of_month=True, doc="the first day of a month"),
        Column("target", Kind.DECIMAL, required=True, doc="a sign allowed: a target can be a fall"),
        Column("owner", Kind.TEXT, doc="who answers for the metric that month"),
    ),
    version_column=None,  # no updated_at: two rows of a (metric, month) that differ are both quarantined
    optional=True,
    kept_by_hand=True,
)

REVIEW_NOTES = Entity(
    "review_notes",
    key=("note_id",),
    doc="what the review said and decided (optional)",
    columns=(
        _id("note_id"),
        Column("noted_on", Kind.DATE, required=True, doc="the date of the review meeting"),
        Column("metric", Kind.ENUM, values=PORTFOLIO_METRICS, doc="the metric the note is about, if any"),
        Column("subject", Kind.TEXT,
               doc="anything else it is about: a campaign as channel/campaign, a project id, an account id"),
        Column("owner", Kind.TEXT, required=True, doc="who acts on it"),
        Column("decision", Kind.ENUM, values=DECISIONS),
        Column("note", Kind.TEXT, required=True),
        Column("follow_up_by", Kind.DATE, doc="when the owner reports back"),
        Column("closed_on", Kind.DATE, doc="when the follow-up was done"),
        _updated_at(),
    ),
    not_before=(NotBefore("follow_up_by", "noted_on"), NotBefore("closed_on", "noted_on")),
    optional=True,
    kept_by_hand=True,
)

# dependency order: parents before children, the rate card before time entries
ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (LEADS, DEALS, MARKETING_SPEND, PROJECTS, FEEDBACK, MILESTONES, LICENSES, USAGE, RATE_CARD, TIME_ENTRIES,
              EXPENSES, TARGETS, REVIEW_NOTES)
}
