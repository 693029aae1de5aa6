"""A warehouse holding one as-of date D with what a message lists, written row by row."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tasks.warehouse.tables import TABLES

D = dt.date(2026, 11, 30)
# the team's own tables, as the migration of the plan and notes creates them (created here when absent)
TEAM_TABLES = {
    "targets": lambda: [sa.Column("metric", sa.Text, primary_key=True), sa.Column("month", sa.Date, primary_key=True),
                        sa.Column("target", sa.Float), sa.Column("owner", sa.Text)],
    "review_notes": lambda: [sa.Column("note_id", sa.Text, primary_key=True), sa.Column("noted_on", sa.Date),
                             *(sa.Column(c, sa.Text) for c in ("metric", "subject", "owner", "decision", "note")),
                             sa.Column("follow_up_by", sa.Date), sa.Column("closed_on", sa.Date)],
}


def team_table(name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), *TEAM_TABLES[name]())


def insert(wh, name: str, rows: list[dict]) -> None:
    table = TABLES.get(name) if name not in TEAM_TABLES else team_table(name)
    with wh.begin() as conn:
        if name in TEAM_TABLES and not sa.inspect(conn).has_table(name, schema=wh.schema):
            table.create(conn)
        keys = {k for r in rows for k in r}
        conn.execute(table.insert(), [{k: r.get(k) for k in keys} for r in rows])


def drop_team_tables(wh) -> None:
    with wh.begin() as conn:
        for name in TEAM_TABLES:
            if sa.inspect(conn).has_table(name, schema=wh.schema):
                team_table(name).drop(conn)


def signal(metric: str, series: str, value: float, rule: str | None = None, side: str | None = None) -> dict:
    return {"as_of_date": D, "metric": metric, "series": series, "value": value, "centre": 10.0,
            "lower_limit": 2.0, "upper_limit": 18.0, "rule": rule, "side": side}


def fill(warehouse) -> None:
    """D in a migrated warehouse: three analysed metrics, two of them signals; three active projects,
    two of them red; the plan's owners; notes with follow-ups open, closed and not yet due."""
    insert(warehouse, "review_signals", [
        signal("leads_created_7d", "weekly", 31, "three_of_four", "up"),
        signal("customers_total", "weekly_change", -3, "outside", "down"),
        signal("bookings_7d", "weekly", 12000)])
    insert(warehouse, "project_daily", [
        {"as_of_date": D, "project_id": "P0042", "account_id": "A7", "state": "active", "health": "red",
         "cost_variance": 12000.0, "milestones_overdue": 2, "schedule_slip_days": 20},
        {"as_of_date": D, "project_id": "P0077", "account_id": "A9", "state": "active", "health": "red",
         "cost_variance": -10.0, "milestones_overdue": 0, "schedule_slip_days": 30},
        {"as_of_date": D, "project_id": "P0001", "account_id": "A1", "state": "active", "health": "amber",
         "cost_variance": 0.0, "milestones_overdue": 1, "schedule_slip_days": 0},
        {"as_of_date": D - dt.timedelta(days=1), "project_id": "P0005", "state": "active", "health": "red"}])
    insert(warehouse, "project_directory", [
        {"project_id": "P0042", "name": "Acme CRM rollout", "account_id": "A7", "account_name": "Acme Corp"},
        {"project_id": "P0001", "name": "Globex onboarding", "account_id": "A1", "account_name": "Globex"}])
    insert(warehouse, "targets", [
        {"metric": "leads_created_7d", "month": dt.date(2026, 11, 1), "target": 25.0, "owner": "Alice Chen"},
        {"metric": "leads_created_7d", "month": dt.date(2026, 12, 1), "target": 30.0, "owner": "Someone Later"},
        {"metric": "bookings_7d", "month": dt.date(2026, 11, 1), "target": 1e4, "owner": "Bo Li"}])
    insert(warehouse, "review_notes", [
        {"note_id": "N1", "noted_on": D - dt.timedelta(days=17), "metric": "leads_created_7d",
         "subject": "Why did partner leads jump?", "owner": "Alice Chen", "decision": "watch",
         "note": "check the partner channel", "follow_up_by": D - dt.timedelta(days=10), "closed_on": None},
        {"note_id": "N2", "noted_on": D - dt.timedelta(days=17), "subject": "Closed already", "owner": "Bo Li",
         "follow_up_by": D - dt.timedelta(days=9), "closed_on": D - dt.timedelta(days=8)},
        {"note_id": "N3", "noted_on": D - dt.timedelta(days=3), "subject": "Not due yet", "owner": "Bo Li",
         "follow_up_by": D + dt.timedelta(days=4), "closed_on": None},
        {"note_id": "N4", "noted_on": D - dt.timedelta(days=10), "subject": "Renewal risk at Globex", "owner": None,
         "follow_up_by": D - dt.timedelta(days=1), "closed_on": None},
        {"note_id": "N5", "noted_on": D - dt.timedelta(days=10), "subject": "Due today", "owner": "Bo Li",
         "follow_up_by": D, "closed_on": None}])
