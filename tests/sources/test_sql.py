"""The SQL source against the test PostgreSQL (and a SQLite file): typed columns give the text a CSV
of the same rows gives, chunked reads, incremental syncs and their cursor, dropped connections,
and credentials that never show."""
from __future__ import annotations

import datetime as dt
import decimal
import logging
import sqlite3

import pandas as pd
import pytest
import sqlalchemy as sa
from pgserver import drop_schema, new_schema, require_pg

from schemas.config import SettingsError, SqlSource, parse_settings
from schemas.sources import ENTITIES
from tasks.credentials import CredentialError
from tasks.sources import landing
from tasks.sources.base import SourceError, as_text
from tasks.sources.files import read_entity_file
from tasks.sources.registry import read_entity, sync_sources
from tasks.sources.sql.database import BACKOFF_SECONDS, Database
from tasks.sources.sql.sync import read_entity as read_sql
from tasks.sources.sql.sync import sync as sync_sql

PASSWORD = "Pl4nted-S3cr/t"  # planted in URLs: must never appear in a message or a log
DAY = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)

PROJECT_COLUMNS = [  # typed as a project system would have them, plus a column that is not canonical
    ("project_id", "text"), ("deal_id", "text"), ("name", "text"), ("account_id", "text"), ("status", "text"),
    ("start_date", "date"), ("planned_end_date", "date"), ("actual_end_date", "date"),
    ("budget_cost", "numeric(12,2)"), ("budget_hours", "integer"), ("updated_at", "timestamptz"),
    ("internal_note", "text")]
PROJECTS_CSV = ",".join(c for c, _ in PROJECT_COLUMNS) + """
007,D1,"Rollout, phase 1",A1,active,2026-01-05,2026-06-30,,120000.50,800,2026-01-10T08:30:00+00:00,x
P2,,Pilot,A2,planned,,2026-09-30,,0.00,,2026-01-11T00:00:00.250000+00:00,
P3,D3,Migration,A1,delivered,2025-10-01,2025-12-31,2026-01-02,5000.00,40,2026-01-03T23:59:59+00:00,y
"""
DEAL_COLUMNS = [
    ("id", "text"), ("contact", "text"), ("acct", "text"), ("acct_name", "text"), ("kind", "text"),
    ("stage", "text"), ("value", "numeric(14,2)"), ("currency", "char(3)"), ("created", "timestamptz"),
    ("closed", "timestamptz"), ("owner", "text"), ("key_account", "boolean"), ("changed", "timestamptz")]
DEALS_ROWS = """id,contact,acct,acct_name,kind,stage,value,currency,created,closed,owner,key_account,changed
D1,L1,A1,Acme,new,won,25000.00,USD,2025-11-01T10:00:00+00:00,2025-12-15T16:45:00+00:00,ann,true,2025-12-15T16:45:00+00:00
D2,,A2,,renewal,proposal,0.10,USD,2025-12-01T00:00:00+00:00,,bob,false,2026-01-02T00:00:00+00:00
D3,L3,A3,Beta,expansion,discovery,99.00,USD,2026-01-01T00:00:00+00:00,,test-user,,2026-01-03T00:00:00+00:00
"""
DEALS_QUERY = """
    select id as deal_id, contact as lead_id, acct as account_id, acct_name as account_name, kind as deal_type,
           stage, value as amount, currency, created as created_at, closed as closed_at, owner,
           key_account as is_key_account, changed as updated_at
    from {schema}.crm_deals
    where owner not like '%test%';
"""
DEALS_CSV = ",".join(c for c in ENTITIES["deals"].names if c not in ("industry", "region")) + """
D1,L1,A1,Acme,new,won,25000.00,USD,2025-11-01T10:00:00+00:00,2025-12-15T16:45:00+00:00,ann,true,2025-12-15T16:45:00+00:00
D2,,A2,,renewal,proposal,0.10,USD,2025-12-01T00:00:00+00:00,,bob,false,2026-01-02T00:00:00+00:00
"""
MILESTONE_COLUMNS = [("milestone_id", "text primary key"), ("project_id", "text"), ("name", "text"),
                     ("phase", "text"), ("due_date", "date"), ("completed_date", "date"), ("updated_at", "timestamptz")]
