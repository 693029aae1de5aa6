"""The backfill deployment on a real Prefect server with two process workers, triggered through
the API exactly as the UI's custom run form does: every date published once, both workers used,
the sources staged once by the parent and read from its snapshot by every chunk, progress shown
while the chunks run."""
from __future__ import annotations

import datetime as dt
import json
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
        "options": {"source_dir": str(tmp_path / "drop"), "warehouse": url, "snapshot_dir": str(tmp_path / "snaps")}})
    run = stack.wait(run_id)
    assert run["state"]["type"] == "COMPLETED", f"{run['state']}; logs in {stack.home}"
    engine = sa.create_engine(url)
    ledger = pd.read_sql("SELECT * FROM partition_runs", engine)
    portfolio = pd.read_sql("SELECT as_of_date FROM portfolio_daily", engine)
    effort_rows = pd.read_sql("SELECT count(*) AS n FROM effort_weekly", engine)["n"].iloc[0]
    engine.dispose()
    assert len(ledger) == 20 and ledger["as_of_date"].is_unique and set(ledger["status"]) == {"published"}
    assert set(ledger["worker"]) == {"w1", "w2"}, "both workers should have taken chunks"
    assert len(ledger["run_id"].unique()) == 4  # four chunks of five dates, each its own flow run
    assert len(portfolio) == 20 and portfolio["as_of_date"].is_unique

    # staged once: the parent wrote the snapshot, every chunk read it (and none staged), then it was removed
    parent_log = logs(stack, [run_id], waiting_for=f"review pack as of {END}: ")
    assert any("snapshot" in m and "written to" in m for m in parent_log), parent_log
    for chunk in ledger["run_id"].unique():
        chunk_log = logs(stack, [chunk])
        assert any("staged sources read from snapshot" in m for m in chunk_log), chunk_log
        assert not any(m.startswith(("stage leads:", "extract leads:")) for m in chunk_log), chunk_log
    assert list((tmp_path / "snaps").iterdir()) == []  # removed at the end
    # effort_weekly (not by as-of date) computed and written by the first chunk only: from one
    # snapshot every chunk would have written the same table
    first_chunk = ledger.loc[ledger["as_of_date"] == ledger["as_of_date"].min(), "run_id"].iloc[0]
    wrote_effort = {c for c in ledger["run_id"].unique()
                    if any(m.startswith("compute effort_weekly:") for m in logs(stack, [c]))}
    assert wrote_effort == {first_chunk} and effort_rows > 0, (wrote_effort, first_chunk, effort_rows)
    # one review pack, as of the last date, written by the parent once every chunk had published
    assert any(m.startswith(f"review pack as of {END}: ") for m in parent_log), parent_log
    assert {a["key"] for a in artifacts(stack, run_id, "table")} == {"opsmetrics-backfill-dates",
                                                                     "opsmetrics-headline-changes"}
    assert not any(m.startswith("review pack") for chunk in ledger["run_id"].unique() for m in logs(stack, [chunk]))

    # progress while the chunks run: a line per chunk, the progress artifact at 100 %, the date grid
    lines = [m for m in parent_log if m.startswith("chunk ")]
    assert len(lines) == 4 and all(": Completed, flow run " in m and " on worker w" in m for m in lines), lines
    progress = artifacts(stack, run_id, "progress")
    assert [a["data"] for a in progress] == [100.0], progress
    assert progress[0]["description"].startswith("4 of 4 chunks ended (20 of 20 dates)")
    (grid,) = [a for a in artifacts(stack, run_id, "table") if a["key"] == "opsmetrics-backfill-dates"]
    rows = json.loads(grid["data"]) if isinstance(grid["data"], str) else grid["data"]
    assert [r["as_of_date"] for r in rows] == [str(start + dt.timedelta(days=i)) for i in range(20)]
    assert {r["state"] for r in rows} == {"Completed"} and {r["worker"] for r in rows} == {"worker w1", "worker w2"}
    assert rows[0]["chunk"] == f"1/4 ({start} … {start + dt.timedelta(days=4)})"
    assert grid["description"].endswith("to rerun with only_failed: none")
    (rerun,) = [a for a in artifacts(stack, run_id, "markdown") if a["key"] == "opsmetrics-backfill-rerun"]
    assert rerun["data"] == "Dates to rerun with `only_failed`: none"


def test_a_chunk_handed_a_snapshot_of_other_sources_fails_without_publishing(stack, tmp_path):
    """A chunk recomputes the fingerprint from the sources it sees; one that differs from the
    parent's (here: made up) fails with a one-line reason, and nothing is published."""
    generate(tmp_path / "drop", scale=0.01, seed=5, end_date=END)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    run_id = stack.run_deployment("backfill_chunk/backfill-chunk", {
        "start_date": "2026-02-27", "end_date": END.isoformat(),
        "options": {"source_dir": str(tmp_path / "drop"), "warehouse": url},
        "snapshot": {"location": str(tmp_path / "snaps"), "fingerprint": "0" * 64}})
    run = stack.wait(run_id)
    assert run["state"]["type"] == "FAILED", run["state"]
    assert "not those the backfill staged (fingerprint 000000000000): nothing published" in run["state"]["message"]
    engine = sa.create_engine(url)
    assert pd.read_sql("SELECT count(*) n FROM portfolio_daily", engine).n[0] == 0
    log = pd.read_sql("SELECT status, message FROM run_log", engine)
    engine.dispose()
    assert log["status"].tolist() == ["failed"] and log["message"][0].startswith("snapshot: the sources or staging")


def logs(stack, flow_run_ids: list[str], waiting_for: str | None = None) -> list[str]:
    """Every log line of the flow runs, page by page (the API gives 200 at most per call). With
    `waiting_for`, until a line starts with it (30 s at most): a flow run's last lines are shipped
    by a background thread and may reach the server after its final state."""
    deadline = time.monotonic() + 30
    while True:
        messages, offset = [], 0
        while True:
            body = {"logs": {"flow_run_id": {"any_": flow_run_ids}}, "sort": "TIMESTAMP_ASC", "limit": 200,
                    "offset": offset}
            page = [r["message"] for r in requests.post(f"{stack.api}/logs/filter", json=body, timeout=10).json()]
            messages += page
            offset += len(page)
            if len(page) < 200:
                break
        if waiting_for is None or any(m.startswith(waiting_for) for m in messages) or time.monotonic() > deadline:
            return messages
        time.sleep(1)


def artifacts(stack, flow_run_id: str, kind: str) -> list[dict]:
    body = {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}, "type": {"any_": [kind]}}}
    return requests.post(f"{stack.api}/artifacts/filter", json=body, timeout=10).json()


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
