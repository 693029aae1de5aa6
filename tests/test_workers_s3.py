"""The backfill deployment on two process workers that share nothing but object storage: each
worker has its own working folder, home, temporary folder and PREFECT_HOME, its own copy of the
file drop and its own configuration file; what they share is the Prefect API, the warehouse (the
test PostgreSQL, reached over TCP) and an S3 bucket (moto's server, tests/s3server.py) where the
backfill leaves its staged snapshot (`snapshot_dir: s3://…`). The chunks read the snapshot from
S3, none stages the sources again, and the tables are those of a one-pass backfill."""
from __future__ import annotations

import datetime as dt
import logging
import shutil

import pandas as pd
import pytest
import requests
import sqlalchemy as sa
import yaml
from pgserver import drop_schema, new_schema, require_pg
from prefect_stack import prefect_stack
from s3server import moto_s3
from test_workers import logs

from opsmetrics.sample import generate
from schemas.config import Settings
from tasks import pipeline
from tasks.warehouse.connect import Warehouse

END = dt.date(2026, 3, 1)
START = END - dt.timedelta(days=19)
MART_TABLES = ["portfolio_daily", "project_daily", "funnel_by_channel_daily", "campaign_daily", "segment_daily",
               "review_changes", "effort_weekly"]


@pytest.fixture
def pg():
    url = require_pg()
    schemas = [new_schema(), new_schema()]
    yield url, schemas
    for schema in schemas:
        drop_schema(url, schema)


def test_backfill_over_workers_that_share_only_object_storage(pg, tmp_path):
    url, (schema, reference) = pg
    generate(tmp_path / "drop", scale=0.02, seed=5, end_date=END)
    with moto_s3(tmp_path / "s3") as s3, prefect_stack(tmp_path / "prefect-home", workers=0) as stack:
        snaps = s3.url("backfills")
        for name in ("w1", "w2"):
            machine = tmp_path / name
            for folder in ("work", "home", "tmp", "prefect", "reports"):
                (machine / folder).mkdir(parents=True)
            shutil.copytree(tmp_path / "drop", machine / "drop")  # its own copy of the same export
            config = machine / "opsmetrics.yaml"
            config.write_text(yaml.safe_dump({"sources": {"files": {"path": str(machine / "drop")}}, "warehouse": url,
                                              "warehouse_schema": schema, "reports_dir": str(machine / "reports")}))
            stack.start_worker(name, cwd=machine / "work", env={
                **s3.env, "HOME": str(machine / "home"), "TMPDIR": str(machine / "tmp"),
                "PREFECT_HOME": str(machine / "prefect"), "OPSMETRICS_CONFIG": str(config),
                # not the test session's folders (conftest.py): nothing local is shared
                "OPSMETRICS_SNAPSHOT_DIR": snaps, "OPSMETRICS_REPORTS_DIR": str(machine / "reports")})
        run_id = stack.run_deployment("backfill/backfill", {
            "start_date": START.isoformat(), "end_date": END.isoformat(), "chunk_days": 5,
            "options": {"snapshot_dir": snaps}})
        run = stack.wait(run_id)
        assert run["state"]["type"] == "COMPLETED", f"{run['state']}; logs in {stack.home}"

        engine = sa.create_engine(url)
        ledger = pd.read_sql(f'SELECT * FROM "{schema}".partition_runs', engine)
        assert len(ledger) == 20 and set(ledger["status"]) == {"published"}
        assert set(ledger["worker"]) == {"w1", "w2"}, "both workers should have taken chunks"
        chunks = list(ledger["run_id"].unique())
        assert len(chunks) == 4

        # staged once, on S3: the parent wrote the snapshot there, every chunk read it from there
        parent_log = logs(stack, [run_id], waiting_for=f"review pack as of {END}: ")
        (written,) = [m for m in parent_log if m.startswith("snapshot ") and f"written to {snaps}:" in m]
        fingerprint = written.split()[1]
        for chunk in chunks:
            chunk_log = logs(stack, [chunk])
            assert any(m.startswith(f"stage: staged sources read from snapshot {fingerprint} in {snaps} ")
                       for m in chunk_log), chunk_log
            assert not any(m.startswith(("stage leads:", "extract leads:", "snapshot ")) for m in chunk_log), chunk_log
        # and the store saw it: each chunk fetched the manifest over the S3 API; the snapshot is gone now
        manifests = [r for r in s3.requests_for("GET", f"/backfills/{fingerprint}") if "/manifest.json " in r]
        assert len(manifests) == len(chunks), manifests
        assert any(m.startswith(f"snapshot {fingerprint} removed from {snaps}") for m in parent_log), parent_log
        listing = requests.get(f"{s3.endpoint}/{s3.bucket}?list-type=2&prefix=backfills/", timeout=10)
        assert listing.ok and "<Key>" not in listing.text, listing.text

    # what a one-pass backfill of the same sources publishes
    settings = Settings(sources={"files": {"path": str(tmp_path / "drop")}}, reports_dir=str(tmp_path / "reports"))
    wh = Warehouse.open(url, reference)
    one = pipeline.backfill(settings, START, END, warehouse=wh, log=logging.getLogger("one-pass"), run_id="one-pass")
    wh.dispose()
    assert one.status == "completed", one.message
    for table in MART_TABLES:
        over_workers = pd.read_sql(f'SELECT * FROM "{schema}".{table}', engine)
        one_pass = pd.read_sql(f'SELECT * FROM "{reference}".{table}', engine)
        assert len(over_workers), table
        pd.testing.assert_frame_equal(sort(over_workers), sort(one_pass), check_exact=True, obj=table)
    engine.dispose()


def sort(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)