SQL_LOGGER = "tasks.sources.sql"


def no_wait(seconds: float) -> None:
    """Injected as `sleep` where a test makes the connector retry."""


@pytest.fixture
def pg():
    """The test PostgreSQL as a source: (URL, a schema of this test's own, an engine for setting up)."""
    url = require_pg()
    schema = new_schema()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield url, schema, engine
    engine.dispose()
    drop_schema(url, schema)


def create_table(engine, name: str, columns: list[tuple[str, str]], csv_text: str = "") -> None:
    """A typed table holding the rows of `csv_text` (text cast by the database; "" is NULL)."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)})")
    if csv_text:
        insert(engine, name, columns, csv_rows(csv_text))


def insert(engine, name: str, columns: list[tuple[str, str]], rows: list[dict]) -> None:
    types = dict(columns)
    names = list(rows[0])
    values = ", ".join(f"CAST(NULLIF(:{c}, '') AS {types[c].replace(' primary key', '')})" for c in names)
    with engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {name} ({', '.join(names)}) VALUES ({values})"), rows)


def csv_rows(text: str) -> list[dict]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text)))


def from_csv(tmp_path, entity: str, text: str) -> pd.DataFrame:
    folder = tmp_path / "drop"
    folder.mkdir(exist_ok=True)
    (folder / f"{entity}.csv").write_text(text, encoding="utf-8")
    return read_entity_file(folder, ENTITIES[entity])


def milestones(engine, schema: str, n: int = 5) -> None:
    rows = [{"milestone_id": f"M{i}", "project_id": "P1", "name": f"step {i}", "phase": "implementation",
             "due_date": f"2026-03-0{i}", "completed_date": "", "updated_at": (DAY + dt.timedelta(days=i)).isoformat()}
            for i in range(1, n + 1)]
    create_table(engine, f"{schema}.milestones", MILESTONE_COLUMNS)
    insert(engine, f"{schema}.milestones", MILESTONE_COLUMNS, rows)


def sql_source(conf: dict) -> SqlSource:
    """`sources.sql` as the connector is given it: validated by the configuration's model."""
    return parse_settings({"sources": {"sql": conf}}).sources.sql


def incremental(url: str, schema: str, **conf) -> SqlSource:
    return sql_source({"url": url, "entities": {"milestones": f"{schema}.milestones"}, "incremental": ["milestones"],
                       "chunk_size": 2, **conf})


def landed_ids(wh) -> list[str]:
    return landing.read_landed(wh, "sql", "milestones")["id"].tolist()


def spy_on_landing(monkeypatch) -> list[str]:
    ids: list[str] = []
    real = landing.land_page

    def land_page(wh, source, stream, records):
        ids.extend(records["id"])
        return real(wh, source, stream, records)

    monkeypatch.setattr(landing, "land_page", land_page)
    return ids


def with_password(url: str, **query) -> str:
    return sa.make_url(url).set(password=PASSWORD).update_query_dict(query).render_as_string(hide_password=False)


# --- the text of a typed source ---------------------------------------------------------------------

def test_a_table_gives_the_text_a_csv_of_the_same_rows_gives(pg, tmp_path):
    url, schema, engine = pg
    create_table(engine, f"{schema}.projects", PROJECT_COLUMNS, PROJECTS_CSV)
    frame = read_sql(None, sql_source({"url": url, "entities": {"projects": f"{schema}.projects"}}), "projects")
    pd.testing.assert_frame_equal(frame, from_csv(tmp_path, "projects", PROJECTS_CSV))
    assert frame.loc[0, "project_id"] == "007" and frame.loc[1, "budget_hours"] == ""  # text stays text, NULL is ""
    assert frame.attrs == {"source": "SQL projects", "locator": "row {}", "first_position": 1}


def test_a_query_gives_the_text_a_csv_of_the_same_rows_gives(pg, tmp_path):
    url, schema, engine = pg
    create_table(engine, f"{schema}.crm_deals", DEAL_COLUMNS, DEALS_ROWS)
    conf = sql_source({"url": url, "entities": {"deals": DEALS_QUERY.format(schema=schema)}})  # `%`, a trailing `;`
    frame = read_sql(None, conf, "deals")
    pd.testing.assert_frame_equal(frame, from_csv(tmp_path, "deals", DEALS_CSV))


