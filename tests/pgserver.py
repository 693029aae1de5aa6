"""The test PostgreSQL of scripts/pg-test-server (started by `make test`; its URL in .pg/url or
OPSMETRICS_TEST_PG_URL). Without one, PostgreSQL tests are skipped locally and fail in CI, where
one must be there."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tasks.warehouse.connect import landing_schema

ROOT = Path(__file__).resolve().parents[1]


def pg_url() -> str | None:
    if os.environ.get("OPSMETRICS_TEST_PG_URL"):
        return os.environ["OPSMETRICS_TEST_PG_URL"]
    url_file = ROOT / ".pg" / "url"
    return url_file.read_text().strip() if url_file.exists() else None


def require_pg() -> str:
    url = pg_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("no test PostgreSQL: `scripts/pg-test-server start` should have run (make test does)")
        pytest.skip("no test PostgreSQL (run scripts/pg-test-server start)")
    return url


def new_schema() -> str:
    """A schema name of its own for one test, so tests never see each other's tables."""
    return f"t_{uuid.uuid4().hex[:10]}"


def drop_schema(url: str, schema: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for s in (schema, landing_schema(schema)):
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{s}" CASCADE')
    engine.dispose()
