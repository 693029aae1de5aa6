"""PostgreSQL for BI tools: typed columns, keys, comments from schemas/, the *_latest views, and a
reader role that can read the outputs and nothing else."""
from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa
from builders import dataset, marts
from pgserver import drop_schema, new_schema, require_pg

from schemas.tables import MARTS, OPERATIONAL, PUBLISHED, VIEWS
from tasks.warehouse.access import grant_reader
from tasks.warehouse.connect import Warehouse, landing_schema
from tasks.warehouse.migrate import prepare, upgrade
from tasks.warehouse.publish import publish_marts

D1, D2 = dt.date(2026, 3, 1), dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def pg():
    url = require_pg()
    schema = new_schema()
    wh = Warehouse.open(url, schema)
    prepare(wh)
    raw = dataset(deals=[{"deal_id": "D1", "stage": "won", "closed_at": "2026-02-01T00:00:00Z"}],
                  projects=[{"project_id": "P1", "deal_id": "D1"}, {"project_id": "P2"}])
    publish_marts(wh, marts(raw, D1, D2), D1, D2)
    yield wh
    wh.dispose()
    drop_schema(url, schema)


def query(wh: Warehouse, sql: str, **params) -> pd.DataFrame:
    return pd.read_sql(sa.text(sql), wh.engine, params=params)


def test_columns_are_typed_never_text(pg):
    cols = query(pg, "SELECT table_name, column_name, data_type FROM information_schema.columns "
                     "WHERE table_schema = :s", s=pg.schema)
    types = {(t, c): d for t, c, d in cols.itertuples(index=False)}
    assert types[("portfolio_daily", "as_of_date")] == "date"
    assert types[("portfolio_daily", "leads_created_30d")] == "bigint"
    assert types[("portfolio_daily", "win_rate_90d")] == "double precision"
    assert types[("run_log", "started_at")] == "timestamp with time zone"
    assert types[("project_daily", "health")] == "text"
    for table in PUBLISHED.values():
        for c in table.columns:
            if c.type != "text":
                assert types[(table.name, c.name)] != "text", (table.name, c.name)


def test_primary_keys_start_with_as_of_date(pg):
    """The key's own index serves a filter on dates: no second index on as_of_date (0007)."""
    inspector = sa.inspect(pg.engine)
    for table in MARTS.values():
        assert inspector.get_pk_constraint(table.name, schema=pg.schema)["constrained_columns"] == list(table.key)
        # the tables not by as-of date (effort_weekly, the plan, the notes) are replaced whole, never by date
        assert table.key[0] == "as_of_date" or not table.as_of, table.name
    indexed = {tuple(i["column_names"]) for i in inspector.get_indexes("project_daily", schema=pg.schema)}
    assert ("as_of_date",) not in indexed


def test_every_table_view_and_column_has_its_comment(pg):
    comments = query(pg, "SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS doc FROM pg_class c "
                         "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind IN ('r','v')",
                     s=pg.schema).set_index("name")["doc"]
    for name in [*PUBLISHED, "quarantine", "run_log", "metric_dictionary", *VIEWS]:
        assert comments[name], name
    col = query(pg, "SELECT col_description(:t ::regclass, 2) AS doc", t=f"{pg.schema}.portfolio_daily")["doc"][0]
    assert col == "leads with date(created_at) in the 30 days ending D [count]"
    view_col = query(pg, "SELECT col_description(:t ::regclass, 1) AS doc", t=f"{pg.schema}.project_latest")["doc"][0]
    assert view_col.startswith("the business date D")


def test_metric_dictionary_lists_every_output_column(pg):
    d = query(pg, f"SELECT * FROM {pg.qualified('metric_dictionary')}")
    assert len(d) == sum(len(t.columns) for t in (*PUBLISHED.values(), *OPERATIONAL.values()))
    row = d[(d["table_name"] == "portfolio_daily") & (d["column_name"] == "cac_30d")].iloc[0]
    assert row["unit"] == "reporting currency" and "new_customers_30d" in row["definition"]