FEEDBACK_COLUMNS = [("feedback_id", "text primary key"), ("account_id", "text"), ("project_id", "text"),
                    ("respondent", "text"), ("score", "smallint"), ("comment", "text"),
                    ("submitted_at", "timestamptz"), ("updated_at", "timestamptz")]
FEEDBACK_CSV = ",".join(c for c, _ in FEEDBACK_COLUMNS) + """
F1,A1,P1,customer,10,"Great, fast",2026-01-05T10:00:00+00:00,2026-01-05T10:00:00+00:00
F2,A2,,engineer,3,,2026-01-06T00:00:00+00:00,2026-01-07T00:00:00+00:00
"""


def test_feedback_comes_from_a_table_like_any_entity_and_can_be_incremental(pg, wh, tmp_path):
    # the optional entity is an entity like the others for the SQL source (EntityName derives from ENTITIES)
    url, schema, engine = pg
    create_table(engine, f"{schema}.survey", FEEDBACK_COLUMNS, FEEDBACK_CSV)
    conf = sql_source({"url": url, "entities": {"feedback": f"{schema}.survey"}, "incremental": ["feedback"]})
    sync_sql(wh, conf, ["feedback"])
    frame = read_sql(wh, conf, "feedback")
    expected = from_csv(tmp_path, "feedback", FEEDBACK_CSV)
    pd.testing.assert_frame_equal(frame.sort_values("feedback_id", ignore_index=True)[expected.columns], expected)


TARGET_COLUMNS = [("metric", "text"), ("month", "date"), ("target", "numeric(14,2)"), ("owner", "text")]
TARGETS_CSV = """metric,month,target,owner
bookings_30d,2026-03-01,120000.00,Ann
nps_90d,2026-03-01,-5.50,
"""


def test_the_plan_and_the_notes_come_from_tables_like_any_entity(pg, wh, tmp_path):
    # issue 23: the optional entities are entities like the others for the SQL source; the plan, without
    # updated_at, is read whole at extract, the notes may be synced incrementally
    url, schema, engine = pg
    create_table(engine, f"{schema}.plan", TARGET_COLUMNS, TARGETS_CSV)
    note_columns = [(c, "date" if c in ("noted_on", "follow_up_by", "closed_on") else
                     "timestamptz" if c == "updated_at" else "text") for c in ENTITIES["review_notes"].names]
    notes_csv = ",".join(c for c, _ in note_columns) + """
N1,2026-02-23,cac_30d,paid_ads/Spring,Ann,drop,"Spend, no wins",2026-03-02,,2026-02-23T10:00:00+00:00
"""
    create_table(engine, f"{schema}.notes", note_columns, notes_csv)
    conf = sql_source({"url": url, "entities": {"targets": f"{schema}.plan", "review_notes": f"{schema}.notes"},
                       "incremental": ["review_notes"]})
    sync_sql(wh, conf, ["targets", "review_notes"])
    plan = read_sql(wh, conf, "targets")
    pd.testing.assert_frame_equal(plan.sort_values("metric", ignore_index=True), from_csv(tmp_path, "targets", TARGETS_CSV))
    notes = read_sql(wh, conf, "review_notes")
    pd.testing.assert_frame_equal(notes[ENTITIES["review_notes"].names], from_csv(tmp_path, "review_notes", notes_csv))


def test_a_table_name_is_quoted_where_it_needs_to_be(pg):
    url, schema, engine = pg
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE TABLE "{schema}"."Usage" (license_id text, usage_date date, active_users bigint)')
        conn.exec_driver_sql(f"""INSERT INTO "{schema}"."Usage" VALUES ('L1', '2026-01-01', 3),
                                                                      ('L1', '2026-01-02', NULL)""")
    frame = read_sql(None, sql_source({"url": url, "entities": {"usage": f"{schema}.Usage"}}), "usage")
    assert frame.to_dict("records") == [{"license_id": "L1", "usage_date": "2026-01-01", "active_users": "3"},
                                        {"license_id": "L1", "usage_date": "2026-01-02", "active_users": ""}]


