"""Versioned migrations: the migrated database is exactly what schemas/ declares, and a warehouse
written by an older version is upgraded in place without losing its rows."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tasks.warehouse.connect import Warehouse
from tasks.warehouse.migrate import current_revision, prepare, upgrade
from tasks.warehouse.tables import metadata

HEAD = "0010"


def test_migrations_create_exactly_the_declared_tables(warehouse: Warehouse):
    prepare(warehouse)  # migrations, then the comments
    declared = sa.MetaData()
    for table in metadata.tables.values():  # the declarations, in the warehouse's schemas
        table.to_metadata(declared, schema=warehouse.schema_map[table.schema])
    ours = set(warehouse.schema_map.values())
    with warehouse.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "version_table_schema": warehouse.schema, "include_schemas": True, "compare_type": True,
            "include_name": lambda name, kind, _: kind != "schema" or name in ours})
        diff = compare_metadata(context, declared)
    # nothing to add, drop or change: the version table is the only extra
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name == "alembic_version")] == []


def test_upgrade_is_idempotent(warehouse: Warehouse):
    upgrade(warehouse)
    upgrade(warehouse)
    assert current_revision(warehouse) == HEAD


def _old_warehouse_with_history(wh: Warehouse, versioned: bool) -> None:
    """A warehouse as version 0001 left it, with a row of history; `versioned=False`: as written
    before migrations existed (tables, no alembic_version)."""
    upgrade(wh, "0001")
    with wh.engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {wh.qualified('portfolio_daily')} (as_of_date, customers_total) "
                             "VALUES (:d, 42)"), {"d": dt.date(2025, 1, 1)})
        if not versioned:
            conn.exec_driver_sql(f"DROP TABLE {wh.qualified('alembic_version')}")


@pytest.mark.parametrize("versioned", [True, False], ids=["at-0001", "before-versioning"])
def test_an_older_warehouse_is_upgraded_keeping_its_history(warehouse: Warehouse, versioned: bool):
    _old_warehouse_with_history(warehouse, versioned)
    assert not sa.inspect(warehouse.engine).has_table("metric_dictionary", schema=warehouse.schema)
    upgrade(warehouse)
    assert current_revision(warehouse) == HEAD
    old = pd.read_sql(f"SELECT as_of_date, customers_total FROM {warehouse.qualified('portfolio_daily')}",
                      warehouse.engine)
    assert old["customers_total"].tolist() == [42]
    latest = pd.read_sql(f"SELECT customers_total FROM {warehouse.qualified('portfolio_latest')}", warehouse.engine)
    assert latest["customers_total"].tolist() == [42]


def test_a_warehouse_at_0004_gets_the_feedback_columns_and_campaign_daily_keeping_its_history(warehouse: Warehouse):
    upgrade(warehouse, "0004")
    with warehouse.engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {warehouse.qualified('portfolio_daily')} (as_of_date, customers_total) "
                             "VALUES (:d, 42)"), {"d": dt.date(2025, 1, 1)})
        conn.execute(sa.text(f"INSERT INTO {warehouse.qualified('project_daily')} (as_of_date, project_id, state) "
                             "VALUES (:d, 'P1', 'active')"), {"d": dt.date(2025, 1, 1)})
    assert not sa.inspect(warehouse.engine).has_table("campaign_daily", schema=warehouse.schema)
    prepare(warehouse)
    assert current_revision(warehouse) == HEAD
    latest = pd.read_sql(f"SELECT * FROM {warehouse.qualified('portfolio_latest')}", warehouse.engine)
    assert latest["customers_total"].tolist() == [42]  # the history is kept
    # the views show the new columns (PostgreSQL fixed the old views' columns when they were created)
    assert latest[["feedback_responses_90d", "nps_90d", "team_score_avg_90d"]].isna().all().all()
    project = pd.read_sql(f"SELECT * FROM {warehouse.qualified('project_latest')}", warehouse.engine)
    assert project["state"].tolist() == ["active"] and {"feedback_responses_180d", "nps_180d"} <= set(project)
    inspector = sa.inspect(warehouse.engine)
    assert inspector.get_pk_constraint("campaign_daily", schema=warehouse.schema)["constrained_columns"] == [
        "as_of_date", "channel", "campaign"]
    assert {c["name"] for c in inspector.get_columns("run_log", schema=warehouse.schema)} >= {
        "feedback_read", "feedback_quarantined", "feedback_superseded", "feedback_collapsed"}
    dictionary = pd.read_sql(f"SELECT * FROM {warehouse.qualified('metric_dictionary')}", warehouse.engine)
    documented = set(zip(dictionary["table_name"], dictionary["column_name"], strict=True))
    assert {("campaign_daily", "return_on_spend_90d"), ("portfolio_daily", "nps_90d"),
            ("project_daily", "nps_180d")} <= documented


def test_a_warehouse_at_0007_gets_the_v3_columns_and_tables_keeping_its_history(warehouse: Warehouse):
    upgrade(warehouse, "0007")
    with warehouse.engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {warehouse.qualified('portfolio_daily')} (as_of_date, customers_total) "
                             "VALUES (:d, 42)"), {"d": dt.date(2025, 1, 1)})
        conn.execute(sa.text(f"INSERT INTO {warehouse.qualified('funnel_by_channel_daily')} "
                             "(as_of_date, channel, leads_90d) VALUES (:d, 'website', 7)"), {"d": dt.date(2025, 1, 1)})
    prepare(warehouse)
    assert current_revision(warehouse) == HEAD
    latest = pd.read_sql(f"SELECT * FROM {warehouse.qualified('portfolio_latest')}", warehouse.engine)
    assert latest["customers_total"].tolist() == [42]  # the history is kept, its new columns null
    assert latest[["leads_created_7d", "hours_7d", "feedback_responses_7d"]].isna().all().all()
    funnel = pd.read_sql(f"SELECT * FROM {warehouse.qualified('funnel_by_channel_daily')}", warehouse.engine)
    assert funnel["leads_90d"].tolist() == [7] and funnel["opportunities_90d"].isna().all()
    inspector = sa.inspect(warehouse.engine)
    assert inspector.get_pk_constraint("review_signals", schema=warehouse.schema)["constrained_columns"] == [
        "as_of_date", "metric"]
    assert {c["name"] for c in inspector.get_columns("campaign_daily", schema=warehouse.schema)} >= {
        "opportunities_90d", "leads_prior_90d", "return_on_spend_prior_90d"}
    dictionary = pd.read_sql(f"SELECT * FROM {warehouse.qualified('metric_dictionary')}", warehouse.engine)
    documented = set(zip(dictionary["table_name"], dictionary["column_name"], strict=True))
    assert {("review_signals", "rule"), ("portfolio_daily", "bookings_7d"), ("project_directory", "account_name"),
            ("funnel_by_channel_daily", "cost_per_opportunity_90d")} <= documented


def test_a_warehouse_at_0008_gets_the_plan_and_the_notes_keeping_its_history(warehouse: Warehouse):
    upgrade(warehouse, "0008")
    with warehouse.engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {warehouse.qualified('portfolio_daily')} (as_of_date, customers_total) "
                             "VALUES (:d, 42)"), {"d": dt.date(2025, 1, 1)})
        conn.execute(sa.text(f"INSERT INTO {warehouse.qualified('run_log')} (run_id, status, leads_read) "
                             "VALUES ('old', 'completed', 40)"))
    assert not sa.inspect(warehouse.engine).has_table("targets", schema=warehouse.schema)
    prepare(warehouse)
    assert current_revision(warehouse) == HEAD
    latest = pd.read_sql(f"SELECT * FROM {warehouse.qualified('portfolio_latest')}", warehouse.engine)
    assert latest["customers_total"].tolist() == [42]  # the history is kept
    # the run logged before read no plan and no notes: its new counts are null, not 0 (the shrink
    # guard compares nothing there)
    log = pd.read_sql(f"SELECT * FROM {warehouse.qualified('run_log')}", warehouse.engine)
    assert log["leads_read"].tolist() == [40]
    assert log[[f"{e}_{k}" for e in ("targets", "review_notes")
                for k in ("read", "quarantined", "superseded", "collapsed")]].isna().all().all()
    inspector = sa.inspect(warehouse.engine)
    assert inspector.get_pk_constraint("targets", schema=warehouse.schema)["constrained_columns"] == ["metric", "month"]
    assert inspector.get_pk_constraint("review_notes", schema=warehouse.schema)["constrained_columns"] == ["note_id"]
    dictionary = pd.read_sql(f"SELECT * FROM {warehouse.qualified('metric_dictionary')}", warehouse.engine)
    documented = set(zip(dictionary["table_name"], dictionary["column_name"], strict=True))
    assert {("targets", "target"), ("targets", "month"), ("review_notes", "decision"),
            ("review_notes", "follow_up_by"), ("run_log", "targets_quarantined")} <= documented


def test_a_date_filter_uses_the_primary_key_without_an_index_of_its_own(warehouse: Warehouse):
    """0007 dropped ix_<table>_as_of_date: the primary key (as_of_date, project_id) serves the
    publish's DELETE of a run's dates and a BI tool's filter, so neither scans the table."""
    prepare(warehouse)
    with warehouse.engine.begin() as conn:
        indexes = [i["name"] for i in sa.inspect(conn).get_indexes("project_daily", schema=warehouse.schema)]
        assert "ix_project_daily_as_of_date" not in indexes
        table = warehouse.qualified("project_daily")
        if warehouse.is_postgres:  # a scan is the cheapest plan of an empty table: forbid it
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(r[0] for r in conn.exec_driver_sql(
                f"EXPLAIN SELECT * FROM {table} WHERE as_of_date BETWEEN '2026-01-01' AND '2026-01-31'"))
            assert "project_daily_pkey" in plan, plan
        else:
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE as_of_date BETWEEN '2026-01-01' AND '2026-01-31'"))
            assert "USING INDEX sqlite_autoindex_project_daily_1 (as_of_date>? AND as_of_date<?)" in plan, plan