def test_latest_views_show_the_latest_date_only(pg):
    p = query(pg, f"SELECT as_of_date FROM {pg.qualified('portfolio_latest')}")
    assert p["as_of_date"].tolist() == [D2]
    projects = query(pg, f"SELECT DISTINCT as_of_date FROM {pg.qualified('project_latest')}")
    assert projects["as_of_date"].tolist() == [D2]


def test_campaign_daily_is_documented_for_bi_tools(pg):
    col = query(pg, "SELECT col_description(:t ::regclass, 12) AS doc", t=f"{pg.schema}.campaign_daily")["doc"][0]
    assert col == "cohort_won_amount / spend_90d [ratio (reporting currency won per unit spent)]"
    nps = query(pg, f"SELECT nps_90d FROM {pg.qualified('portfolio_latest')}")  # a column of the view
    assert nps["nps_90d"].isna().all()  # no feedback in this dataset: null over no responses


# (granted at, what the upgrade created or recreated: each readable and empty, a query of the new columns):
# 0005 created campaign_daily and recreated the *_latest views; 0008 review_signals, project_directory
# and the weekly flows; 0009 targets, review_notes and their run_log counts
UPGRADES = [
    ("0004", ("campaign_daily", "portfolio_latest", "project_latest"),
     ("SELECT nps_90d, team_score_avg_90d FROM {portfolio_latest}",)),
    ("0007", ("review_signals", "project_directory", "portfolio_latest", "project_latest"),
     ("SELECT bookings_7d, hours_7d FROM {portfolio_latest}",
      "SELECT opportunities_90d, return_on_spend_prior_90d FROM {funnel_by_channel_daily}")),
    ("0008", ("targets", "review_notes"), ("SELECT targets_read, review_notes_quarantined FROM {run_log}",)),
]


@pytest.mark.parametrize(("granted_at", "names", "queries"), UPGRADES, ids=[u[0] for u in UPGRADES])
def test_a_reader_granted_before_an_upgrade_reads_what_it_adds(granted_at, names, queries):
    url = require_pg()
    schema, role = new_schema(), f"reader_{uuid.uuid4().hex[:8]}"
    wh = Warehouse.open(url, schema)
    upgrade(wh, granted_at)
    grant_reader(wh, role, password="pw")
    prepare(wh)
    reader = sa.create_engine(wh.engine.url.set(username=role, password="pw"))
    try:
        with reader.connect() as conn:
            for name in names:
                assert conn.execute(sa.text(f"SELECT count(*) FROM {wh.qualified(name)}")).scalar() == 0, name
            for query in queries:
                conn.execute(sa.text(query.format(**{n: wh.qualified(n) for n in (
                    "portfolio_latest", "funnel_by_channel_daily", "run_log")})))
    finally:
        reader.dispose()
        with wh.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')
        wh.dispose()
        drop_schema(url, schema)


def test_reader_role_reads_outputs_only(pg):
    role = f"reader_{uuid.uuid4().hex[:8]}"
    shown = grant_reader(pg, role, password="s3cret'pw")
    assert all("s3cret" not in s for s in shown)
    with pg.engine.begin() as conn:  # a raw landing table, as the CRM connectors write them
        conn.exec_driver_sql(f'CREATE TABLE "{landing_schema(pg.schema)}".contacts (id text)')
    grant_reader(pg, role)  # running it again updates the role, it does not fail
    reader = sa.create_engine(pg.engine.url.set(username=role, password="s3cret'pw"))
    try:
        with reader.connect() as conn:
            assert conn.execute(sa.text(f"SELECT count(*) FROM {pg.qualified('portfolio_daily')}")).scalar() == 2
            assert conn.execute(sa.text(f"SELECT count(*) FROM {pg.qualified('project_latest')}")).scalar() >= 1
        for sql in (f"INSERT INTO {pg.qualified('portfolio_daily')} (as_of_date) VALUES ('2020-01-01')",
                    f"DELETE FROM {pg.qualified('run_log')}",
                    f"CREATE TABLE {pg.qualified('mine')} (x int)",
                    f'SELECT * FROM "{landing_schema(pg.schema)}".contacts'):
            with reader.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                conn.execute(sa.text(sql))
    finally:
        reader.dispose()
        with pg.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')