def test_typed_values_become_file_drop_text():
    frame = pd.DataFrame({
        "license_id": ["L1", None], "project_id": ["P1", "P1"], "product": ["Suite", "Suite"],
        "seats": [10.0, float("nan")],  # an integer column with a NULL, as pandas holds it
        "start_date": [dt.datetime(2026, 1, 5), dt.datetime(2026, 1, 5, 12)],  # a DATETIME holding dates
        "end_date": [dt.date(2026, 12, 31), None],
        "updated_at": pd.to_datetime(["2026-01-05T10:00:00+08:00", None], utc=True),
        "extra": [decimal.Decimal("1E-7"), True]})
    assert as_text(frame, ENTITIES["licenses"]).to_dict("records") == [
        {"license_id": "L1", "project_id": "P1", "product": "Suite", "seats": "10", "start_date": "2026-01-05",
         "end_date": "2026-12-31", "updated_at": "2026-01-05T02:00:00+00:00", "extra": "0.0000001"},
        {"license_id": "", "project_id": "P1", "product": "Suite", "seats": "", "start_date": "2026-01-05T12:00:00",
         "end_date": "", "updated_at": "", "extra": "true"}]


def test_timestamps_come_back_in_utc_whatever_the_session_time_zone(pg):
    url, schema, engine = pg
    shanghai = sa.make_url(url).update_query_dict({"options": "-c timezone=Asia/Shanghai"}).render_as_string(False)
    query = "select 'P1' as project_id, 'active' as status, date '2026-01-01' as start_date, " \
            "date '2026-02-01' as planned_end_date, 1 as budget_cost, timestamptz '2026-01-01 10:00:00+08' as updated_at"
    frame = read_sql(None, sql_source({"url": shanghai, "entities": {"projects": query}}), "projects")
    assert frame.loc[0, "updated_at"] == "2026-01-01T02:00:00+00:00"


# --- chunks and errors -----------------------------------------------------------------------------

def test_chunks_give_every_row_once(pg, monkeypatch):
    url, schema, engine = pg
    milestones(engine, schema, 5)
    sizes = []
    real = Database.chunks

    def chunks(db, *args):
        for chunk in real(db, *args):
            sizes.append(len(chunk))
            yield chunk

    monkeypatch.setattr(Database, "chunks", chunks)
    frame = read_sql(None, sql_source({"url": url, "entities": {"milestones": f"{schema}.milestones"}, "chunk_size": 2}),
                     "milestones")
    assert sizes == [2, 2, 1]
    assert sorted(frame["milestone_id"]) == ["M1", "M2", "M3", "M4", "M5"]


@pytest.mark.parametrize("how", ["table", "query"])
def test_a_missing_required_column_names_the_entity_the_query_and_the_column(pg, how):
    url, schema, engine = pg
    create_table(engine, f"{schema}.projects", [c for c in PROJECT_COLUMNS if c[0] != "status"])
    spec = f"{schema}.projects" if how == "table" else f"select * from {schema}.projects"
    with pytest.raises(SourceError, match=rf"sql projects \({how} .*{schema}\.projects.*\): missing required column "
                                          r"'status' \(entity projects\)"):
        read_sql(None, sql_source({"url": url, "entities": {"projects": spec}}), "projects")


def test_a_query_the_database_rejects_fails_at_once_with_its_reason(pg):
    url, schema, engine = pg
    waits = []
    with pytest.raises(SourceError, match=rf'sql projects \(table {schema}\.nowhere .*\): the query failed: '
                                          r'relation .* does not exist') as info:
        read_sql(None, sql_source({"url": url, "entities": {"projects": f"{schema}.nowhere"}}), "projects",
                 sleep=waits.append)
    assert waits == [] and "[SQL:" not in str(info.value)  # not retried; the database's words, not SQLAlchemy's


