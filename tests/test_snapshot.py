"""The staged sources a backfill shares with its chunks (tasks/snapshot.py), and a chunk's run from
a snapshot (tasks/pipeline.py), in-process: SQLite warehouses, small generated data, no Prefect."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import shutil
from pathlib import Path

import pandas as pd
import pytest

from opsmetrics.sample import generate
from schemas.config import RunOptions, Settings, SettingsError, SnapshotRef, load_settings, parse_options
from schemas.sources import ENTITIES
from tasks import pipeline, snapshot
from tasks.snapshot import SnapshotError, read_snapshot, remove_snapshot, source_fingerprint, write_snapshot
from tasks.sources.registry import read_entity
from tasks.staging.stage import stage_sources
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.migrate import prepare

END = dt.date(2026, 3, 1)
START = END - dt.timedelta(days=9)
LOG = logging.getLogger("test-snapshot")
MART_TABLES = ["portfolio_daily", "project_daily", "funnel_by_channel_daily", "campaign_daily", "segment_daily",
               "review_changes", "effort_weekly"]


@pytest.fixture(scope="module")
def drop(tmp_path_factory) -> Path:
    """A small sample file drop, with bad rows of every kind (a quarantine to carry)."""
    folder = tmp_path_factory.mktemp("drop")
    generate(folder, scale=0.01, seed=5, end_date=END)
    return folder


@pytest.fixture(scope="module")
def staged(drop):
    settings = Settings(sources={"files": {"path": str(drop)}})
    return stage_sources({n: read_entity(settings, n) for n in ENTITIES}, settings.reporting_currency)


def settings_for(drop: Path, tmp_path: Path, **more) -> Settings:
    return Settings(sources={"files": {"path": str(drop)}}, warehouse=f"sqlite:///{tmp_path / 'w.db'}",
                    snapshot_dir=str(tmp_path / "snapshots"), **more)


def fresh_warehouse(path: Path) -> Warehouse:
    wh = Warehouse.open(f"sqlite:///{path}")
    prepare(wh)
    return wh


def read(wh: Warehouse, sql: str) -> pd.DataFrame:
    return pd.read_sql(sql, wh.engine)


def rows_of(wh: Warehouse, table: str) -> pd.DataFrame:
    frame = read(wh, f"select * from {table}")
    assert len(frame), table
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


# --- the snapshot -------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["folder", "memory"])
def test_a_snapshot_gives_back_every_frame_with_its_dtypes_and_values(staged, tmp_path, where):
    location = str(tmp_path / "snaps") if where == "folder" else f"memory://snapshots-{tmp_path.name}"
    fp = "1" * 64
    ref = write_snapshot(staged, location, fp)
    assert ref == SnapshotRef(location=location, fingerprint=fp)
    back = read_snapshot(ref.location, fp)
    assert list(back.valid) == list(ENTITIES)
    kinds = set()
    for name, frame in staged.valid.items():
        pd.testing.assert_frame_equal(back.valid[name], frame, check_exact=True, obj=name)
        kinds |= {str(t) for t in frame.dtypes}
    assert {"str", "float64", "boolean", "datetime64[s]", "datetime64[us, UTC]"} <= kinds  # every kind staging makes
    assert len(staged.quarantine) > 0  # the sample has bad rows of every kind
    pd.testing.assert_frame_equal(back.quarantine, staged.quarantine, check_exact=True)
    pd.testing.assert_frame_equal(back.counts, staged.counts, check_exact=True)  # indexed by entity
    pd.testing.assert_frame_equal(back.quarantined_per_rule, staged.quarantined_per_rule, check_exact=True)
    assert remove_snapshot(ref) and read_snapshot(ref.location, fp) is None


def test_a_missing_snapshot_is_none(tmp_path):
    assert read_snapshot(str(tmp_path / "never-written"), "2" * 64) is None
    assert read_snapshot("memory://nothing-here", "2" * 64) is None


def test_a_snapshot_is_found_only_under_its_own_fingerprint(staged, tmp_path):
    ref = write_snapshot(staged, str(tmp_path), "3" * 64)
    assert read_snapshot(ref.location, "4" * 64) is None


def test_a_manifest_that_names_another_fingerprint_is_refused(staged, tmp_path):
    """Copied (or renamed) under another fingerprint's folder: the manifest inside still says which
    sources it holds, and a reader asking for other sources refuses it."""
    write_snapshot(staged, str(tmp_path), "5" * 64)
    shutil.copytree(tmp_path / ("5" * 64), tmp_path / ("6" * 64))
    with pytest.raises(SnapshotError, match=r"manifest holds fingerprint 555555555555 .*not 666666666666.*refused"):
        read_snapshot(str(tmp_path), "6" * 64)
    manifest = tmp_path / ("5" * 64) / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "fingerprint": "7" * 64}))  # edited in place
    with pytest.raises(SnapshotError, match="refused"):
        read_snapshot(str(tmp_path), "5" * 64)
    manifest.write_text("{not json")
    with pytest.raises(SnapshotError, match="is not one this code wrote: refused"):
        read_snapshot(str(tmp_path), "5" * 64)


def test_a_data_file_that_is_not_what_the_manifest_says_is_refused(staged, tmp_path):
    write_snapshot(staged, str(tmp_path), "8" * 64)
    manifest = json.loads((tmp_path / ("8" * 64) / "manifest.json").read_text())
    leads = tmp_path / ("8" * 64) / manifest["files"]["valid-leads"]["path"]
    other = staged.valid["leads"].head(1)
    other.to_parquet(leads)  # a valid Parquet file, other rows
    with pytest.raises(SnapshotError, match=r"valid-leads.parquet is not the file its manifest names"):
        read_snapshot(str(tmp_path), "8" * 64)


def test_a_write_that_fails_half_way_leaves_no_snapshot(staged, tmp_path, monkeypatch):
    written = []
    real = snapshot._parquet

    def fail_on_third(frame):
        written.append(1)
        if len(written) == 3:
            raise OSError("disk full")
        return real(frame)

    monkeypatch.setattr(snapshot, "_parquet", fail_on_third)
    with pytest.raises(OSError, match="disk full"):
        write_snapshot(staged, str(tmp_path), "9" * 64)
    assert read_snapshot(str(tmp_path), "9" * 64) is None  # the manifest comes last: no half snapshot


def test_an_unusable_snapshot_dir_is_named(staged):
    with pytest.raises(SnapshotError, match=r"^snapshot_dir nope://x: cannot be opened: Protocol not known"):
        write_snapshot(staged, "nope://x", "a" * 64)


def test_snapshot_dir_is_a_setting_and_a_run_option_and_never_holds_a_password(tmp_path, monkeypatch):
    monkeypatch.delenv("OPSMETRICS_SNAPSHOT_DIR", raising=False)
    assert Settings().snapshot_dir == ".opsmetrics/snapshots"
    monkeypatch.setenv("OPSMETRICS_SNAPSHOT_DIR", "/shared/snaps")
    assert Settings().snapshot_dir == "/shared/snaps"
    assert load_settings(RunOptions(snapshot_dir="s3://bucket/snaps")).snapshot_dir == "s3://bucket/snaps"
    with pytest.raises(SettingsError, match=r"^settings: snapshot_dir: the URL carries a password"):
        load_settings(RunOptions.model_construct(snapshot_dir="sftp://etl:pw@host/snaps"))
    with pytest.raises(SettingsError, match=r"^run options: snapshot_dir: the URL carries a password"):
        parse_options({"snapshot_dir": "sftp://etl:pw@host/snaps"})
    conf = tmp_path / "c.yaml"
    conf.write_text("snapshot_dir: ' '\n")
    with pytest.raises(SettingsError, match=r"c.yaml: snapshot_dir: give a folder or an fsspec URL"):
        load_settings(config=conf)


# --- the fingerprint ------------------------------------------------------------------------------

def test_the_fingerprint_follows_the_sources_and_the_staging_settings_only(drop, tmp_path):
    base = Settings(sources={"files": {"path": str(drop)}})
    fp = source_fingerprint(base)
    assert len(fp) == 64 and source_fingerprint(base) == fp
    # settings staging does not read, and the folder the same files are in: same fingerprint
    moved = tmp_path / "elsewhere"
    shutil.copytree(drop, moved)
    same = Settings(sources={"files": {"path": str(moved)}}, warehouse="sqlite:///other.db",
                    business_timezone="Asia/Shanghai", max_quarantine_share=0.5, snapshot_dir="/x",
                    reports_dir="/y")
    assert source_fingerprint(same) == fp
    # a file's content changes, its size does not
    leads = moved / "leads.csv"
    text = leads.read_text()
    i = text.index("website")
    leads.write_text(text[:i] + "Website" + text[i + 7:])
    assert source_fingerprint(same) != fp
    leads.write_text(text)
    assert source_fingerprint(same) == fp
    # the CSV replaced by a Parquet file of the same rows
    pd.read_csv(moved / "expenses.csv", dtype=str, keep_default_na=False).to_parquet(moved / "expenses.parquet")
    (moved / "expenses.csv").unlink()
    assert source_fingerprint(same) != fp
    # a setting staging uses
    assert source_fingerprint(base.model_copy(update={"reporting_currency": "EUR"})) != fp
    hubspot = Settings(sources={"files": {"path": str(drop)}, "hubspot": {
        "token": "env:T", "entities": ["leads"], "stage_map": {"x": "won"}}})
    assert snapshot.fingerprint(hubspot, {}) != snapshot.fingerprint(
        hubspot.model_copy(update={"sources": hubspot.sources.model_copy(update={
            "hubspot": hubspot.sources.hubspot.model_copy(update={"stage_map": {"x": "lost"}})})}), {})


def test_landed_entities_are_fingerprinted_by_the_state_of_their_landing_tables(drop, tmp_path):
    from tasks.sources import landing

    wh = fresh_warehouse(tmp_path / "w.db")
    settings = Settings(sources={"files": {"path": str(drop)}, "hubspot": {"token": "env:T", "entities": ["leads"]}})
    page = landing.record_frame(["1"], [{"email": "a@b.c"}], landing.instants(pd.Series(["2026-01-01T00:00:00Z"])))
    landing.land_page(wh, "hubspot", "contacts", page)
    fp = source_fingerprint(settings, wh)
    assert source_fingerprint(settings, wh) == fp
    landing.land_page(wh, "hubspot", "contacts", page)  # landed again (a sync that re-read it)
    assert source_fingerprint(settings, wh) != fp
    with pytest.raises(SnapshotError, match="landed by hubspot"):
        source_fingerprint(settings)
    wh.dispose()


def test_a_sql_url_password_is_never_part_of_what_is_hashed(drop):
    settings = Settings(sources={"files": {"path": str(drop)}, "sql": {
        "url": "postgresql://etl:s3cret@db/pm", "entities": {"projects": "pm.projects"}}})
    assert "s3cret" not in json.dumps(snapshot._source_settings(settings))


# --- a chunk's run from the snapshot ----------------------------------------------------------------

def counting(calls: list[str]) -> pipeline.Steps:
    def wrap(name, fn):
        def step(*args, **kwargs):
            calls.append(name)
            return fn(*args, **kwargs)
        return step
    return pipeline.STEPS.wrapped(wrap)


def test_a_run_from_the_snapshot_publishes_what_a_run_that_staged_itself_publishes(drop, tmp_path):
    settings = settings_for(drop, tmp_path)
    own = fresh_warehouse(tmp_path / "own.db")
    parent_wh = fresh_warehouse(tmp_path / "chunked.db")
    first = pipeline.run(settings, START, END, warehouse=own, log=LOG, run_id="own", flow="backfill")
    assert first.status == "completed", first.message

    staged, ref = pipeline.stage_for_chunks(settings, START, END, warehouse=parent_wh, log=LOG, run_id="parent")
    assert staged.status == "staged" and ref is not None and ref.location == str(tmp_path / "snapshots")
    assert staged.counts == first.counts
    calls = []
    half = START + dt.timedelta(days=4)
    for i, (a, b) in enumerate([(START, half), (half + dt.timedelta(days=1), END)]):
        # as the backfill flow hands them out: effort_weekly (not by as-of date) from the first chunk only
        chunk = pipeline.run(settings, a, b, warehouse=parent_wh, log=LOG, run_id=f"chunk{i}", flow="backfill",
                             steps=counting(calls), snapshot=ref, effort=i == 0)
        assert chunk.status == "completed", chunk.message
        assert chunk.counts == first.counts
        assert ("effort_weekly" in chunk.written) == (i == 0), chunk.written
    assert "extract" not in calls and "stage" not in calls and "sync" not in calls  # read, not staged again
    for table in MART_TABLES:
        pd.testing.assert_frame_equal(rows_of(parent_wh, table), rows_of(own, table), check_exact=True, obj=table)
    quarantine = "select entity, record_id, rule, detail, record from quarantine order by 1, 2, 3, 4"
    pd.testing.assert_frame_equal(read(parent_wh, quarantine), read(own, quarantine))
    counts = [c for c in read(own, "select * from run_log").columns if c.endswith(("_read", "_quarantined"))]
    logged = read(parent_wh, f"select run_id, {', '.join(counts)} from run_log order by run_id")
    assert logged["run_id"].tolist() == ["chunk0", "chunk1"]
    expected = read(own, f"select {', '.join(counts)} from run_log")
    for i in range(2):
        assert logged[counts].iloc[i].tolist() == expected.iloc[0].tolist()
    own.dispose()
    parent_wh.dispose()


def test_a_chunk_that_sees_other_sources_fails_and_publishes_nothing(drop, tmp_path):
    moved = tmp_path / "drop"
    shutil.copytree(drop, moved)
    settings = settings_for(moved, tmp_path)
    wh = fresh_warehouse(tmp_path / "w.db")
    _, ref = pipeline.stage_for_chunks(settings, START, END, warehouse=wh, log=LOG, run_id="parent")
    (moved / "deals.csv").write_text((moved / "deals.csv").read_text() + "\n")  # a new export arrived meanwhile
    calls = []
    result = pipeline.run(settings, START, END, warehouse=wh, log=LOG, run_id="chunk", flow="backfill",
                          steps=counting(calls), snapshot=ref)
    assert result.status == "failed" and isinstance(result.error, SnapshotError)
    assert result.message.startswith("snapshot: the sources or staging settings this run sees (fingerprint ")
    assert f"not those the backfill staged (fingerprint {ref.fingerprint[:12]}): nothing published" in result.message
    assert "\n" not in result.message and "compute" not in calls and "publish" not in calls
    assert read(wh, "select count(*) n from portfolio_daily").n[0] == 0
    assert read(wh, "select status, message from run_log").to_dict("records") == [
        {"status": "failed", "message": result.message}]
    assert set(read(wh, "select status from partition_runs")["status"]) == {"failed"}
    # the same for a worker whose configuration stages differently (another reporting currency)
    (moved / "deals.csv").write_text((moved / "deals.csv").read_text()[:-1])
    euro = pipeline.run(settings.model_copy(update={"reporting_currency": "EUR"}), START, END, warehouse=wh,
                        log=LOG, run_id="chunk-eur", flow="backfill", snapshot=ref)
    assert euro.status == "failed" and isinstance(euro.error, SnapshotError)
    wh.dispose()


def test_a_chunk_whose_snapshot_is_missing_stages_the_sources_itself_and_says_why(drop, tmp_path, caplog):
    settings = settings_for(drop, tmp_path)
    wh = fresh_warehouse(tmp_path / "w.db")
    _, ref = pipeline.stage_for_chunks(settings, START, END, warehouse=wh, log=LOG, run_id="parent")
    assert remove_snapshot(ref)
    calls = []
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        result = pipeline.run(settings, START, END, warehouse=wh, log=LOG, run_id="chunk", flow="backfill",
                              steps=counting(calls), snapshot=ref)
    assert result.status == "completed", result.message
    assert "extract" in calls and "stage" in calls and "sync" not in calls  # the backfill synced
    assert f"snapshot {ref.fingerprint[:12]} not found in {ref.location}: staging the sources in this run instead" \
        in caplog.text
    wh.dispose()


def test_a_chunk_that_cannot_open_the_snapshot_dir_stages_the_sources_itself(drop, tmp_path, caplog):
    """A worker without the filesystem of snapshot_dir (say s3fs) is a worker that cannot reach it."""
    settings = settings_for(drop, tmp_path)
    wh = fresh_warehouse(tmp_path / "w.db")
    ref = SnapshotRef(location="nope://bucket/snaps", fingerprint=source_fingerprint(settings, wh))
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        result = pipeline.run(settings, END, END, warehouse=wh, log=LOG, run_id="chunk", flow="backfill", snapshot=ref,
                              review=False)
    assert result.status == "completed", result.message
    assert "not readable here (snapshot_dir nope://bucket/snaps: cannot be opened: Protocol not known" in caplog.text
    wh.dispose()


def test_a_chunk_handed_a_tampered_snapshot_fails_without_publishing(drop, tmp_path):
    settings = settings_for(drop, tmp_path)
    wh = fresh_warehouse(tmp_path / "w.db")
    _, ref = pipeline.stage_for_chunks(settings, START, END, warehouse=wh, log=LOG, run_id="parent")
    folder = tmp_path / "snapshots" / ref.fingerprint
    manifest = json.loads((folder / "manifest.json").read_text())
    counts = folder / manifest["files"]["counts"]["path"]
    pd.read_parquet(counts).assign(valid=0).to_parquet(counts)
    result = pipeline.run(settings, START, END, warehouse=wh, log=LOG, run_id="chunk", flow="backfill", snapshot=ref)
    assert result.status == "failed" and "counts.parquet is not the file its manifest names" in result.message
    assert read(wh, "select count(*) n from portfolio_daily").n[0] == 0
    wh.dispose()


def test_the_parent_gate_fails_before_any_snapshot_is_written(drop, tmp_path):
    settings = settings_for(drop, tmp_path, max_quarantine_share=0.0)
    wh = fresh_warehouse(tmp_path / "w.db")
    result, ref = pipeline.stage_for_chunks(settings, START, END, warehouse=wh, log=LOG, run_id="parent")
    assert ref is None and result.status == "failed" and result.message.startswith("quarantine gate: ")
    assert not (tmp_path / "snapshots").exists() or not any((tmp_path / "snapshots").iterdir())
    log = read(wh, "select run_id, flow, status from run_log").to_dict("records")
    assert log == [{"run_id": "parent", "flow": "backfill", "status": "failed"}]
    assert read(wh, "select count(*) n from quarantine").n[0] > 0  # says why the gate failed
    assert read(wh, "select count(*) n from partition_runs where status = 'failed'").n[0] == 10
    wh.dispose()


def test_an_unusable_snapshot_dir_fails_the_parent_before_it_stages(drop, tmp_path):
    settings = settings_for(drop, tmp_path).model_copy(update={"snapshot_dir": "nope://x"})
    wh = fresh_warehouse(tmp_path / "w.db")
    calls = []
    result, ref = pipeline.stage_for_chunks(settings, START, END, warehouse=wh, log=LOG, run_id="parent",
                                            steps=counting(calls))
    assert ref is None and calls == [] and result.message.startswith("snapshot_dir nope://x: cannot be opened")
    wh.dispose()


def test_run_without_a_snapshot_calls_the_same_steps_as_before(drop, tmp_path):
    settings = settings_for(drop, tmp_path)
    wh = fresh_warehouse(tmp_path / "w.db")
    calls = []
    assert pipeline.run(settings, END, END, warehouse=wh, log=LOG, run_id="r", steps=counting(calls)).status == "completed"
    assert calls == [f.name for f in dataclasses.fields(pipeline.Steps)]
    wh.dispose()


def test_a_chunk_process_loads_no_review_pack_nor_validation_code():
    """What a worker's flow-run process imports to run a chunk from a snapshot: no review pack (the
    backfill writes it), no Great Expectations (nothing is validated again), no psycopg (0.2 s,
    only for a PostgreSQL warehouse), no S3 client (s3fs, botocore, aiohttp: 0.15-0.17 s, only when
    the snapshot is on S3): each of the chunks pays its imports again."""
    import subprocess
    import sys

    code = ("import sys, flows.backfill; "
            "print(sorted(m for m in ('tasks.review', 'vl_convert', 'altair', 'great_expectations', 'psycopg', 's3fs', "
            "'botocore', 'aiohttp') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"

