"""The pipeline in-process (tasks/pipeline.py), as a test or a benchmark calls it: no Prefect
server, a standard logger, a warehouse handed in. The gate, the run log and the steps' wiring."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from builders import PORTFOLIO_METRICS, dataset

from schemas.config import Settings, SettingsError
from schemas.sources import ENTITIES
from tasks import pipeline
from tasks.staging.stage import GateError

AS_OF = dt.date(2026, 3, 1)
LOG = logging.getLogger("test-pipeline")
GOOD = {"leads": [{"lead_id": f"L{i}"} for i in range(40)],
        "deals": [{"deal_id": "D1", "stage": "won", "closed_at": "2026-02-01T00:00:00Z"}],
        "projects": [{"project_id": "P1", "deal_id": "D1"}]}


def write_drop(folder: Path, **entities) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in dataset(**entities).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return Settings(sources={"files": {"path": str(folder)}})


def read(wh, sql: str) -> pd.DataFrame:
    return pd.read_sql(sql, wh.engine)


def test_a_run_publishes_every_table_and_logs_itself(tmp_path, wh):
    settings = write_drop(tmp_path / "drop", **GOOD)
    result = pipeline.run(settings, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="r1", flow="nightly_refresh")
    assert (result.status, result.message) == ("completed", "published 1 as-of date 2026-03-01 … 2026-03-01")
    assert result.headline["customers_total"] == 1 and result.counts["leads"]["read"] == 40
    # one row per table and date: 1 portfolio row, 8 channels, and in review_changes one row per
    # portfolio metric (every column of portfolio_daily but as_of_date): 41; in review_signals one per
    # analysed metric (the 12 weekly flows and 6 levels): 18
    assert result.written["portfolio_daily"] == 1 and result.written["funnel_by_channel_daily"] == 8
    assert result.written["review_changes"] == 41 and result.written["review_signals"] == 18
    log = read(wh, "select run_id, flow, status, leads_read from run_log")
    assert log.to_dict("records") == [{"run_id": "r1", "flow": "nightly_refresh", "status": "completed",
                                       "leads_read": 40}]
    assert read(wh, "select status from partition_runs")["status"].tolist() == ["published"]


def test_the_gate_fails_the_run_before_it_publishes_and_the_run_log_says_why(tmp_path, wh):
    good = write_drop(tmp_path / "good", **GOOD)
    pipeline.run(good, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="good")
    before = read(wh, "select * from portfolio_daily")
    # 3 of 43 leads broken = 7.0% > 5%
    bad = write_drop(tmp_path / "bad", **{**GOOD, "leads": GOOD["leads"] + [{"lead_id": f"X{i}", "channel": "tv"}
                                                                            for i in range(3)]})
    result = pipeline.run(bad, AS_OF + dt.timedelta(days=1), AS_OF + dt.timedelta(days=1), warehouse=wh, log=LOG,
                          run_id="bad")
    assert result.status == "failed" and isinstance(result.error, GateError)
    assert result.message.startswith("quarantine gate: leads: 3 of 43 rows quarantined (7.0% > 5.0%; enum:channel (3))")
    with pytest.raises(GateError):
        result.raise_for_status()
    pd.testing.assert_frame_equal(read(wh, "select * from portfolio_daily"), before)
    log = read(wh, "select run_id, status, message, leads_quarantined from run_log order by started_at")
    assert list(log["status"]) == ["completed", "failed"] and log["leads_quarantined"].iloc[-1] == 3
    assert log["message"].iloc[-1] == result.message
    assert read(wh, "select rule from quarantine")["rule"].tolist() == ["enum:channel"] * 3
    ledger = read(wh, "select as_of_date, status from partition_runs order by as_of_date")
    assert ledger["status"].tolist() == ["published", "failed"]


def test_a_source_that_cannot_be_read_fails_the_run_with_its_reason(tmp_path, wh):
    settings = write_drop(tmp_path / "drop", **GOOD)
    (tmp_path / "drop" / "deals.csv").unlink()
    result = pipeline.run(settings, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="r1")
    assert result.status == "failed" and "deals" in result.message and result.counts == {}
    assert read(wh, "select status, message from run_log").to_dict("records") == [
        {"status": "failed", "message": result.message}]


def test_the_steps_run_in_order_and_an_orchestrator_can_wrap_each(tmp_path, wh):
    settings = write_drop(tmp_path / "drop", **GOOD)
    called = []

    def wrap(name, fn):
        def step(*args, **kwargs):
            called.append(name)
            return fn(*args, **kwargs)
        return step

    result = pipeline.run(settings, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="r1",
                          steps=pipeline.STEPS.wrapped(wrap))
    assert result.status == "completed"
    assert called == [f.name for f in dataclasses.fields(pipeline.Steps)]  # every step, once, in declared order
    assert set(pipeline.IO_STEPS) < set(called)


def test_yesterday_is_taken_in_the_business_time_zone():
    # 2026-03-01 17:00 UTC is 2026-03-02 01:00 in Shanghai (UTC+8): yesterday there is 03-01
    now = dt.datetime(2026, 3, 1, 17, tzinfo=dt.UTC)
    assert pipeline.yesterday("UTC", now) == dt.date(2026, 2, 28)
    assert pipeline.yesterday("Asia/Shanghai", now) == dt.date(2026, 3, 1)


def test_an_as_of_date_after_today_is_refused_by_the_pipeline_before_it_touches_the_warehouse(tmp_path, wh):
    # `--as-of 2030-01-01` (a typo) was published: portfolio_latest showed 2030 and the next nightly
    # run took the nights before it as done. Refused in the pipeline too (Prefect's UI, Python)
    settings = write_drop(tmp_path / "drop", **GOOD)
    now = dt.datetime.combine(AS_OF, dt.time(12), dt.UTC)
    later = AS_OF + dt.timedelta(days=1)
    with pytest.raises(SettingsError, match=rf"^as_of: {later} is after today \({AS_OF} in UTC\); .*--allow-future"):
        pipeline.nightly(settings, later, warehouse=wh, log=LOG, run_id="typo", today=now)
    with pytest.raises(SettingsError, match=rf"^end_date: {later} is after today \({AS_OF} in UTC\)"):
        pipeline.backfill(settings, AS_OF, later, warehouse=wh, log=LOG, run_id="typo", today=now)
    for table in ("run_log", "partition_runs", "portfolio_daily"):  # nothing done
        assert read(wh, f"select count(*) n from {table}")["n"][0] == 0, table
    result = pipeline.nightly(settings, later, warehouse=wh, log=LOG, run_id="meant", today=now, allow_future=True)
    assert result.status == "completed" and result.end == later
    result = pipeline.backfill(settings, AS_OF, later, warehouse=wh, log=LOG, run_id="meant-too", today=now,
                               allow_future=True)
    assert result.status == "completed"


def test_the_whole_pipeline_runs_from_python_c_without_prefect(tmp_path):
    """The acceptance check of the layout: generated sample data → every table, in a plain Python
    process that never imports Prefect and starts no server."""
    script = textwrap.dedent(f"""
        import datetime as dt, logging, sys
        from opsmetrics.sample import generate
        from schemas.config import Settings
        from tasks import pipeline
        generate({str(tmp_path / 'drop')!r}, scale=0.01, seed=5, end_date=dt.date(2026, 3, 1))
        settings = Settings(sources={{"files": {{"path": {str(tmp_path / 'drop')!r}}}}},
                            warehouse={f"sqlite:///{tmp_path / 'w.db'}"!r})
        wh = pipeline.open_warehouse(settings)
        result = pipeline.run(settings, dt.date(2026, 2, 1), dt.date(2026, 3, 1), warehouse=wh,
                              log=logging.getLogger("plain"), run_id=pipeline.new_run_id())
        print(result.status, result.written["portfolio_daily"], "prefect" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GX_ANALYTICS_ENABLED": "False",
                               "PREFECT_API_URL": "http://127.0.0.1:9/unreachable"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["completed", "29", "False"]  # 2026-02-01 … 03-01: 29 dates


def test_extract_makes_the_gx_context_on_a_second_thread_while_the_sources_are_read(tmp_path):
    """Importing GX and making its context (2-3 s at every run's start) overlaps the reading of
    the sources: after extract alone, with no entity staged, the context is made. Fails without
    tasks/staging/validate.warm_up: reading the sources needs no GX, and the cache would be empty."""
    settings = write_drop(tmp_path / "drop", **GOOD)
    script = textwrap.dedent(f"""
        import logging, sys, threading
        from schemas.config import Settings
        from tasks import pipeline
        from tasks.staging import validate
        before = "great_expectations" in sys.modules
        raw = pipeline.extract(Settings(sources={{"files": {{"path": {settings.source_dir!r}}}}}), None,
                               logging.getLogger("plain"))
        for t in threading.enumerate():
            if t is not threading.main_thread():
                t.join()
        print(before, validate._new_context.cache_info().currsize, len(raw))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    # GX not imported before extract; the context made once (the lru_cache holds 1); every entity read
    assert done.stdout.split() == ["False", "1", str(len(ENTITIES))]


# --- the shrink guard (SOURCES.md, "Gate") --------------------------------------------------------

@pytest.mark.parametrize("now,allowed,fails", [
    (19, [], True),  # 19 < 0.5 × 40 = 20: a broken export, more likely than a halved business
    (20, [], False),  # exactly half is not fewer than half
    (0, ["leads"], False),  # let through by allow_shrink
])
def test_check_shrink_compares_with_the_last_completed_run(now, allowed, fails):
    last = ("run-7", {"leads": 40, "deals": 0})
    if fails:
        with pytest.raises(GateError, match=r"^shrink guard: leads: 19 rows read, fewer than 50% of the 40 read by the "
                                            r"last completed run run-7 \(if the source really shrank, rerun with "
                                            r"--allow-shrink leads\)$"):
            pipeline.check_shrink({"leads": now, "deals": 5}, last, 0.5, allowed)
    else:
        pipeline.check_shrink({"leads": now, "deals": 5}, last, 0.5, allowed)


def test_check_shrink_has_nothing_to_compare_without_a_completed_run():
    pipeline.check_shrink({"leads": 0}, None, 0.5, [])  # a first run: any size is fine
    pipeline.check_shrink({"deals": 0}, ("r", {"deals": 0}), 0.5, [])  # 0 of 0 is no shrink


def test_a_header_only_export_after_a_good_run_fails_the_shrink_guard(tmp_path, wh):
    good = write_drop(tmp_path / "good", **GOOD)
    pipeline.run(good, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="good")
    before = read(wh, "select * from portfolio_daily")
    empty = write_drop(tmp_path / "empty", **{**GOOD, "leads": []})  # leads.csv: the header only
    result = pipeline.run(empty, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="empty")
    assert result.status == "failed"
    assert result.message == ("shrink guard: leads: 0 rows read, fewer than 50% of the 40 read by the last completed run "
                              "good (if the source really shrank, rerun with --allow-shrink leads)")
    pd.testing.assert_frame_equal(read(wh, "select * from portfolio_daily"), before)  # leads_created_30d not 0
    let_through = empty.model_copy(update={"allow_shrink": ["leads"]})
    assert pipeline.run(let_through, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="allowed").status == "completed"


# --- a run killed anywhere leaves the warehouse as it was ---------------------------------------

class Killed(BaseException):
    """What a SIGKILL looks like to the code after it: nothing more runs (not even `except Exception`)."""


# before this change the quarantine was saved in a step of its own after staging: a run killed at
# the gate or in compute left a quarantine of rows never published, under a run with no run_log row
@pytest.mark.parametrize("step", ["stage", "gate", "compute", "publish"])
def test_a_run_killed_at_a_step_leaves_quarantine_run_log_and_ledger_as_they_were(tmp_path, wh, step):
    good = write_drop(tmp_path / "good", **GOOD)
    pipeline.run(good, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="good")
    tables = ("quarantine", "run_log", "partition_runs", "portfolio_daily")
    before = {t: read(wh, f"select * from {t}") for t in tables}
    bad = write_drop(tmp_path / "bad", **{**GOOD, "leads": GOOD["leads"] + [{"lead_id": "X1", "channel": "tv"}]})

    def kill_at(name, fn):
        if name != step:
            return fn

        def killed(*args, **kwargs):
            raise Killed
        return killed

    with pytest.raises(Killed):
        pipeline.run(bad, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="killed",
                     steps=pipeline.STEPS.wrapped(kill_at))
    for t in tables:
        pd.testing.assert_frame_equal(read(wh, f"select * from {t}"), before[t], obj=t)


def test_seats_beyond_int64_are_quarantined_not_published_wrapped_around(tmp_path, wh):
    # seats = 1e19 (a whole number) was valid, and published as seats_live = -9223372036854775808
    licenses = [{"license_id": "K1", "seats": "10"}, {"license_id": "K2", "seats": "1e19"}]
    settings = write_drop(tmp_path / "drop", **GOOD, licenses=licenses)
    settings = settings.model_copy(update={"max_quarantine_share": 0.5})
    result = pipeline.run(settings, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="r1")
    assert result.status == "completed"
    assert read(wh, "select record_id, rule from quarantine").values.tolist() == [["K2", "type:seats"]]
    assert read(wh, "select project_id, seats_live from project_daily").values.tolist() == [["P1", 10]]


# --- errors that say where ----------------------------------------------------------------------

def test_an_unusable_sqlite_path_is_named(tmp_path):
    from tasks.warehouse.connect import Warehouse, WarehouseError

    with pytest.raises(WarehouseError, match=f"^warehouse: cannot create {tmp_path}/nope/w.db: folder "
                                             f"{tmp_path}/nope does not exist$"):
        Warehouse.open(f"sqlite:///{tmp_path}/nope/w.db")
    with pytest.raises(WarehouseError, match=f"^warehouse: {tmp_path} is a folder, not a SQLite database file$"):
        Warehouse.open(f"sqlite:///{tmp_path}")
    with pytest.raises(WarehouseError, match="is not a SQLAlchemy URL"):
        Warehouse.open("warehouse.db")


@pytest.mark.parametrize("url", ["sqlite:///", "sqlite:///:memory:", "sqlite:///file::memory:?uri=true"])
def test_a_warehouse_reference_that_resolves_to_memory_is_refused_when_it_is_opened(monkeypatch, url):
    # an env: reference is resolved only when the warehouse is opened: checked there too
    monkeypatch.setenv("WAREHOUSE_URL", url)
    settings = Settings(warehouse="env:WAREHOUSE_URL")
    from tasks.warehouse.connect import WarehouseError

    with pytest.raises(WarehouseError, match=f"^warehouse: '{re.escape(url)}' (names no database file|is an "
                                             "in-memory SQLite database).*nothing would be kept after the run"):
        pipeline.open_warehouse(settings)


# --- the plan and the review's notes: kept by hand (SOURCES.md), published whole (METRICS.md) -------------

BAD_PLAN = {
    "targets": [{"metric": "bookings_30d", "month": "2026-03-15"},  # range:month
                {"metric": "revenue", "month": "2026-03-01"},  # enum:metric
                {"metric": "hours_7d", "month": "2026-03-01", "target": "lots"}],  # type:target
    "review_notes": [{"note_id": "N1", "noted_on": "2026-02-23", "follow_up_by": "2026-02-20"},  # order:follow_up_by
                     {"note_id": "N2", "owner": ""}],  # required:owner
}


def test_a_plan_and_notes_with_every_row_bad_do_not_fail_the_run_while_the_other_entities_still_gate(tmp_path, wh):
    settings = write_drop(tmp_path / "drop", **GOOD, **BAD_PLAN)
    result = pipeline.run(settings, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="r1")
    # 3 of 3 targets and 2 of 2 notes quarantined (100% > 5%): not judged, the run publishes
    assert result.status == "completed", result.message
    assert (result.counts["targets"]["quarantined"], result.counts["review_notes"]["quarantined"]) == (3, 2)
    quarantine = read(wh, "select entity, record_id, rule from quarantine order by entity, record_id")
    assert quarantine.to_dict("records") == [
        {"entity": "review_notes", "record_id": "N1", "rule": "order:follow_up_by"},
        {"entity": "review_notes", "record_id": "N2", "rule": "required:owner"},
        {"entity": "targets", "record_id": "bookings_30d|2026-03-15", "rule": "range:month"},
        {"entity": "targets", "record_id": "hours_7d|2026-03-01", "rule": "type:target"},
        {"entity": "targets", "record_id": "revenue|2026-03-01", "rule": "enum:metric"}]
    log = read(wh, "select targets_read, targets_quarantined, review_notes_read, review_notes_quarantined from run_log")
    assert log.to_dict("records") == [{"targets_read": 3, "targets_quarantined": 3, "review_notes_read": 2,
                                       "review_notes_quarantined": 2}]
    assert read(wh, "select count(*) as n from targets")["n"].tolist() == [0]  # no valid row to publish
    # leads are still judged: 3 bad of 43 = 7.0% > 5% fails the run, and only leads is named
    bad = write_drop(tmp_path / "bad", **{**GOOD, **BAD_PLAN, "leads": GOOD["leads"] + [
        {"lead_id": f"X{i}", "channel": "tv"} for i in range(3)]})
    failed = pipeline.run(bad, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="r2")
    assert failed.status == "failed" and isinstance(failed.error, GateError)
    assert failed.message == "quarantine gate: leads: 3 of 43 rows quarantined (7.0% > 5.0%; enum:channel (3))"


def test_the_shrink_guard_passes_the_plan_and_the_notes_by(tmp_path, wh):
    last = ("run-7", {"leads": 40, "targets": 40, "review_notes": 10})
    pipeline.check_shrink({"leads": 40, "targets": 0, "review_notes": 1}, last, 0.5, [])  # 0 of 40: not compared
    plan = {"targets": [{"metric": m, "month": "2026-01-01"} for m in PORTFOLIO_METRICS[:40]],
            "review_notes": [{"note_id": f"N{i}"} for i in range(10)]}
    first = pipeline.run(write_drop(tmp_path / "full", **GOOD, **plan), AS_OF, AS_OF, warehouse=wh, log=LOG,
                         run_id="full")
    assert first.status == "completed" and first.counts["targets"]["valid"] == 40
    gone = write_drop(tmp_path / "gone", **GOOD)
    for name in ("targets", "review_notes"):  # no plan and no notes any more: optional, so not an error
        (tmp_path / "gone" / f"{name}.csv").unlink()
    second = pipeline.run(gone, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="gone")
    assert second.status == "completed", second.message  # 0 of the 40 and 10 rows read before
    assert second.counts["targets"]["read"] == second.counts["review_notes"]["read"] == 0


def test_the_published_plan_and_notes_are_the_valid_rows_replaced_whole_by_the_next_run(tmp_path, wh):
    plan = {"targets": [{"metric": "hours_7d", "month": "2026-03-01", "target": "300", "owner": "Ann"},
                        {"metric": "bookings_30d", "month": "2026-02-01", "target": "-1.5e3"},
                        {"metric": "bookings_30d", "month": "2026-02-15"}],  # range:month: left out
            "review_notes": [{"note_id": "N2", "noted_on": "2026-02-23", "decision": "Drop",
                              "subject": "paid_ads/Spring", "closed_on": "2026-02-24",
                              "updated_at": "2026-02-23T18:00:00+08:00"},
                             {"note_id": "N1", "noted_on": "2026-02-16", "owner": ""}]}  # required:owner: left out
    assert pipeline.run(write_drop(tmp_path / "one", **GOOD, **plan), AS_OF, AS_OF, warehouse=wh, log=LOG,
                        run_id="one").status == "completed"
    targets = read(wh, "select metric, month, target, owner from targets order by metric, month")
    # exactly the valid rows, typed: the month a date, the target a number (a fall is negative)
    assert targets.assign(month=targets["month"].astype(str)).fillna({"owner": "(none)"}).to_dict("records") == [
        {"metric": "bookings_30d", "month": "2026-02-01", "target": -1500.0, "owner": "(none)"},
        {"metric": "hours_7d", "month": "2026-03-01", "target": 300.0, "owner": "Ann"}]
    notes = read(wh, "select note_id, noted_on, decision, subject, follow_up_by, closed_on, updated_at from review_notes")
    assert notes["note_id"].tolist() == ["N2"] and notes["decision"].tolist() == ["drop"]
    assert [str(notes.at[0, c]) for c in ("noted_on", "closed_on")] == ["2026-02-23", "2026-02-24"]
    assert pd.isna(notes.at[0, "follow_up_by"])
    assert pd.Timestamp(notes.at[0, "updated_at"]) == pd.Timestamp("2026-02-23T10:00:00")  # the instant in UTC
    # the next run replaces each table whole: a new plan, and no notes file at all (an empty table)
    two = write_drop(tmp_path / "two", **GOOD, targets=[{"metric": "nps_90d", "month": "2026-04-01", "target": "40"}])
    (tmp_path / "two" / "review_notes.csv").unlink()
    assert pipeline.run(two, AS_OF, AS_OF, warehouse=wh, log=LOG, run_id="two").status == "completed"
    assert read(wh, "select metric, target from targets").to_dict("records") == [{"metric": "nps_90d", "target": 40.0}]
    assert read(wh, "select count(*) as n from review_notes")["n"].tolist() == [0]