def test_config_errors_name_the_setting():
    with pytest.raises(SettingsError, match="sources.sql: incremental: usage has no updated_at"):
        sql_source({"url": "sqlite://", "entities": {"usage": "usage"}, "incremental": ["usage"]})
    with pytest.raises(SettingsError, match="sources.sql: incremental: projects is not one of sources.sql.entities"):
        sql_source({"url": "sqlite://", "entities": {"usage": "usage"}, "incremental": ["projects"]})
    with pytest.raises(SettingsError, match="sources.sql.chunk_size: 0: input should be greater than or equal to 1"):
        sql_source({"url": "sqlite://", "entities": {"usage": "usage"}, "chunk_size": 0})
    with pytest.raises(SettingsError, match="sources.sql.url: required setting missing"):
        sql_source({"entities": {"usage": "usage"}})


# --- incremental -------------------------------------------------------------------------------------

def test_first_sync_lands_all_then_only_what_changed(pg, wh, monkeypatch):
    url, schema, engine = pg
    milestones(engine, schema, 5)
    conf = incremental(url, schema)
    first = sync_sql(wh, conf, ["milestones"])
    assert [(s.stream, s.mode, s.landed, s.removed) for s in first] == [("milestones", "full", 5, 0)]
    assert landed_ids(wh) == ["M1", "M2", "M3", "M4", "M5"]
    assert landing.cursor(wh, "sql", "milestones") == DAY + dt.timedelta(days=5)

    later = DAY + dt.timedelta(days=6)
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {schema}.milestones SET name = 'renamed', updated_at = :t WHERE milestone_id = 'M2'"),
                     {"t": later})
    insert(engine, f"{schema}.milestones", MILESTONE_COLUMNS, [
        {"milestone_id": "M6", "project_id": "P1", "phase": "acceptance", "due_date": "2026-04-01",
         "updated_at": (later + dt.timedelta(hours=1)).isoformat()}])
    read = spy_on_landing(monkeypatch)
    [second] = sync_sql(wh, conf, ["milestones"])
    # M5 sits at the cursor and is read again (cursor − margin ≤ it): harmless, it is an upsert
    assert (second.mode, sorted(read)) == ("incremental", ["M2", "M5", "M6"])
    assert landed_ids(wh) == ["M1", "M2", "M3", "M4", "M5", "M6"]  # upserted: no duplicates
    assert second.cursor == landing.cursor(wh, "sql", "milestones") == later + dt.timedelta(hours=1)

    frame = read_sql(wh, conf, "milestones")  # extract reads what is landed
    assert len(frame) == 6 and frame.set_index("milestone_id").loc["M2", "name"] == "renamed"
    assert frame.loc[0].to_dict() == {"milestone_id": "M1", "project_id": "P1", "name": "step 1",
                                      "phase": "implementation", "due_date": "2026-03-01", "completed_date": "",
                                      "updated_at": "2026-01-02T09:00:00+00:00"}
    assert frame.attrs["source"] == "SQL milestones"


def test_a_row_committed_late_with_an_older_updated_at_is_caught_by_the_margin(pg, wh, monkeypatch):
    url, schema, engine = pg
    milestones(engine, schema, 3)
    sync_sql(wh, incremental(url, schema), ["milestones"])
    cursor = landing.cursor(wh, "sql", "milestones")
    # a transaction that stamped its row 5 minutes before the cursor but committed after the sync read
    late = {"project_id": "P1", "phase": "presales", "due_date": "2026-05-01",
            "updated_at": (cursor - dt.timedelta(minutes=5)).isoformat()}
    insert(engine, f"{schema}.milestones", MILESTONE_COLUMNS, [{"milestone_id": "LATE", **late}])
    sync_sql(wh, incremental(url, schema, safety_margin_minutes=10), ["milestones"])
    assert "LATE" in landed_ids(wh)
    # without a margin the same kind of row would be lost: the reason the margin exists
    insert(engine, f"{schema}.milestones", MILESTONE_COLUMNS, [{"milestone_id": "LOST", **late}])
    sync_sql(wh, incremental(url, schema, safety_margin_minutes=0), ["milestones"])
    assert "LOST" not in landed_ids(wh)


