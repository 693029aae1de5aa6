"""Planted secrets never leave the process that uses them: a HubSpot token (the fake of
tests/fakes) and a database password (a PostgreSQL role with a password, whose URL is the SQL
source's and the warehouse's, both given as `env:`). The flows run on a temporary Prefect server,
successful and failing (a refused token, a source database that does not exist, a warehouse that
cannot be reached), and once through the CLI; then neither secret may appear in stdout or stderr
(of this process, the server's and the CLI's), in any logging record, in Prefect's artifacts, in any
warehouse table (landing included), or anywhere in the bytes of Prefect's database or result store.
"""
from __future__ import annotations

import datetime as dt
import logging
import subprocess
import uuid
from pathlib import Path

import pandas as pd
import pytest
import requests
import sqlalchemy as sa
from fakes.hubspot import FakeHubSpot
from pgserver import require_pg

from reliability.sources import PROJECT, load_account, write_drop
from reliability.support import ROOT, child_env
from schemas.sources import ENTITIES
from tasks.warehouse.connect import landing_schema

pytestmark = pytest.mark.reliability

TOKEN = "pat-na1-reliab-planted-token-9f8e7d6c"
PASSWORD = "Reliab1lityPlantedDbPw4c5d"
SECRETS = {"token": TOKEN, "reversed token": TOKEN[::-1], "password": PASSWORD}
AS_OF = dt.date(2026, 3, 1)
ENV = {"token": "OPSMETRICS_REL_HUBSPOT_TOKEN", "source": "OPSMETRICS_REL_PROJECT_DB",
       "warehouse": "OPSMETRICS_REL_WAREHOUSE"}


class Records(logging.Handler):
    """Every record, formatted with its traceback if it has one."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record) + " " + repr(record.args))


@pytest.fixture
def pg_role():
    """A login role with the planted password that may create schemas in the test database, and a
    source schema with a projects table it may read; all dropped afterwards."""
    admin_url = require_pg()
    admin = sa.create_engine(admin_url)
    tag = uuid.uuid4().hex[:8]
    role, source, schema = f"rel_{tag}", f"rel_src_{tag}", f"rel_wh_{tag}"
    database = sa.make_url(admin_url).database
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
        conn.exec_driver_sql(f"GRANT CONNECT, CREATE ON DATABASE {database} TO {role}")
        conn.exec_driver_sql(f"CREATE SCHEMA {source}")
        columns = ", ".join(f"{c} text" for c in ENTITIES["projects"].names)
        conn.exec_driver_sql(f"CREATE TABLE {source}.projects ({columns})")
        row = {c: "" for c in ENTITIES["projects"].names} | {
            "status": "active", "start_date": "2026-01-01", "planned_end_date": "2026-06-30", "budget_cost": "10000",
            "updated_at": "2026-01-01T00:00:00Z"} | PROJECT
        conn.execute(sa.text(f"INSERT INTO {source}.projects VALUES ({', '.join(':' + c for c in row)})"), row)
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {source} TO {role}")
        conn.exec_driver_sql(f"GRANT SELECT ON {source}.projects TO {role}")
    url = sa.make_url(admin_url).set(username=role, password=PASSWORD).render_as_string(hide_password=False)
    yield url, source, schema
    with admin.begin() as conn:
        for s in (schema, landing_schema(schema), source):
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {s} CASCADE")
        conn.exec_driver_sql(f"DROP OWNED BY {role}")
        conn.exec_driver_sql(f"DROP ROLE {role}")
    admin.dispose()


def config(folder: Path, hubspot_url: str, source: str, schema: str) -> Path:
    path = folder / "opsmetrics.yaml"
    path.write_text(f"""
warehouse: env:{ENV['warehouse']}
warehouse_schema: {schema}
sources:
  files:
    path: {write_drop(folder / 'drop')}
  hubspot:
    base_url: {hubspot_url}
    token: env:{ENV['token']}
    entities: [leads, deals]
    max_attempts: 1
  sql:
    url: env:{ENV['source']}
    entities:
      projects: {source}.projects
    max_attempts: 1
