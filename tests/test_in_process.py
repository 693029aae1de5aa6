"""Runs without a Prefect server (issue 24: no server thrown away): `opsmetrics run` and `backfill`
with PREFECT_API_URL unset go in-process (opsmetrics/local.py): no Prefect imported, the same
retries of I/O steps, the same run_log row, pack, message to the team, exit code and one-line
reason; a `secret:` reference still goes through the flows."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from opsmetrics.local import UI_HINT, in_process
from opsmetrics.sample import generate
from schemas.config import Settings
from tasks.pipeline import RETRY_DELAYS, retrying
from tasks.sources.base import SourceError

END = dt.date(2026, 3, 1)
# runs the CLI in a child and says, after it, whether Prefect was imported
PROBE = ("import sys; from opsmetrics.cli import main; rc = main(sys.argv[1:]); "
         "print('prefect imported:', 'prefect' in sys.modules); sys.exit(rc)")


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("PREFECT_API_URL", "OPSMETRICS_WAREHOUSE", "OPSMETRICS_REPORTS_DIR")}
    return subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env={**environment, **(env or {})},
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def drop(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("drop")
    generate(out, scale=0.02, seed=3, end_date=END)
    return out


def run_log(db: Path) -> pd.DataFrame:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        return pd.read_sql("SELECT run_id, flow, status, message FROM run_log ORDER BY started_at", engine)
    finally:
        engine.dispose()


def test_a_run_without_a_server_goes_in_process_and_imports_no_prefect(drop, tmp_path):
    done = cli("run", "--source-dir", str(drop), "--warehouse", f"sqlite:///{tmp_path / 'w.db'}",
               "--as-of", str(END), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "prefect imported: False" in done.stdout
    assert UI_HINT in done.stderr and "Starting temporary server" not in done.stderr
    log = run_log(tmp_path / "w.db")
    assert log[["flow", "status"]].values.tolist() == [["nightly_refresh", "completed"]]
    assert f"run {log['run_id'][0]}: completed, published 1 as-of date" in done.stdout
    assert (tmp_path / "reports" / f"review-{END}.html").is_file()  # the pack, as a flow run writes it


def test_a_failed_run_in_process_exits_1_with_its_reason_last_and_its_run_log_row(drop, tmp_path):
    done = cli("run", "--source-dir", str(tmp_path / "nowhere"), "--warehouse", f"sqlite:///{tmp_path / 'w.db'}",
               "--as-of", str(END), cwd=tmp_path)
    assert done.returncode == 1
    reason = f"{tmp_path / 'nowhere'}/leads.csv: file not found (nor leads.parquet); every entity needs a file"
    assert done.stderr.strip().splitlines()[-1] == f"opsmetrics run failed: {reason}"
    assert run_log(tmp_path / "w.db")[["status", "message"]].values.tolist() == [["failed", reason]]


def test_a_backfill_in_process_and_a_bad_range_refused_before_anything(drop, tmp_path):
    db = tmp_path / "w.db"
    done = cli("backfill", "--source-dir", str(drop), "--warehouse", f"sqlite:///{db}", "--start", "2026-02-27",
               "--end", str(END), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "prefect imported: False" in done.stdout and "backfill " in done.stdout
    assert run_log(db)[["flow", "status"]].values.tolist() == [["backfill", "completed"]]
    bad = cli("backfill", "--source-dir", str(drop), "--warehouse", f"sqlite:///{db}", "--start", str(END),
              "--end", "2026-02-27", cwd=tmp_path)
    assert bad.returncode == 1 and "start_date" in bad.stderr.strip().splitlines()[-1]
    assert len(run_log(db)) == 1  # refused before any run began


def test_the_team_is_told_after_an_in_process_run(drop, tmp_path):
    from notify.receivers import Receiver

    hook = Receiver()
    try:
        config = tmp_path / "opsmetrics.yaml"
        config.write_text("notify:\n  chat: [{kind: webhook, url: env:OPS_HOOK_URL}]\n")
        done = cli("run", "--config", str(config), "--source-dir", str(drop), "--warehouse",
                   f"sqlite:///{tmp_path / 'w.db'}", "--as-of", str(END), cwd=tmp_path,
                   env={"OPS_HOOK_URL": f"{hook.base}/hook/planted-SECRET-0123"})
        assert done.returncode == 0, done.stderr[-3000:]
        [message] = [r.json for r in hook.received]
        assert message["title"] == f"opsmetrics: nightly refresh completed, as of {END}"
        assert "planted-SECRET" not in done.stdout + done.stderr + message["message"]
    finally:
        hook.stop()


def test_a_secret_reference_or_a_server_keeps_the_flows(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert in_process(Settings())
    assert not in_process(Settings(warehouse="secret:warehouse-url"))  # Prefect's Secret blocks read it
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert not in_process(Settings())


def test_io_steps_are_retried_after_2_then_10_seconds_and_permanent_errors_are_not():
    slept, calls = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("reset by peer")
        return "published"

    assert retrying("publish", flaky, sleep=slept.append)() == "published"
    assert (len(calls), slept) == (3, list(RETRY_DELAYS)) and RETRY_DELAYS == (2, 10)

    def gone():
        calls.append(1)
        raise ConnectionError("still down")

    calls.clear()
    with pytest.raises(ConnectionError):
        retrying("extract", gone, sleep=lambda _: None)()
    assert len(calls) == 3  # the first try and two retries

    def wrong():
        calls.append(1)
        raise SourceError("leads.csv: file not found")

    calls.clear()
    with pytest.raises(SourceError):
        retrying("extract", wrong, sleep=lambda _: None)()
    assert len(calls) == 1  # a source that is wrong stays wrong
    assert retrying("compute", wrong) is wrong  # not an I/O step: as it is