def test_full_refresh_removes_rows_deleted_at_the_source(pg, wh):
    url, schema, engine = pg
    milestones(engine, schema, 4)
    conf = incremental(url, schema)
    sync_sql(wh, conf, ["milestones"])
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM {schema}.milestones WHERE milestone_id = 'M3'")
    sync_sql(wh, conf, ["milestones"])
    assert "M3" in landed_ids(wh)  # an incremental read cannot see a deletion
    [refresh] = sync_sql(wh, conf, ["milestones"], full_refresh=True)
    assert (refresh.mode, refresh.landed, refresh.removed) == ("full", 3, 1)
    assert landed_ids(wh) == ["M1", "M2", "M4"]
    assert refresh.cursor == DAY + dt.timedelta(days=4)


def test_incremental_on_a_timestamp_without_time_zone_in_a_non_utc_session(pg, wh):
    """Naive timestamps are UTC: the session is set to UTC so PostgreSQL compares them as such."""
    url, schema, engine = pg
    columns = [(c, "timestamp" if c == "updated_at" else t) for c, t in MILESTONE_COLUMNS]
    create_table(engine, f"{schema}.milestones", columns)
    row = {"project_id": "P1", "phase": "presales", "due_date": "2026-05-01"}
    insert(engine, f"{schema}.milestones", columns, [{"milestone_id": "M1", **row, "updated_at": "2026-01-01T10:00:00"}])
    shanghai = sa.make_url(url).update_query_dict({"options": "-c timezone=Asia/Shanghai"}).render_as_string(False)
    conf = incremental(shanghai, schema)
    sync_sql(wh, conf, ["milestones"])
    assert landing.cursor(wh, "sql", "milestones") == dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
    insert(engine, f"{schema}.milestones", columns, [{"milestone_id": "M2", **row, "updated_at": "2026-01-01T11:00:00"}])
    [second] = sync_sql(wh, conf, ["milestones"])
    assert landed_ids(wh) == ["M1", "M2"] and second.landed == 2


def test_a_key_listed_twice_lands_once_with_the_latest_updated_at(pg, wh):
    url, schema, engine = pg
    milestones(engine, schema, 2)
    query = f"""select milestone_id, project_id, name, phase, due_date, completed_date, updated_at from {schema}.milestones
                union all select 'M1', 'P1', 'older copy', 'presales', date '2026-03-01', null,
                                 timestamptz '2025-01-01 00:00:00+00'"""
    conf = sql_source({"url": url, "entities": {"milestones": query}, "incremental": ["milestones"], "chunk_size": 1})
    sync_sql(wh, conf, ["milestones"])
    rows = landing.read_landed(wh, "sql", "milestones")
    assert rows["id"].tolist() == ["M1", "M2"] and rows["payload"][0]["name"] == "step 1"


def test_repeated_keys_across_chunks_keep_the_latest_and_on_a_tie_the_last_row(tmp_path, wh, caplog):
    path = tmp_path / "projects.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE m (seq INTEGER, milestone_id TEXT, project_id TEXT, phase TEXT, due_date TEXT, "
                   "name TEXT, updated_at TEXT)")
        db.executemany("INSERT INTO m VALUES (?, ?, 'P1', 'presales', '2026-02-01', ?, ?)", [
            (1, "M1", "first", "2026-01-01T00:00:00Z"), (2, "M2", "only", "2026-01-01T00:00:00Z"),
            (3, "M1", "newer", "2026-01-03T00:00:00Z"), (4, "M1", "stale", "2026-01-02T00:00:00Z"),
            (5, "M1", "same time, later row", "2026-01-03T00:00:00Z"), (6, "M3", "no time", "")])
    query = "select milestone_id, project_id, phase, due_date, name, updated_at from m order by seq"
    conf = sql_source({"url": f"sqlite:///{path}", "entities": {"milestones": query}, "incremental": ["milestones"],
                       "chunk_size": 2})
    with caplog.at_level(logging.WARNING, logger=SQL_LOGGER):
        [result] = sync_sql(wh, conf, ["milestones"])
    rows = landing.read_landed(wh, "sql", "milestones").set_index("id")
    assert rows["payload"].map(lambda p: p["name"]).to_dict() == {"M1": "same time, later row", "M2": "only",
                                                                  "M3": "no time"}
    assert pd.isna(rows.loc["M3", "modified_at"])  # an unreadable updated_at lands; staging reports it
    assert (result.landed, result.cursor) == (5, dt.datetime(2026, 1, 3, tzinfo=dt.UTC))  # the stale row is not landed
    assert "3 rows repeat a key read before" in caplog.text


