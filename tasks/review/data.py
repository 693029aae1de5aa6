"""What the review pack reads, from the warehouse alone: the published tables as of D and the
history its charts need (the weekly values of the signals, the 6-12 charts' weeks and months and
the same a year before). Dates come back as pandas timestamps (SQLite gives text, PostgreSQL dates)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from schemas.sources import ENTITIES
from schemas.tables import SIGNAL_WEEKS
from tasks.review.plan import Notes
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.tables import TABLES

WEEKS = 6  # the 6-12 charts: six weeks …
MONTHS = 12  # … and twelve month-ends, each beside the same a year before
YEAR = 364  # a year before, in whole weeks: the same weekday
VOICE_DAYS = 90  # "Customer voice" adds the responses of W90(D) and W90(D − 90): those of W180
EFFORT_WEEKS = 4
RESTATED_SINCE_DAYS = 6  # "this week's" restatements: recorded on D − 6 or later


class ReviewError(ValueError):
    """The pack cannot be made as asked (the date is not published); the message says why."""


@dataclass
class ReviewData:
    as_of: dt.date
    portfolio: pd.DataFrame  # portfolio_daily, two years back to D (what is published of it)
    changes: pd.DataFrame  # review_changes at D
    signals: pd.DataFrame  # review_signals at D (empty for a date published before the table existed)
    signal_history: pd.DataFrame  # review_signals at D, D − 7, … D − 84: v_k of D is v_0 of D − 7k
    funnel: pd.DataFrame  # funnel_by_channel_daily at D
    campaigns: pd.DataFrame  # campaign_daily at D (empty in a warehouse older than the table)
    projects: pd.DataFrame  # project_daily at D
    projects_week_ago: pd.DataFrame  # project_daily at D − 7 (empty if that date is not published)
    effort: pd.DataFrame  # effort_weekly, the EFFORT_WEEKS weeks up to D's week
    latest_run: dict | None  # run_log row of the last completed run that published D
    week_ago_run: dict | None  # … of the last earlier completed run that published D − 7
    quarantine: pd.DataFrame  # run_id, entity, rule, record_id: what the quarantine holds now
    restatements: pd.DataFrame  # restatements of dates up to D recorded on D − 6 or later
    directory: pd.DataFrame  # project_directory: names and dates of the projects
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)  # the plan: metric, month, target, owner
    notes: pd.DataFrame = field(default_factory=pd.DataFrame)  # review_notes, every row
    # campaign_daily of each decided campaign on its decision's date (the figures it was decided on)
    decided: pd.DataFrame = field(default_factory=pd.DataFrame)
    # campaign_spend_daily of the decided campaigns, dated after the first decision on them
    spend_since: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def week_ago(self) -> dt.date:
        return self.as_of - dt.timedelta(days=7)


def month_ends(as_of: dt.date, months: int = MONTHS) -> list[dt.date]:
    """The last `months` month-ends on or before `as_of`, oldest first."""
    first = as_of.replace(day=1)
    ends = []
    end = as_of if (as_of + dt.timedelta(days=1)).day == 1 else first - dt.timedelta(days=1)
    while len(ends) < months:
        ends.append(end)
        end = end.replace(day=1) - dt.timedelta(days=1)
    return ends[::-1]


def weekly_dates(as_of: dt.date, weeks: int = SIGNAL_WEEKS) -> list[dt.date]:
    """D − 7 × (weeks − 1) … D − 7, D: weekly as-of dates, oldest first."""
    return [as_of - dt.timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]


def history_start(as_of: dt.date) -> dt.date:
    """The first as-of date the pack reads of portfolio_daily: the month-ends of the 6-12 charts a
    year before theirs, their weeks a year before, the 180 days of the customer voice."""
    return min(month_ends(as_of, 2 * MONTHS)[0], weekly_dates(as_of, WEEKS)[0] - dt.timedelta(days=YEAR),
               as_of - dt.timedelta(days=VOICE_DAYS))


def latest_published(wh: Warehouse) -> dt.date | None:
    table = TABLES["portfolio_daily"]
    with wh.begin() as conn:
        value = conn.execute(sa.select(sa.func.max(table.c.as_of_date))).scalar()
    return pd.Timestamp(value).date() if value is not None else None


def read_review_data(wh: Warehouse, as_of: dt.date) -> ReviewData:
    """Everything the pack shows as of `as_of`, read in one transaction (one consistent view)."""
    p, rc, f, pd_, ew = (TABLES[n] for n in ("portfolio_daily", "review_changes", "funnel_by_channel_daily",
                                              "project_daily", "effort_weekly"))
    c, rs, pdir = (TABLES[n] for n in ("campaign_daily", "review_signals", "project_directory"))
    week_ago = as_of - dt.timedelta(days=7)
    first_day = history_start(as_of)
    monday = as_of - dt.timedelta(days=as_of.weekday())
    with wh.begin() as conn:
        portfolio = frame(conn, sa.select(p).where(p.c.as_of_date.between(first_day, as_of)), "as_of_date")
        if not (portfolio["as_of_date"] == pd.Timestamp(as_of)).any():
            latest = conn.execute(sa.select(sa.func.max(p.c.as_of_date))).scalar()
            raise ReviewError(f"as of {as_of}: not published in {wh.url}"
                              + (f" (latest published as-of date: {pd.Timestamp(latest).date()})" if latest else
                                 " (nothing published yet)"))
        changes = frame(conn, sa.select(rc).where(rc.c.as_of_date == as_of), "as_of_date")
        funnel = frame(conn, sa.select(f).where(f.c.as_of_date == as_of), "as_of_date")
        campaigns = if_present(conn, wh, sa.select(c).where(c.c.as_of_date == as_of), "as_of_date")
        signals = if_present(conn, wh, sa.select(rs).where(rs.c.as_of_date == as_of), "as_of_date")
        signal_history = if_present(conn, wh, sa.select(rs).where(rs.c.as_of_date.in_(weekly_dates(as_of))),
                                     "as_of_date")
        directory = if_present(conn, wh, sa.select(pdir), "start_date", "planned_end_date", "actual_end_date")
        projects = frame(conn, sa.select(pd_).where(pd_.c.as_of_date == as_of), "as_of_date")
        projects_week_ago = frame(conn, sa.select(pd_).where(pd_.c.as_of_date == week_ago), "as_of_date")
        effort = frame(conn, sa.select(ew).where(ew.c.week_start.between(
            monday - dt.timedelta(days=7 * (EFFORT_WEEKS - 1)), monday)), "week_start")
        latest_run = _run_covering(conn, as_of)
        week_ago_run = _run_covering(conn, week_ago, before=latest_run)
        q = TABLES["quarantine"]
        quarantine = frame(conn, sa.select(q.c.run_id, q.c.entity, q.c.rule, q.c.record_id))
        r = TABLES["restatements"]
        since = dt.datetime.combine(as_of - dt.timedelta(days=RESTATED_SINCE_DAYS), dt.time(), tzinfo=dt.UTC)
        restatements = if_present(conn, wh, sa.select(r).where(r.c.as_of_date <= as_of, r.c.restated_at >= since)
                                   .order_by(r.c.metric, r.c.as_of_date), "as_of_date")
        targets, notes = (_whole(conn, wh, name, *dates) for name, dates in (
            ("targets", ("month",)), ("review_notes", ("noted_on", "follow_up_by", "closed_on"))))
        decided, spend_since = _decided_campaigns(conn, wh, notes, as_of)
    return ReviewData(as_of, portfolio.sort_values("as_of_date", ignore_index=True), changes, signals,
                      signal_history, funnel, campaigns, projects, projects_week_ago, effort, latest_run, week_ago_run,
                      quarantine, restatements, directory, targets, notes, decided, spend_since)


def _whole(conn: sa.Connection, wh: Warehouse, name: str, *dates: str) -> pd.DataFrame:
    """A table not by as-of date, whole (none, with its columns, in a warehouse of an older version)."""
    return if_present(conn, wh, sa.select(TABLES[name]), *dates)


def _decided_campaigns(conn: sa.Connection, wh: Warehouse, notes: pd.DataFrame,
                       as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For the campaigns a note decided on (subject `channel/campaign`, a decision, noted by D): their
    campaign_daily rows on the decision dates, and their daily spend after the first decision."""
    decisions = Notes.of(notes).campaign_decisions(as_of)
    if decisions.empty:
        return pd.DataFrame(), pd.DataFrame()
    c, s = TABLES["campaign_daily"], TABLES["campaign_spend_daily"]
    pairs = sa.tuple_(c.c.channel, c.c.campaign).in_(list(zip(decisions["channel"], decisions["campaign"],
                                                              strict=True)))
    at = if_present(conn, wh, sa.select(c).where(c.c.as_of_date.in_(
        sorted({d.date() for d in decisions["noted_on"]})), pairs), "as_of_date")
    since = if_present(conn, wh, sa.select(s).where(
        s.c.spend_date > decisions["noted_on"].min().date(), s.c.spend_date <= as_of,
        sa.tuple_(s.c.channel, s.c.campaign).in_(list(zip(decisions["channel"], decisions["campaign"], strict=True)))),
        "spend_date")
    return at, since


