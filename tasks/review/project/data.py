"""What a project's page reads, from the warehouse alone, as of D, in one transaction: the project's
directory row, its project_daily rows of every published date up to D, its weekly effort, and its
milestones, licences, customer responses and review notes.

The last four are tables a warehouse of an older version may not have (`opsmetrics report` reads a
warehouse, it never migrates one): then `absent` names them, and the page says so in a sentence
instead of drawing an empty chart. They are not by as-of date (the valid rows as the latest run read
them), so the page reads them as they stood at D: a milestone completed after D is open at D, a
response or a note dated after D is left out, a note closed after D is open at D."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from tasks.review.data import ReviewError, frame, has_table
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.tables import TABLES

# the tables a page reads that an older warehouse may lack, and their date columns
OPTIONAL = {"project_milestones": ("due_date", "completed_date"),
            "project_licenses": ("start_date", "end_date", "latest_usage_date"),
            "feedback_responses": ("submitted_date",),
            "review_notes": ("noted_on", "follow_up_by", "closed_on")}
DIRECTORY_DATES = ("start_date", "planned_end_date", "actual_end_date")


@dataclass
class ProjectData:
    project_id: str
    as_of: dt.date
    directory: pd.DataFrame  # its project_directory row (none in a warehouse without the table or the project)
    daily: pd.DataFrame  # its project_daily rows, every published date up to D, oldest first (D's last)
    effort: pd.DataFrame  # its effort_weekly rows of the weeks starting by D
    milestones: pd.DataFrame  # its project_milestones rows
    licences: pd.DataFrame  # its project_licenses rows
    responses: pd.DataFrame  # its feedback_responses rows submitted by D
    notes: pd.DataFrame  # review_notes rows about it (subject = its id) noted by D
    absent: frozenset[str] = field(default_factory=frozenset)  # of OPTIONAL, the tables the warehouse lacks
    source: str = ""  # the warehouse's URL (without a password)

    @property
    def at(self) -> pd.Series:
        """Its project_daily row at D."""
        return self.daily.iloc[-1]

    @property
    def name(self) -> str | None:
        return _text(self.directory, "name")

    @property
    def account_name(self) -> str | None:
        return _text(self.directory, "account_name")


def _text(frame: pd.DataFrame, column: str) -> str | None:
    if frame.empty or column not in frame or pd.isna(frame[column].iloc[0]):
        return None
    return str(frame[column].iloc[0])


def read_project_data(wh: Warehouse, project_id: str, as_of: dt.date) -> ProjectData:
    """Everything the page of `project_id` shows as of `as_of`. ReviewError, naming the project and
    the warehouse, if the date is not published, the project is unknown, or it has no project_daily
    row at D (planned or not started then)."""
    return read_projects_data(wh, [project_id], as_of)[0]


def read_projects_data(wh: Warehouse, project_ids: list[str], as_of: dt.date) -> list[ProjectData]:
    """`read_project_data` of several projects, in their order, read in one transaction with one
    query per table for all of them: a nightly run writes a page per red or amber project (38 at
    scale 1), and a query per project and table was most of their time."""
    pd_, pdir, ew, portfolio = (TABLES[n] for n in ("project_daily", "project_directory", "effort_weekly",
                                                    "portfolio_daily"))
    ids = list(dict.fromkeys(str(p) for p in project_ids))
    monday = as_of - dt.timedelta(days=as_of.weekday())
    with wh.begin() as conn:
        present = {name for name in (*OPTIONAL, "project_directory") if has_table(conn, wh, name)}
        daily = _by_project(frame(conn, sa.select(pd_).where(pd_.c.project_id.in_(ids), pd_.c.as_of_date <= as_of)
                                  .order_by(pd_.c.project_id, pd_.c.as_of_date), "as_of_date"), pd_)
        directory = _by_project(frame(conn, sa.select(pdir).where(pdir.c.project_id.in_(ids)), *DIRECTORY_DATES)
                                if "project_directory" in present else None, pdir)
        for pid in ids:
            rows = daily(pid)
            if rows.empty or rows["as_of_date"].iloc[-1] != pd.Timestamp(as_of):
                raise ReviewError(_refusal(conn, wh, pid, as_of, rows, directory(pid), portfolio, pd_))
        effort = _by_project(frame(conn, sa.select(ew).where(ew.c.project_id.in_(ids), ew.c.week_start <= monday)
                                   .order_by(ew.c.project_id, ew.c.week_start), "week_start"), ew)
        optional = {}
        for name, dates in OPTIONAL.items():
            table = TABLES[name]
            if name not in present:
                optional[name] = _by_project(None, table)
                continue
            if name == "review_notes":  # a note about a project names it as its subject
                subject = sa.func.trim(table.c.subject)
                query = sa.select(table, subject.label("project_id")).where(subject.in_(ids),
                                                                           table.c.noted_on <= as_of)
            else:
                query = sa.select(table).where(table.c.project_id.in_(ids))
            if name == "feedback_responses":
                query = query.where(table.c.submitted_date <= as_of)
            optional[name] = _by_project(frame(conn, query, *dates), table)
    absent = frozenset(set(OPTIONAL) - present)
    return [ProjectData(pid, as_of, directory(pid), daily(pid), effort(pid), optional["project_milestones"](pid),
                        optional["project_licenses"](pid), optional["feedback_responses"](pid),
                        optional["review_notes"](pid), absent, wh.url) for pid in ids]


def _by_project(rows: pd.DataFrame | None, table: sa.Table):
    """A project's rows of `rows` (read for several projects), in their order, with the table's
    columns only; none (with the columns) where `rows` is None: a table the warehouse lacks."""
    columns = [c.name for c in table.columns]
    groups = {} if rows is None or rows.empty else {str(k): g for k, g in rows.groupby("project_id", sort=False)}

    def of(project_id: str) -> pd.DataFrame:
        found = groups.get(project_id)
        return pd.DataFrame(columns=columns) if found is None else found[columns].reset_index(drop=True)

    return of


def _refusal(conn: sa.Connection, wh: Warehouse, project_id: str, as_of: dt.date, daily: pd.DataFrame,
             directory: pd.DataFrame, portfolio: sa.Table, pd_: sa.Table) -> str:
    """Why there is no page of the project as of D, in one line naming both."""
    published = conn.execute(sa.select(sa.func.count()).select_from(portfolio)
                             .where(portfolio.c.as_of_date == as_of)).scalar()
    if not published:
        latest = conn.execute(sa.select(sa.func.max(portfolio.c.as_of_date))).scalar()
        return (f"as of {as_of}: not published in {wh.url}"
                + (f" (latest published as-of date: {pd.Timestamp(latest).date()})" if latest else
                   " (nothing published yet)"))
    if directory.empty:
        ever = conn.execute(sa.select(sa.func.min(pd_.c.as_of_date), sa.func.max(pd_.c.as_of_date))
                            .where(pd_.c.project_id == project_id)).one()
        if ever[0] is None:
            return f"project {project_id!r}: no such project in {wh.url} (not in project_directory nor project_daily)"
    if daily.empty:
        dates = ""
        if not directory.empty:
            start = directory["start_date"].iloc[0]
            dates = f"; status {directory['status'].iloc[0]}, start date " + \
                ("none" if pd.isna(start) else pd.Timestamp(start).date().isoformat())
        return (f"project {project_id!r} has no row in project_daily as of {as_of} in {wh.url}: it is planned or "
                f"not started at that date{dates}")
    last = daily["as_of_date"].iloc[-1].date()
    return (f"project {project_id!r} has no row in project_daily as of {as_of} in {wh.url} (its last row up to that "
            f"date is of {last})")


def projects_to_page(wh: Warehouse, as_of: dt.date) -> list[str]:
    """The projects that get a page beside the pack: red or amber in project_daily at D, by id."""
    t = TABLES["project_daily"]
    with wh.begin() as conn:
        return [str(p) for p in conn.execute(sa.select(t.c.project_id).where(
            t.c.as_of_date == as_of, t.c.health.in_(("red", "amber"))).order_by(t.c.project_id)).scalars()]
