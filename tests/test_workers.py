"""The backfill deployment on a real Prefect server with two process workers, triggered through
the API exactly as the UI's custom run form does: every date published once, both workers used."""
from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest
import requests
import sqlalchemy as sa
from prefect_stack import prefect_stack

from opsmetrics.sample import generate

END = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with prefect_stack(tmp_path_factory.mktemp("prefect-home")) as s:
        yield s


def test_backfill_deployment_spreads_chunks_over_both_workers(stack, tmp_path):
    generate(tmp_path / "drop", scale=0.02, seed=5, end_date=END)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    start = END - dt.timedelta(days=19)
    run_id = stack.run_deployment("backfill/backfill", {
        "start_date": start.isoformat(), "end_date": END.isoformat(), "chunk_days": 5,
        "options": {"source_dir": str(tmp_path / "drop"), "warehouse": url}})
    run = stack.wait(run_id)
    assert run["state"]["type"] == "COMPLETED", f"{run['state']}; logs in {stack.home}"
    engine = sa.create_engine(url)
    ledger = pd.read_sql("SELECT * FROM partition_runs", engine)
    portfolio = pd.read_sql("SELECT as_of_date FROM portfolio_daily", engine)
    engine.dispose()
    assert len(ledger) == 20 and ledger["as_of_date"].is_unique and set(ledger["status"]) == {"published"}
    assert set(ledger["worker"]) == {"w1", "w2"}, "both workers should have taken chunks"
    assert len(ledger["run_id"].unique()) == 4  # four chunks of five dates, each its own flow run
    assert len(portfolio) == 20 and portfolio["as_of_date"].is_unique


def test_the_nightly_cron_schedule_really_creates_runs(stack):
    """SQLAlchemy 2.1 once left cron deployments with no scheduled runs while everything else
    worked (shared/notes/prefect-pitfalls.md): check the scheduler fills the nightly schedule."""
    deadline = time.monotonic() + 90
    while not (runs := stack.flow_runs("nightly_refresh/nightly-refresh", "SCHEDULED")):
        assert time.monotonic() < deadline, f"no scheduled nightly runs after 90 s; see {stack.home / 'server.log'}"
        time.sleep(3)
    times = sorted(dt.datetime.fromisoformat(r["expected_start_time"]) for r in runs)
    assert all(t.astimezone(dt.UTC).time() == dt.time(2, 0) for t in times)  # 02:00 in the schedule's zone (UTC)
    assert len(times) >= 2 and times[1] - times[0] == dt.timedelta(days=1)


def test_the_server_refuses_a_warehouse_password_before_it_stores_the_run(stack):
    """The flows' parameter schema forbids a URL with a password, and the server enforces it when
    the UI (or the API) creates a run: the password never reaches Prefect's database."""
    dep = stack.deployment("backfill/backfill")
    before = len(stack.flow_runs("backfill/backfill"))
    secret = "planted-pw-9731"
    body = {"parameters": {"start_date": "2026-02-01", "end_date": "2026-02-02",
                           "options": {"warehouse": f"postgresql+psycopg://etl:{secret}@db/analytics"}},
            "state": {"type": "SCHEDULED", "name": "Scheduled"}}
    answer = requests.post(f"{stack.api}/deployments/{dep['id']}/create_flow_run", json=body, timeout=10)
    assert answer.status_code in (409, 422), answer.text
    assert len(stack.flow_runs("backfill/backfill")) == before
    assert secret.encode() not in (stack.home / "prefect.db").read_bytes()
