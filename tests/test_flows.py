"""The Prefect flows on a temporary Prefect server: what they publish, and what a failed run leaves."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
from builders import dataset
from prefect.artifacts import Artifact

from flows.backfill import MAX_DAYS, backfill
from flows.nightly_refresh import nightly_refresh
from schemas.config import RunOptions, SettingsError, check_range
from tasks.staging.stage import GateError

AS_OF = dt.date(2026, 3, 1)


def write_drop(folder, **entities):
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in dataset(**entities).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


GOOD = {"leads": [{"lead_id": f"L{i}"} for i in range(40)],
        "deals": [{"deal_id": "D1", "stage": "won", "closed_at": "2026-02-01T00:00:00Z"}],
        "projects": [{"project_id": "P1", "deal_id": "D1"}]}


@pytest.fixture
def warehouse(tmp_path):
    return f"sqlite:///{tmp_path / 'w.db'}"


def read(url, sql) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        return pd.read_sql(sql, engine)
    finally:
        engine.dispose()


def test_nightly_refresh_publishes_every_table_and_logs_the_run(prefect_api, tmp_path, warehouse):
    src = write_drop(tmp_path / "drop", **GOOD)
    result = nightly_refresh(as_of=AS_OF, options=RunOptions(source_dir=str(src), warehouse=warehouse))
    assert result.status == "completed" and result.headline["customers_total"] == 1
    assert read(warehouse, "select count(*) n from portfolio_daily").n[0] == 1
    assert read(warehouse, "select count(*) n from funnel_by_channel_daily").n[0] == 8
    log = read(warehouse, "select * from run_log")
    assert list(log["status"]) == ["completed"] and log["leads_read"][0] == 40 and log["flow"][0] == "nightly_refresh"
    artifact = Artifact.get("opsmetrics-run-summary")
    assert "# nightly_refresh: completed" in artifact.data and "| customers_total | 1 |" in artifact.data
    assert "| leads | 40 | 40 | 0 | 0 | 0 |" in artifact.data


def test_gate_failure_publishes_nothing_and_says_why(prefect_api, tmp_path, warehouse):
    good = write_drop(tmp_path / "good", **GOOD)
    nightly_refresh(as_of=AS_OF, options=RunOptions(source_dir=str(good), warehouse=warehouse))
    before = read(warehouse, "select * from portfolio_daily")
    # 3 of 42 leads broken = 7.1% > 5%
    bad = write_drop(tmp_path / "bad", **{**GOOD, "leads": GOOD["leads"] + [{"lead_id": f"X{i}", "channel": "tv"}
                                                                            for i in range(3)]})
    with pytest.raises(GateError, match=r"leads: 3 of 43 rows quarantined .*enum:channel \(3\)"):
        nightly_refresh(as_of=AS_OF + dt.timedelta(days=1), options=RunOptions(source_dir=str(bad), warehouse=warehouse))
    pd.testing.assert_frame_equal(read(warehouse, "select * from portfolio_daily"), before)
    log = read(warehouse, "select status, message, leads_quarantined from run_log order by started_at")
    assert list(log["status"]) == ["completed", "failed"] and log["leads_quarantined"].iloc[-1] == 3
    assert log["message"].iloc[-1].startswith("quarantine gate: leads")
    q = read(warehouse, "select entity, rule from quarantine")
    assert list(q["rule"]) == ["enum:channel"] * 3


def test_nightly_refresh_tells_the_team_and_a_channel_that_fails_fails_nothing(prefect_api, tmp_path, warehouse,
                                                                               monkeypatch):
    """notify: two webhooks (receivers started here), one always answering 500: the run completes, the
    other gets the message with the pack's link; a run that fails before the pipeline returns (a
    warehouse file that is not a database) is told too, with its reason, and still fails."""
    from notify.receivers import Receiver

    good, down = Receiver(), Receiver(otherwise=500)
    try:
        monkeypatch.setenv("GOOD_HOOK", f"{good.base}/hook")
        monkeypatch.setenv("DOWN_HOOK", f"{down.base}/hook")
        config = tmp_path / "opsmetrics.yaml"
        config.write_text("notify:\n  attempts: 2\n  backoff_seconds: 0\n  chat:\n"
                          "    - {kind: webhook, url: env:DOWN_HOOK}\n    - {kind: webhook, url: env:GOOD_HOOK}\n")
        src = write_drop(tmp_path / "drop", **GOOD)
        result = nightly_refresh(as_of=AS_OF, options=RunOptions(config=str(config), source_dir=str(src),
                                                                 warehouse=warehouse))
        assert result.status == "completed" and len(down.received) == 2
        [told] = good.received
        assert told.json["title"] == f"opsmetrics: nightly refresh completed, as of {AS_OF}"
        assert "Review pack: file://" in told.json["message"] and f"review-{AS_OF}.html" in told.json["message"]
        assert list(read(warehouse, "select status from run_log")["status"]) == ["completed"]

        broken = tmp_path / "broken.db"
        broken.write_bytes(b"not a database " * 100)
        with pytest.raises(sa.exc.DatabaseError):
            nightly_refresh(as_of=AS_OF, options=RunOptions(config=str(config), source_dir=str(src),
                                                            warehouse=f"sqlite:///{broken}"))
        told = good.received[-1].json
        assert told["title"] == f"opsmetrics: nightly refresh FAILED, as of {AS_OF}"
        assert "Reason: (sqlite3.DatabaseError) file is not a database" in told["message"]
    finally:
        good.stop()
        down.stop()


def test_backfill_writes_every_date_once(prefect_api, tmp_path, warehouse):
    src = write_drop(tmp_path / "drop", **GOOD)
    for _ in range(2):
        backfill(start_date=dt.date(2026, 2, 1), end_date=AS_OF,
                 options=RunOptions(source_dir=str(src), warehouse=warehouse))
    dates = read(warehouse, "select as_of_date, count(*) n from portfolio_daily group by as_of_date")
    assert len(dates) == 29 and set(dates["n"]) == {1}
    assert read(warehouse, "select count(*) n from review_changes").n[0] == 29 * 41  # 29 dates x 41 metrics
    assert read(warehouse, "select count(*) n from review_signals").n[0] == 29 * 18  # x 18 analysed metrics


@pytest.mark.parametrize("start,end,match", [("not-a-date", "2026-01-01", "start_date: 'not-a-date' is not a date"),
                                             ("2026-02-01", "2026-01-01", "is after end_date"),
                                             ("1990-01-01", "2026-01-01", "at most")])
def test_backfill_range_is_checked(start, end, match):
    with pytest.raises(SettingsError, match=match):
        check_range(start, end, MAX_DAYS)


def test_the_flows_refuse_an_as_of_date_after_today_unless_allowed(prefect_api, tmp_path, warehouse):
    """From Prefect's UI as from the CLI (issue 25: `--as-of 2030-01-01` was published): refused before
    the warehouse is touched."""
    from flows.backfill import backfill_chunk

    src = write_drop(tmp_path / "drop", **GOOD)
    options = RunOptions(source_dir=str(src), warehouse=warehouse)
    later = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)
    with pytest.raises(SettingsError, match=f"^as_of: {later} is after today .*--allow-future"):
        nightly_refresh(as_of=later, options=options)
    for flow in (backfill, backfill_chunk):
        with pytest.raises(SettingsError, match=f"^end_date: {later} is after today .*--allow-future"):
            flow(start_date=later, end_date=later, options=options)
    assert not (tmp_path / "w.db").exists()
    allowed = nightly_refresh(as_of=later, options=options.model_copy(update={"allow_future": True}))
    assert allowed.status == "completed" and allowed.end == later