# --- dropped connections and failing databases -------------------------------------------------------

def test_a_connection_dropped_during_a_read_is_retried(pg, monkeypatch, caplog):
    url, schema, engine = pg
    milestones(engine, schema, 5)
    calls = []
    real = pd.read_sql

    def killed_the_first_time(statement, conn, **kw):
        calls.append(1)
        if len(calls) == 1:  # the server ends this session (a restart, an administrator, a network drop)
            pid = conn.exec_driver_sql("select pg_backend_pid()").scalar()
            with engine.connect() as admin:
                admin.exec_driver_sql(f"select pg_terminate_backend({pid})")
        return real(statement, conn, **kw)

    monkeypatch.setattr(pd, "read_sql", killed_the_first_time)
    with caplog.at_level(logging.WARNING, logger=SQL_LOGGER):
        frame = read_sql(None, sql_source({"url": url, "entities": {"milestones": f"{schema}.milestones"}}), "milestones",
                         sleep=no_wait)
    assert len(calls) == 2 and sorted(frame["milestone_id"]) == ["M1", "M2", "M3", "M4", "M5"]
    assert "attempt 1 of 3 failed" in caplog.text


def test_a_connection_dropped_midway_through_a_sync_loses_and_duplicates_nothing(pg, wh, monkeypatch, caplog):
    url, schema, engine = pg
    milestones(engine, schema, 5)
    app = f"opsmetrics_test_{schema}"
    conf = incremental(sa.make_url(url).update_query_dict({"application_name": app}).render_as_string(False), schema)
    landed_chunks = []
    real = landing.land_page

    def land_page(wh_, source, stream, records):
        n = real(wh_, source, stream, records)
        landed_chunks.append(n)
        if len(landed_chunks) == 1:  # the first chunk is landed: now the source database drops us
            with engine.connect() as admin:
                admin.execute(sa.text("select pg_terminate_backend(pid) from pg_stat_activity "
                                      "where application_name = :app"), {"app": app})
        return n

    monkeypatch.setattr(landing, "land_page", land_page)
    with caplog.at_level(logging.WARNING, logger=SQL_LOGGER):
        [result] = sync_sql(wh, conf, ["milestones"], sleep=no_wait)
    assert "attempt 1 of 3 failed" in caplog.text
    assert result.landed == 5 and landed_ids(wh) == ["M1", "M2", "M3", "M4", "M5"]
    assert result.cursor == DAY + dt.timedelta(days=5)


def test_a_database_that_stays_down_gives_a_clear_error_without_the_password(caplog):
    waits = []
    url = f"postgresql+psycopg://ops:{PASSWORD.replace('/', '%2F')}@127.0.0.1:1/projects"
    with caplog.at_level(logging.WARNING, logger=SQL_LOGGER), pytest.raises(SourceError) as info:
        read_sql(None, sql_source({"url": url, "entities": {"projects": "pm.projects"}}), "projects", sleep=waits.append)
    message = str(info.value)
    assert message.startswith("sql projects (table pm.projects on postgresql+psycopg://ops:***@127.0.0.1:1/projects")
    assert "could not be read (3 attempts" in message and "Connection refused" in message
    assert waits == [BACKOFF_SECONDS, 2 * BACKOFF_SECONDS]
    for text in (message, caplog.text, repr(info.value)):
        assert PASSWORD not in text and "S3cr%2Ft" not in text
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no chained error carrying the URL


