"""Shared fixtures. tests/ goes on sys.path so every test module can import `builders`."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # offline: telemetry only logs errors
os.environ.setdefault("DO_NOT_TRACK", "1")
# every run writes a review pack: the tests' go to a folder of their own, not the checkout
os.environ.setdefault("OPSMETRICS_REPORTS_DIR", tempfile.mkdtemp(prefix="opsmetrics-reports-"))
# and a backfill's snapshots of staged sources (tasks/snapshot.py) to one too
os.environ.setdefault("OPSMETRICS_SNAPSHOT_DIR", tempfile.mkdtemp(prefix="opsmetrics-snapshots-"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: long-running (make test-slow); left out of make test")


@pytest.fixture(scope="session")
def prefect_api() -> str:
    """One temporary Prefect server for the whole session (it takes 20-30 s to start here);
    returns its API URL, which subprocesses get as PREFECT_API_URL so they skip their own."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield PREFECT_API_URL.value()


@pytest.fixture
def wh(tmp_path):
    """An empty SQLite warehouse at the current version (migrated, documented)."""
    from tasks.warehouse.connect import Warehouse
    from tasks.warehouse.migrate import prepare

    w = Warehouse.open(f"sqlite:///{tmp_path / 'w.db'}")
    prepare(w)
    yield w
    w.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request, tmp_path):
    """An empty warehouse of each kind: a SQLite file, and a schema of its own in the test PostgreSQL."""
    from pgserver import drop_schema, new_schema, require_pg

    from tasks.warehouse.connect import Warehouse

    if request.param == "sqlite":
        wh = Warehouse.open(f"sqlite:///{tmp_path / 'w.db'}")
        yield wh
        wh.dispose()
        return
    url = require_pg()
    schema = new_schema()
    wh = Warehouse.open(url, schema)
    yield wh
    wh.dispose()
    drop_schema(url, schema)
