"""A backfill's staged snapshot on object storage (tasks/snapshot.py with `snapshot_dir: s3://…`),
against a real S3 API (moto's server on 127.0.0.1, tests/s3server.py), as workers on machines that
share nothing but the store: each has its own copy of the sources, its own working folder and
home, and the store's credentials and endpoint in its environment, never in the URL."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import fsspec
import pandas as pd
import pytest
import s3fs
from s3server import moto_s3

from opsmetrics.sample import generate
from schemas.config import Settings, SettingsError, SnapshotRef, parse_options
from schemas.sources import ENTITIES
from tasks import pipeline
from tasks.snapshot import (
    SnapshotError,
    frame_digest,
    read_snapshot,
    remove_snapshot,
    source_fingerprint,
    write_snapshot,
)
from tasks.sources.registry import read_entity
from tasks.staging.stage import Staged, stage_sources
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.migrate import prepare

END = dt.date(2026, 3, 1)
LOG = logging.getLogger("test-snapshot-s3")
PARTS = [*(f"valid-{name}" for name in ENTITIES), "quarantine", "counts", "quarantined_per_rule"]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """moto's S3 server, and this process's environment pointing at it (as a worker's would)."""
    with moto_s3(tmp_path_factory.mktemp("s3")) as store, pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            mp.delenv(name, raising=False)
        for name, value in store.env.items():
            mp.setenv(name, value)
        s3fs.S3FileSystem.clear_instance_cache()  # an instance keeps the endpoint it was made with
        yield store
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture(scope="module")
def drop(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("drop")
    generate(folder, scale=0.01, seed=5, end_date=END)
    return folder


@pytest.fixture(scope="module")
def staged(drop) -> Staged:
    settings = Settings(sources={"files": {"path": str(drop)}})
    return stage_sources({n: read_entity(settings, n) for n in ENTITIES}, settings.reporting_currency)


def parts(staged: Staged) -> dict[str, pd.DataFrame]:
    return {**{f"valid-{n}": f for n, f in staged.valid.items()}, "quarantine": staged.quarantine,
            "counts": staged.counts, "quarantined_per_rule": staged.quarantined_per_rule}


def identity(frame: pd.DataFrame) -> list:
    """What a frame is, comparable across processes: its values, dtypes and index."""
    return [frame_digest(frame), {str(c): str(t) for c, t in frame.dtypes.items()}, list(map(str, frame.index))]


def machine(tmp_path: Path, name: str, drop: Path) -> dict[str, Path]:
    """A worker's machine: an empty working folder, a home and a temporary folder of its own, and
    its own copy of the file drop (the same files, another path)."""
    folders = {k: tmp_path / name / k for k in ("work", "home", "tmp")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    shutil.copytree(drop, tmp_path / name / "drop")
    return {**folders, "drop": tmp_path / name / "drop"}


def warehouse(path: Path) -> Warehouse:
    wh = Warehouse.open(f"sqlite:///{path}")
    prepare(wh)
    return wh


def keys(store, prefix: str) -> list[str]:
    """The objects under `prefix` of the bucket, as the store lists them now."""
    fs = fsspec.filesystem("s3")
    fs.invalidate_cache()
    return fs.find(f"{store.bucket}/{prefix}/")


READER = """
import json, sys
from schemas.config import Settings
from tasks.snapshot import frame_digest, read_snapshot, source_fingerprint
location, fingerprint, drop = sys.argv[1:]
seen = source_fingerprint(Settings(sources={"files": {"path": drop}}))
staged = read_snapshot(location, fingerprint)
frames = {**{f"valid-{n}": f for n, f in staged.valid.items()}, "quarantine": staged.quarantine,
          "counts": staged.counts, "quarantined_per_rule": staged.quarantined_per_rule}
print(json.dumps({"fingerprint": seen, "parts": {
    p: [frame_digest(f), {str(c): str(t) for c, t in f.dtypes.items()}, list(map(str, f.index))]
    for p, f in frames.items()}}))
"""


def test_a_snapshot_on_s3_is_read_back_by_a_process_that_shares_no_folder_with_the_writer(s3, drop, staged,
                                                                                           tmp_path):
    fp = source_fingerprint(Settings(sources={"files": {"path": str(drop)}}))
    ref = write_snapshot(staged, s3.url("snaps"), fp)
    assert ref == SnapshotRef(location=f"s3://{s3.bucket}/snaps", fingerprint=fp)  # the URL as it is, for every worker
    written = keys(s3, "snaps")
    assert f"{s3.bucket}/snaps/{fp}/manifest.json" in written
    # every part and the manifest, no temporary manifest left behind
    assert len(written) == 1 + len(PARTS) and not any(k.endswith(".tmp") for k in written), written

    # read back here, exactly
    back = parts(read_snapshot(ref.location, fp))
    for part, frame in parts(staged).items():
        pd.testing.assert_frame_equal(back[part], frame, check_exact=True, obj=part)

    # and on "another machine": its own copy of the sources, an empty working folder, a home without
    # any AWS configuration: only the environment's credentials and endpoint, and the URL
    other = machine(tmp_path, "b", drop)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPSMETRICS_"))}
    env.update(s3.env, HOME=str(other["home"]), TMPDIR=str(other["tmp"]))
    done = subprocess.run([sys.executable, "-c", READER, ref.location, fp, str(other["drop"])], cwd=other["work"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["fingerprint"] == fp  # the same files elsewhere: the same fingerprint, so the chunk may read it
    assert seen["parts"] == {part: identity(frame) for part, frame in parts(staged).items()}
    assert list(other["work"].iterdir()) == []  # nothing was put on that machine's disk
    assert len(s3.requests_for("GET", f"/snaps/{fp}/manifest.json")) == 2  # read over the S3 API, here and there

    assert remove_snapshot(ref) and read_snapshot(ref.location, fp) is None
    assert keys(s3, "snaps") == []


def test_a_chunk_that_sees_other_sources_than_the_s3_snapshot_fails_and_publishes_nothing(s3, drop, tmp_path):
    """The parent stages from its copy of the sources and writes the snapshot to S3; a chunk on a
    machine whose copy differs (a new export arrived there) refuses it; a manifest copied under
    another fingerprint's key is refused too."""
    a, b = machine(tmp_path, "a", drop), machine(tmp_path, "b", drop)
    snaps = s3.url(f"refuse-{tmp_path.name}")
    parent = Settings(sources={"files": {"path": str(a["drop"])}}, snapshot_dir=snaps)
    wh_a = warehouse(a["work"] / "w.db")
    staged, ref = pipeline.stage_for_chunks(parent, END, END, warehouse=wh_a, log=LOG, run_id="parent")
    assert staged.status == "staged" and ref.location == snaps, staged.message

    (b["drop"] / "deals.csv").write_text((b["drop"] / "deals.csv").read_text() + "\n")
    chunk = Settings(sources={"files": {"path": str(b["drop"])}}, snapshot_dir=snaps)
    wh_b = warehouse(b["work"] / "w.db")
    result = pipeline.run(chunk, END, END, warehouse=wh_b, log=LOG, run_id="chunk", flow="backfill", snapshot=ref,
                          review=False)
    assert result.status == "failed" and isinstance(result.error, SnapshotError)
    assert f"not those the backfill staged (fingerprint {ref.fingerprint[:12]}): nothing published" in result.message
    assert pd.read_sql("select count(*) n from portfolio_daily", wh_b.engine).n[0] == 0

    fs = fsspec.filesystem("s3")
    other = "f" * 64
    fs.copy(f"{s3.bucket}/refuse-{tmp_path.name}/{ref.fingerprint}", f"{s3.bucket}/refuse-{tmp_path.name}/{other}",
            recursive=True)
    with pytest.raises(SnapshotError, match=rf"manifest holds fingerprint {ref.fingerprint[:12]} .*not ffffffffffff"):
        read_snapshot(snaps, other)
    assert remove_snapshot(ref) and remove_snapshot(SnapshotRef(location=snaps, fingerprint=other))
    wh_a.dispose()
    wh_b.dispose()


def test_a_damaged_object_is_refused_and_the_chunk_publishes_nothing(s3, drop, staged, tmp_path):
    settings = Settings(sources={"files": {"path": str(drop)}})
    ref = write_snapshot(staged, s3.url(f"damaged-{tmp_path.name}"), source_fingerprint(settings))
    fs = fsspec.filesystem("s3")
    manifest = json.loads(fs.cat_file(f"{s3.bucket}/damaged-{tmp_path.name}/{ref.fingerprint}/manifest.json"))
    leads = f"{s3.bucket}/damaged-{tmp_path.name}/{ref.fingerprint}/{manifest['files']['valid-leads']['path']}"
    other = staged.valid["leads"].head(1)
    fs.pipe_file(leads, other.to_parquet())  # a valid Parquet object, other rows
    with pytest.raises(SnapshotError, match=r"valid-leads.parquet is not the file its manifest names .*refused"):
        read_snapshot(ref.location, ref.fingerprint)
    wh = warehouse(tmp_path / "w.db")
    result = pipeline.run(settings, END, END, warehouse=wh, log=LOG, run_id="chunk", flow="backfill", snapshot=ref,
                          review=False)
    assert result.status == "failed" and "is not the file its manifest names" in result.message
    assert pd.read_sql("select count(*) n from portfolio_daily", wh.engine).n[0] == 0
    assert remove_snapshot(ref)
    wh.dispose()


def test_a_missing_or_unreachable_s3_snapshot_is_staged_by_the_chunk_itself(s3, drop, tmp_path, caplog, monkeypatch):
    """Reading 48: a snapshot not there (removed, never written, no such bucket) or a store that does
    not answer is no error: the chunk stages the sources itself and says why."""
    settings = Settings(sources={"files": {"path": str(drop)}})
    fp = source_fingerprint(settings)
    assert read_snapshot(s3.url("never-written"), fp) is None
    assert read_snapshot(f"s3://no-such-bucket-{tmp_path.name.lower().replace('_', '-')}/snaps", fp) is None
    wh = warehouse(tmp_path / "w.db")
    gone = SnapshotRef(location=s3.url(f"gone-{tmp_path.name}"), fingerprint=fp)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        result = pipeline.run(settings, END, END, warehouse=wh, log=LOG, run_id="missing", flow="backfill",
                              snapshot=gone, review=False)
    assert result.status == "completed", result.message
    assert f"snapshot {fp[:12]} not found in {gone.location}: staging the sources in this run instead" in caplog.text

    # the store down (nothing listens on its port): an I/O error, not a refusal
    caplog.clear()
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore's retries would take ~10 s
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            down = pipeline.run(settings, END, END, warehouse=wh, log=LOG, run_id="down", flow="backfill",
                                snapshot=gone, review=False)
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
    assert down.status == "completed", down.message
    assert f"snapshot {fp[:12]} not readable here (Could not connect to the endpoint URL" in caplog.text
    wh.dispose()


def test_credentials_never_go_in_an_s3_url():
    with pytest.raises(SettingsError, match=r"snapshot_dir: the URL carries a password"):
        parse_options({"snapshot_dir": "s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/snaps"})
    with pytest.raises(ValueError, match="never in the URL"):
        SnapshotRef(location="s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/snaps", fingerprint="0" * 64)