def test_an_env_url_is_read_from_the_environment_and_never_shown(pg, monkeypatch):
    url, schema, engine = pg
    milestones(engine, schema, 2)
    monkeypatch.setenv("PROJECT_DB_URL", url)
    conf = sql_source({"url": "env:PROJECT_DB_URL", "entities": {"milestones": f"{schema}.milestones"}})
    assert len(read_sql(None, conf, "milestones")) == 2

    monkeypatch.setenv("PROJECT_DB_URL", with_password(url, sslpassword="also-secret").replace(
        f"/{sa.make_url(url).database}", "/no_such_database"))
    with pytest.raises(SourceError, match="from environment variable PROJECT_DB_URL") as info:
        read_sql(None, conf, "milestones", sleep=no_wait)
    assert PASSWORD not in str(info.value) and "also-secret" not in str(info.value)
    assert "no_such_database" in str(info.value)


def test_an_unparsable_url_is_not_repeated_in_the_error():
    with pytest.raises(SourceError, match=r"sources.sql.url \(sources.sql.url\): not a valid SQLAlchemy URL") as info:
        read_sql(None, sql_source({"url": f"postgresql://ops:{PASSWORD}@host:port/db", "entities": {"projects": "p"}}),
                 "projects")
    assert PASSWORD not in str(info.value)
    with pytest.raises(CredentialError, match="sources.sql.url: environment variable NOT_SET_ANYWHERE is not set"):
        read_sql(None, sql_source({"url": "env:NOT_SET_ANYWHERE", "entities": {"projects": "p"}}), "projects")


# --- SQLite as the source, and the dispatch --------------------------------------------------------

def test_a_sqlite_source(tmp_path, wh):
    path = tmp_path / "projects.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE milestones (milestone_id TEXT, project_id TEXT, name TEXT, phase TEXT, "
                   "due_date TEXT, completed_date TEXT, updated_at TEXT, seats INTEGER)")
        db.executemany("INSERT INTO milestones VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            ("M1", "P1", "Kick-off", "presales", "2026-02-01", None, "2026-01-01T10:00:00+08:00", 3),
            ("M2", "P1", None, "acceptance", "2026-03-01", "2026-03-02", "2026-01-02T00:00:00Z", None)])
    conf = {"url": f"sqlite:///{path}", "entities": {"milestones": "milestones"}}
    frame = read_sql(None, sql_source(conf), "milestones")
    assert frame.to_dict("records")[1] == {"milestone_id": "M2", "project_id": "P1", "name": "", "phase": "acceptance",
                                           "due_date": "2026-03-01", "completed_date": "2026-03-02",
                                           "updated_at": "2026-01-02T00:00:00Z"}

    conf = sql_source({**conf, "incremental": ["milestones"]})
    sync_sql(wh, conf, ["milestones"])
    assert landing.cursor(wh, "sql", "milestones") == dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    with sqlite3.connect(path) as db:  # offsets differ in the text: compared as instants
        db.execute("UPDATE milestones SET name = 'Go', updated_at = '2026-01-02T08:30:00+08:00' WHERE milestone_id = 'M1'")
        db.execute("INSERT INTO milestones VALUES ('M3', 'P1', 'x', 'presales', '2026-04-01', NULL, "
                   "'2026-01-01T23:00:00Z', NULL)")  # older than the cursor − margin: not read
    [second] = sync_sql(wh, conf, ["milestones"])
    assert second.landed == 2 and landed_ids(wh) == ["M1", "M2"]
    assert landing.read_landed(wh, "sql", "milestones")["payload"][0]["name"] == "Go"


def test_the_dispatch_reads_and_syncs_sql_entities(pg, wh, tmp_path):
    url, schema, engine = pg
    create_table(engine, f"{schema}.projects", PROJECT_COLUMNS, PROJECTS_CSV)
    milestones(engine, schema, 3)
    conf = {"url": url, "entities": {"projects": f"{schema}.projects", "milestones": f"{schema}.milestones"},
            "incremental": ["milestones"]}
    settings = parse_settings({"sources": {"files": {"path": str(tmp_path)}, "sql": conf}})
    done = sync_sources(settings, wh)
    assert [(s.stream, s.landed) for s in done["sql"]] == [("milestones", 3)]
    assert len(read_entity(settings, "projects", wh)) == 3
    assert read_entity(settings, "milestones", wh)["milestone_id"].tolist() == ["M1", "M2", "M3"]
    with pytest.raises(SourceError, match=r"leads\.csv: file not found"):  # the rest still comes from the files
        read_entity(settings, "leads", wh)