def _run_covering(conn: sa.Connection, day: dt.date, before: dict | None = None) -> dict | None:
    """The run_log row of the last completed run whose as-of dates include `day` (and, with
    `before`, that finished before that run and is another one)."""
    log = TABLES["run_log"]
    query = sa.select(log).where(log.c.status == "completed", log.c.as_of_start <= day, log.c.as_of_end >= day)
    if before is not None:
        query = query.where(log.c.run_id != before["run_id"], log.c.finished_at < before["finished_at"])
    row = conn.execute(query.order_by(log.c.finished_at.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def has_table(conn: sa.Connection, wh: Warehouse, name: str) -> bool:
    """Whether the warehouse has the table: one of an older version (read, never migrated, by
    `opsmetrics report`) may not."""
    return sa.inspect(conn).has_table(name, schema=wh.schema)


def if_present(conn: sa.Connection, wh: Warehouse, statement: sa.Select, *dates: str) -> pd.DataFrame:
    """The rows of a table a warehouse of an older version may not have (`has_table`): then none,
    with the table's columns."""
    table = statement.get_final_froms()[0]
    if not has_table(conn, wh, table.name):
        return pd.DataFrame(columns=[col.name for col in table.columns])
    return frame(conn, statement, *dates)


def frame(conn: sa.Connection, statement, *dates: str) -> pd.DataFrame:
    result = conn.execute(statement)
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for column in dates:
        frame[column] = pd.to_datetime(frame[column])
    return frame


def entity_counts(run: dict | None) -> pd.DataFrame:
    """Rows read and quarantined per entity of a run_log row (entity, read, quarantined)."""
    if run is None:
        return pd.DataFrame(columns=["entity", "read", "quarantined"])
    return pd.DataFrame([{"entity": e, "read": run.get(f"{e}_read"), "quarantined": run.get(f"{e}_quarantined")}
                         for e in ENTITIES if run.get(f"{e}_read") is not None])
