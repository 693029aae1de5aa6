"""An empty warehouse of each kind, at the current version, for the review tests."""
from __future__ import annotations

import pytest

from tasks.warehouse.connect import Warehouse
from tasks.warehouse.migrate import prepare


@pytest.fixture
def any_wh(warehouse) -> Warehouse:
    """The shared `warehouse` fixture (tests/conftest.py), migrated and documented."""
    prepare(warehouse)
    return warehouse
