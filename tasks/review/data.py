"""What the review pack reads, from the warehouse alone: the published tables as of D and the
history the charts and the XmR rule need. Dates come back as pandas timestamps (SQLite gives
text, PostgreSQL dates)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from schemas.sources import ENTITIES
from tasks.review.xmr import WEEKS
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.tables import TABLES

HISTORY_DAYS = 7 * (WEEKS - 1)  # the XmR rule's 13 weekly values reach back to D − 84
DAILY_DAYS = 42  # the headline charts: six weeks of daily values …
MONTHS = 12  # … and twelve month-end values
EFFORT_WEEKS = 4
RESTATED_SINCE_DAYS = 6  # "this week's" restatements: recorded on D − 6 or later


class ReviewError(ValueError):
    """The pack cannot be made as asked (the date is not published); the message says why."""


@dataclass
class ReviewData:
    as_of: dt.date
    portfolio: pd.DataFrame  # portfolio_daily, a year and a month back to D (what is published of it)
    changes: pd.DataFrame  # review_changes at D
    funnel: pd.DataFrame  # funnel_by_channel_daily at D
    campaigns: pd.DataFrame  # campaign_daily at D (empty in a warehouse older than the table)
    projects: pd.DataFrame  # project_daily at D
    projects_week_ago: pd.DataFrame  # project_daily at D − 7 (empty if that date is not published)
    effort: pd.DataFrame  # effort_weekly, the EFFORT_WEEKS weeks up to D's week
    latest_run: dict | None  # run_log row of the last completed run that published D
    week_ago_run: dict | None  # … of the last earlier completed run that published D − 7
    quarantine: pd.DataFrame  # run_id, entity, rule, record_id: what the quarantine holds now
    restatements: pd.DataFrame  # restatements of dates up to D recorded on D − 6 or later

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


def weekly_dates(as_of: dt.date, weeks: int = WEEKS) -> list[dt.date]:
    """D − 7 × (weeks − 1) … D − 7, D: the XmR rule's weekly dates, oldest first."""
    return [as_of - dt.timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]


def latest_published(wh: Warehouse) -> dt.date | None:
    table = TABLES["portfolio_daily"]
    with wh.begin() as conn:
        value = conn.execute(sa.select(sa.func.max(table.c.as_of_date))).scalar()
    return pd.Timestamp(value).date() if value is not None else None


def read_review_data(wh: Warehouse, as_of: dt.date) -> ReviewData:
    """Everything the pack shows as of `as_of`, read in one transaction (one consistent view)."""
    p, rc, f, pd_, ew = (TABLES[n] for n in ("portfolio_daily", "review_changes", "funnel_by_channel_daily",
                                              "project_daily", "effort_weekly"))
    week_ago = as_of - dt.timedelta(days=7)
    first_day = min(month_ends(as_of)[0], as_of - dt.timedelta(days=max(HISTORY_DAYS, DAILY_DAYS)))
    monday = as_of - dt.timedelta(days=as_of.weekday())
    with wh.begin() as conn:
        portfolio = _frame(conn, sa.select(p).where(p.c.as_of_date.between(first_day, as_of)), "as_of_date")
        if not (portfolio["as_of_date"] == pd.Timestamp(as_of)).any():
            latest = conn.execute(sa.select(sa.func.max(p.c.as_of_date))).scalar()
            raise ReviewError(f"as of {as_of}: not published in {wh.url}"
                              + (f" (latest published as-of date: {pd.Timestamp(latest).date()})" if latest else
                                 " (nothing published yet)"))
        changes = _frame(conn, sa.select(rc).where(rc.c.as_of_date == as_of), "as_of_date")
        funnel = _frame(conn, sa.select(f).where(f.c.as_of_date == as_of), "as_of_date")
        campaigns = _campaigns(conn, wh, as_of)
        projects = _frame(conn, sa.select(pd_).where(pd_.c.as_of_date == as_of), "as_of_date")
        projects_week_ago = _frame(conn, sa.select(pd_).where(pd_.c.as_of_date == week_ago), "as_of_date")
        effort = _frame(conn, sa.select(ew).where(ew.c.week_start.between(
            monday - dt.timedelta(days=7 * (EFFORT_WEEKS - 1)), monday)), "week_start")
        latest_run = _run_covering(conn, as_of)
        week_ago_run = _run_covering(conn, week_ago, before=latest_run)
        q = TABLES["quarantine"]
        quarantine = _frame(conn, sa.select(q.c.run_id, q.c.entity, q.c.rule, q.c.record_id))
        restatements = _restatements(conn, wh, as_of)
    return ReviewData(as_of, portfolio.sort_values("as_of_date", ignore_index=True), changes, funnel, campaigns,
                      projects, projects_week_ago, effort, latest_run, week_ago_run, quarantine, restatements)


def _run_covering(conn: sa.Connection, day: dt.date, before: dict | None = None) -> dict | None:
    """The run_log row of the last completed run whose as-of dates include `day` (and, with
    `before`, that finished before that run and is another one)."""
    log = TABLES["run_log"]
    query = sa.select(log).where(log.c.status == "completed", log.c.as_of_start <= day, log.c.as_of_end >= day)
    if before is not None:
        query = query.where(log.c.run_id != before["run_id"], log.c.finished_at < before["finished_at"])
    row = conn.execute(query.order_by(log.c.finished_at.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def _campaigns(conn: sa.Connection, wh: Warehouse, as_of: dt.date) -> pd.DataFrame:
    c = TABLES["campaign_daily"]
    # a warehouse of an older version (read, never migrated, by `opsmetrics report`) has none
    if not sa.inspect(conn).has_table("campaign_daily", schema=wh.schema):
        return pd.DataFrame(columns=[col.name for col in c.columns])
    return _frame(conn, sa.select(c).where(c.c.as_of_date == as_of), "as_of_date")


def _restatements(conn: sa.Connection, wh: Warehouse, as_of: dt.date) -> pd.DataFrame:
    r = TABLES["restatements"]
    columns = [c.name for c in r.columns]
    # a warehouse of an older version (read, never migrated, by `opsmetrics report`) has none
    if not sa.inspect(conn).has_table("restatements", schema=wh.schema):
        return pd.DataFrame(columns=columns)
    since = dt.datetime.combine(as_of - dt.timedelta(days=RESTATED_SINCE_DAYS), dt.time(), tzinfo=dt.UTC)
    return _frame(conn, sa.select(r).where(r.c.as_of_date <= as_of, r.c.restated_at >= since)
                  .order_by(r.c.metric, r.c.as_of_date), "as_of_date")


def _frame(conn: sa.Connection, statement, *dates: str) -> pd.DataFrame:
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
