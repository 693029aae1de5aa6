"""An empty warehouse of each kind, at the current version, for the review tests: a SQLite file,
and a schema of its own in the test PostgreSQL."""
from __future__ import annotations

import pytest
from pgserver import drop_schema, new_schema, require_pg

from tasks.warehouse.connect import Warehouse
from tasks.warehouse.migrate import prepare


@pytest.fixture(params=["sqlite", "postgresql"])
def any_wh(request, tmp_path) -> Warehouse:
    if request.param == "sqlite":
        wh = Warehouse.open(f"sqlite:///{tmp_path / 'w.db'}")
        prepare(wh)
        yield wh
        wh.dispose()
        return
    url = require_pg()
    schema = new_schema()
    wh = Warehouse.open(url, schema)
    prepare(wh)
    yield wh
    wh.dispose()
    drop_schema(url, schema)