""")
    return path


def warehouse_text(url: str, schema: str) -> str:
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return "\n".join(pd.read_sql_table(t, engine, schema=s).to_csv() for s in (schema, landing_schema(schema))
                         for t in inspector.get_table_names(schema=s))
    finally:
        engine.dispose()


def test_planted_secrets_appear_nowhere(pg_role, tmp_path, monkeypatch, capfd):
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_LOCAL_STORAGE_PATH,
        PREFECT_SERVER_DATABASE_CONNECTION_URL,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    from flows.nightly_refresh import nightly_refresh
    from schemas.config import RunOptions

    url, source, schema = pg_role
    good_url = url
    missing_db = sa.make_url(url).set(database="no_such_database").render_as_string(hide_password=False)
    unreachable = sa.make_url(url).set(port=1).render_as_string(hide_password=False)
    records = Records()
    loggers = [logging.getLogger(n) for n in ("", "prefect", "prefect.flow_runs", "prefect.task_runs", "opsmetrics")]
    for logger in loggers:
        logger.addHandler(records)
    monkeypatch.setenv(ENV["token"], TOKEN)
    monkeypatch.setenv(ENV["source"], good_url)
    monkeypatch.setenv(ENV["warehouse"], good_url)
    storage = tmp_path / "prefect-storage"
    outcomes, texts = {}, {}
    try:
        with FakeHubSpot(token=TOKEN) as fake, temporary_settings(updates={PREFECT_LOCAL_STORAGE_PATH: storage}), \
                prefect_test_harness(server_startup_timeout=120):
            load_account(fake)
            cfg = config(tmp_path, fake.url, source, schema)
            prefect_db = Path(sa.make_url(PREFECT_SERVER_DATABASE_CONNECTION_URL.value()).database).parent
            api = PREFECT_API_URL.value()

            def attempt(name: str, **env: str) -> None:
                for key, value in env.items():
                    monkeypatch.setenv(ENV[key], value)
                try:
                    result = nightly_refresh(as_of=AS_OF, options=RunOptions(config=str(cfg)))
                    outcomes[name] = f"{result.status}: {result.message}"
                except Exception as exc:  # noqa: BLE001 - the failure's text is checked too
                    outcomes[name] = f"raised {type(exc).__name__}: {exc}"
                finally:
                    monkeypatch.setenv(ENV["token"], TOKEN)
                    monkeypatch.setenv(ENV["source"], good_url)
                    monkeypatch.setenv(ENV["warehouse"], good_url)

            attempt("good")
            attempt("refused token", token=TOKEN[::-1])
            attempt("missing source database", source=missing_db)
            attempt("unreachable warehouse", warehouse=unreachable)
            cli = subprocess.run([str(ROOT / ".venv/bin/opsmetrics"), "run", "--config", str(cfg), "--as-of", str(AS_OF)],
                                 cwd=ROOT, capture_output=True, text=True, timeout=300,
                                 env=child_env(PREFECT_API_URL=api, **{ENV["token"]: TOKEN, ENV["source"]: missing_db,
                                                                       ENV["warehouse"]: good_url}))
            outcomes["cli"] = f"exit {cli.returncode}: {cli.stderr.strip().splitlines()[-1] if cli.stderr.strip() else ''}"
            texts["cli stdout"], texts["cli stderr"] = cli.stdout, cli.stderr
            for what in ("artifacts", "flow_runs", "task_runs", "logs"):
                texts[f"Prefect API {what}"] = requests.post(f"{api}/{what}/filter", json={}, timeout=30).text
            texts["Prefect API variables and blocks"] = (requests.post(f"{api}/variables/filter", json={}, timeout=30).text
                                                         + requests.post(f"{api}/block_documents/filter", json={},
                                                                         timeout=30).text)
        # the harness has drained its log and event workers and stopped the server: its database is whole
    finally:
        for logger in loggers:
            logger.removeHandler(records)

    assert outcomes["good"].startswith("completed"), outcomes
    assert "refused the token from environment variable OPSMETRICS_REL_HUBSPOT_TOKEN" in outcomes["refused token"]
    assert "no_such_database" in outcomes["missing source database"] and "***" in outcomes["missing source database"]
    assert outcomes["unreachable warehouse"].startswith("raised"), outcomes
    assert outcomes["cli"].startswith("exit 1: opsmetrics run failed:"), outcomes
    assert texts["Prefect API artifacts"].count("opsmetrics-run-summary") >= 3  # the runs that got as far as a summary

    out, err = capfd.readouterr()
    print("\n".join(f"{k}: {v}" for k, v in outcomes.items()))  # after reading: shown with -s
    texts |= {"stdout": out, "stderr": err, "log records": "\n".join(records.texts),
              "outcomes": "\n".join(outcomes.values()), "warehouse": warehouse_text(require_pg(), schema)}
    assert "refused the token" in texts["warehouse"]  # the failed runs' reasons are in run_log, without the secrets
    files = [p for folder in (prefect_db, storage) if folder.exists() for p in folder.rglob("*") if p.is_file()]
    assert any(p.name.startswith("prefect-test.db") for p in files), f"Prefect's database not found in {prefect_db}"
    # the places searched are the right ones: each holds the refused run's reason
    assert "refused the token" in texts["log records"]
    assert any(b"refused the token" in p.read_bytes() for p in files), "the failed run is not in Prefect's database"
    leaks = [f"the {secret} appears in the {place}" for place, text in texts.items()
             for secret, value in SECRETS.items() if value in text]
    leaks += [f"the {secret} appears in {p}" for p in files for secret, value in SECRETS.items()
              if value.encode() in p.read_bytes()]
    assert leaks == []
