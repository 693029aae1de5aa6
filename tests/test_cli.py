"""`opsmetrics` end to end, as a user runs it: generated data → the CLI → the warehouse.

The CLI runs as a subprocess pointed at the session's temporary Prefect server (PREFECT_API_URL),
so each call skips starting a server of its own.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from pgserver import drop_schema, new_schema, require_pg

from opsmetrics.sample import build, generate
from schemas.tables import MARTS

END = dt.date(2026, 3, 1)
SCALE = 0.05


def cli(*args: str, api: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREFECT_API_URL": api, "OPSMETRICS_WAREHOUSE": ""}
    return subprocess.run([sys.executable, "-m", "opsmetrics.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def tables(url: str, schema: str | None = None) -> dict[str, pd.DataFrame]:
    engine = sa.create_engine(url)
    try:
        names = sa.inspect(engine).get_table_names(schema=schema)
        return {n: pd.read_sql_table(n, engine, schema=schema) for n in names}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def drop(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("drop")
    generate(out, scale=SCALE, seed=3, end_date=END)
    return out


def test_generate_command_writes_every_entity(tmp_path, prefect_api):
    done = cli("generate", "--out", str(tmp_path / "g"), "--scale", "0.01", "--end-date", "2026-03-01",
               api=prefect_api, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == sorted(
        f"{e}.csv" for e in ("leads", "deals", "marketing_spend", "projects", "milestones", "licenses", "usage",
                             "rate_card", "time_entries", "expenses", "feedback", "targets", "review_notes"))


@pytest.fixture
def told(tmp_path, monkeypatch):
    """A configuration whose notify: posts to a webhook started here (its URL, the secret, in the
    environment the CLI inherits); yields the configuration file and the receiver."""
    from notify.receivers import Receiver

    hook = Receiver()
    monkeypatch.setenv("OPS_HOOK_URL", f"{hook.base}/hook/planted-SECRET-token-0123")
    config = tmp_path / "opsmetrics.yaml"
    config.write_text("notify:\n  chat: [{kind: webhook, url: env:OPS_HOOK_URL}]\n")
    yield config, hook
    hook.stop()


def test_run_publishes_every_table_and_quarantines_what_was_injected(drop, tmp_path, prefect_api, told):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    config, hook = told
    done = cli("run", "--config", str(config), "--source-dir", str(drop), "--warehouse", url, "--as-of", str(END),
               api=prefect_api, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    # the team is told: the run, its pack, its signals and red projects (notify: in the configuration)
    [message] = [r.json for r in hook.received]
    assert message["title"] == f"opsmetrics: nightly refresh completed, as of {END}"
    assert f"review-{END}.html" in message["message"] and "Red projects" in message["message"]
    assert "planted-SECRET" not in done.stdout + done.stderr + message["message"]
    t = tables(url)
    assert set(t) >= {"portfolio_daily", "project_daily", "funnel_by_channel_daily", "campaign_daily",
                      "segment_daily", "review_changes", "effort_weekly", "quarantine", "run_log"}
    assert len(t["portfolio_daily"]) == 1 and len(t["funnel_by_channel_daily"]) == 8
    # one date: a review_changes row per portfolio metric (41), a review_signals row per analysed one (18)
    assert len(t["project_daily"]) > 0 and len(t["review_changes"]) == 41 and len(t["campaign_daily"]) > 8
    assert len(t["review_signals"]) == 18
    assert t["portfolio_daily"]["feedback_responses_90d"].iloc[0] > 0
    # exactly the rows the generator broke are quarantined, no more, no fewer
    manifest = build(scale=SCALE, seed=3, end_date=END).manifest
    expected = manifest[manifest["expect"] == "quarantined"]
    assert set(zip(t["quarantine"]["entity"], t["quarantine"]["record_id"], strict=True)) == set(zip(expected["entity"],
                                                                                      expected["key"], strict=True))
    assert list(t["run_log"]["status"]) == ["completed"]


def test_backfill_twice_leaves_one_set_of_rows_per_date(drop, tmp_path, prefect_api):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    for _ in range(2):
        done = cli("backfill", "--source-dir", str(drop), "--warehouse", url, "--start", "2026-02-01",
                   "--end", str(END), api=prefect_api, cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-3000:]
    t = tables(url)
    for name in ("portfolio_daily", "project_daily", "funnel_by_channel_daily", "segment_daily", "review_changes"):
        frame = t[name]
        assert frame["as_of_date"].nunique() == 29, name
        key = [c for c in frame.columns if c in ("as_of_date", "project_id", "channel", "dimension", "segment", "metric")]
        assert not frame.duplicated(subset=key).any(), name
    assert list(t["run_log"]["status"]) == ["completed", "completed"]


def test_failure_exits_1_with_the_reason_last_on_stderr(drop, tmp_path, prefect_api, told):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in drop.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    deals = pd.read_csv(broken / "deals.csv", dtype=str, keep_default_na=False).drop(columns="stage")
    deals.to_csv(broken / "deals.csv", index=False)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    config, hook = told
    done = cli("run", "--config", str(config), "--source-dir", str(broken), "--warehouse", url, "--as-of", str(END),
               api=prefect_api, cwd=tmp_path)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"opsmetrics run failed: {broken / 'deals.csv'}: missing required column 'stage' (entity deals)"
    # the team is told the same reason
    [message] = [r.json for r in hook.received]
    assert message["title"] == f"opsmetrics: nightly refresh FAILED, as of {END}"
    assert f"Reason: {broken / 'deals.csv'}: missing required column 'stage' (entity deals)" in message["message"]
    log = tables(url)["run_log"]
    assert list(log["status"]) == ["failed"] and "missing required column 'stage'" in log["message"][0]


def test_bad_date_is_refused_before_anything_runs(tmp_path):
    done = subprocess.run([sys.executable, "-m", "opsmetrics.cli", "run", "--as-of", "yesterday"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and "'yesterday' is not a date" in done.stderr


def test_postgresql_warehouse_gets_the_same_rows_as_sqlite(drop, tmp_path, prefect_api):
    pg = require_pg()
    schema = new_schema()
    config = tmp_path / "opsmetrics.yaml"
    config.write_text(f"warehouse_schema: {schema}\n")
    sqlite = f"sqlite:///{tmp_path / 'w.db'}"
    try:
        for url in (sqlite, pg):
            done = cli("backfill", "--config", str(config), "--source-dir", str(drop), "--warehouse", url,
                       "--start", "2026-02-25", "--end", str(END), api=prefect_api, cwd=tmp_path)
            assert done.returncode == 0, done.stderr[-3000:]
        lite, post = tables(sqlite), tables(pg, schema)
        for name, table in MARTS.items():
            a, b = (t[name].sort_values(list(table.key), ignore_index=True) for t in (lite, post))
            for frame in (a, b):  # SQLite gives dates back as timestamps, PostgreSQL as dates
                for col in [c.name for c in table.columns if c.type == "date"]:
                    frame[col] = pd.to_datetime(frame[col]).dt.date
            pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, rtol=1e-12, obj=name)
    finally:
        drop_schema(pg, schema)


def test_status_shows_published_ranges_failed_dates_and_the_last_runs(tmp_path):
    """`status` reads the ledger and the run log; no Prefect needed (the pipeline runs in-process)."""
    import logging

    from builders import dataset

    from schemas.config import Settings
    from tasks import pipeline

    drop = tmp_path / "drop"
    drop.mkdir()
    for name, frame in dataset(leads=[{"lead_id": f"L{i}"} for i in range(30)]).items():
        frame.to_csv(drop / f"{name}.csv", index=False)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    settings = Settings(sources={"files": {"path": str(drop)}}, warehouse=url)
    wh = pipeline.open_warehouse(settings)
    log = logging.getLogger("test-status")
    pipeline.backfill(settings, dt.date(2026, 2, 1), dt.date(2026, 2, 5), warehouse=wh, log=log, run_id="b1")
    pipeline.backfill(settings, dt.date(2026, 2, 8), dt.date(2026, 2, 9), warehouse=wh, log=log, run_id="b2")
    (drop / "deals.csv").unlink()  # the next run cannot read its sources
    failed = pipeline.run(settings, dt.date(2026, 2, 10), dt.date(2026, 2, 10), warehouse=wh, log=log, run_id="b3",
                          flow="backfill")
    wh.dispose()
    done = subprocess.run([sys.executable, "-m", "opsmetrics.cli", "status", "--warehouse", url], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # two runs of consecutive dates, 02-01 … 02-05 (5 dates) and 02-08 … 02-09 (2 dates)
    assert "backfill         2026-02-01 … 2026-02-05  (5 dates)" in out
    assert "backfill         2026-02-08 … 2026-02-09  (2 dates)" in out
    assert "backfill         2026-02-10  run b3" in out
    assert f"failed    {failed.message}" in out and "Last 3 runs:" in out


def test_version_and_help_tell_what_the_cli_reads(tmp_path):
    done = subprocess.run([sys.executable, "-m", "opsmetrics.cli", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "opsmetrics 0.1.0"
    done = subprocess.run([sys.executable, "-m", "opsmetrics.cli", "--help"], capture_output=True, text=True)
    for name in ("OPSMETRICS_CONFIG", "OPSMETRICS_WAREHOUSE", "PREFECT_API_URL", "check-config", "status"):
        assert name in done.stdout, name
    done = subprocess.run([sys.executable, "-m", "opsmetrics.cli", "run", "--help"], capture_output=True, text=True)
    assert "every night missed" in " ".join(done.stdout.split())


def test_an_as_of_date_after_today_is_refused_before_anything_is_imported_unless_allowed(tmp_path):
    """`--as-of 2030-01-01` (a typo) was published; portfolio_latest showed 2030 and the next nightly
    run skipped its missed nights. The same for a backfill's --end. In-process (no PREFECT_API_URL)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "OPSMETRICS_CONFIG")}
    env["OPSMETRICS_WAREHOUSE"] = ""
    db = tmp_path / "w.db"

    def opsmetrics(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-X", "importtime", "-m", "opsmetrics.cli", *args, "--warehouse",
                               f"sqlite:///{db}", "--source-dir", str(tmp_path / "nowhere")], capture_output=True,
                              text=True, cwd=tmp_path, env=env, timeout=300)

    today = dt.datetime.now(dt.UTC).date()
    for command, flag, args in [("run", "--as-of", ["--as-of", "2030-01-01"]),
                                ("backfill", "--end", ["--start", "2029-12-30", "--end", "2030-01-01"])]:
        done = opsmetrics(command, *args)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1
        assert lines[-1] == (f"opsmetrics {command} failed: {flag}: 2030-01-01 is after today ({today} in UTC); if "
                             "that date is meant, give --allow-future (run option allow_future)")
        imported = {line.split("|")[-1].strip() for line in lines if line.startswith("import time:")}
        assert not {"prefect", "great_expectations", "sqlalchemy"} & imported
    assert not db.exists()  # nothing ran
    # allowed: the run goes past the check, to the sources (which are not there) and its run_log row
    tomorrow = today + dt.timedelta(days=1)
    done = opsmetrics("run", "--as-of", str(tomorrow), "--allow-future")
    said = [line for line in done.stderr.strip().splitlines() if not line.startswith("import time:")]
    assert done.returncode == 1 and "leads.csv: file not found" in said[-1]
    log = tables(f"sqlite:///{db}")["run_log"]
    assert log[["status", "as_of_end"]].astype(str).values.tolist() == [["failed", str(tomorrow)]]
