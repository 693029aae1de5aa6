"""The reliability suite (issue 10, "Nothing lost, ever"): tests that try to break the pipeline with
SIGKILLs, terminated connections, concurrent runs, a month of nightly runs and planted secrets.

`make reliability` runs it (`pytest -m reliability tests/reliability`); `make test` leaves it out
(`-m "not slow and not reliability"`). Every test here is marked `reliability`, by this conftest
(so a test added to the folder cannot forget it) as well as by each module's `pytestmark`.

Shared fixtures: the two data drops A and B (same shape, different numbers), a warehouse of each
kind, and the reference states a complete run leaves (computed in-process, in a warehouse of
their own).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reliability.support import AS_OF, RUNNING, Backend, generate_drop, references_of


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reliability: long tests that try to break the pipeline (make reliability); "
                                       "left out of make test")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(autouse=True)
def no_child_left():
    """A test that fails while its children run does not leave them running: each is killed by
    its own pid (only processes this test started)."""
    yield
    while RUNNING:
        proc = RUNNING.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def drops(tmp_path_factory) -> dict[str, Path]:
    """Data A (the good run before) and data B (the run that is killed): generated sample drops of
    the same size with different seeds, so every table's numbers differ between them."""
    root = tmp_path_factory.mktemp("drops")
    return {"A": generate_drop(root / "A", seed=5), "B": generate_drop(root / "B", seed=6)}


@pytest.fixture(scope="session")
def sqlite_after_a(drops, tmp_path_factory) -> Path:
    """A SQLite warehouse after the good run of AS_OF on data A (run id `good`): copied per test."""
    path = tmp_path_factory.mktemp("template") / "after_a.db"
    backend = Backend.sqlite(path)
    try:
        backend.run_in_process(drops["A"], AS_OF, AS_OF, run_id="good")
    finally:
        backend.close()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_kind(request) -> str:
    return request.param


@pytest.fixture
def fresh_backend(backend_kind, tmp_path):
    """An empty warehouse (nothing created yet) of the parametrised kind."""
    backend = Backend.new(backend_kind, tmp_path / "w.db")
    yield backend
    backend.close(drop=True)


@pytest.fixture
def backend_after_a(backend_kind, tmp_path, drops, sqlite_after_a):
    """A warehouse of the parametrised kind after the good run of AS_OF on data A (run id `good`)."""
    if backend_kind == "sqlite":
        shutil.copy(sqlite_after_a, tmp_path / "w.db")
        backend = Backend.sqlite(tmp_path / "w.db")
    else:
        backend = Backend.new("postgresql", tmp_path / "w.db")
        backend.run_in_process(drops["A"], AS_OF, AS_OF, run_id="good")
    yield backend
    backend.close(drop=True)


@pytest.fixture(scope="session")
def references(drops, tmp_path_factory):
    """kind → the states complete runs leave (support.references_of: `a_then_b`, `b_only`), in
    warehouses of their own of that kind; computed once per kind, when first asked."""
    cache: dict[str, dict] = {}

    def get(kind: str) -> dict:
        if kind not in cache:
            cache[kind] = references_of(kind, drops, tmp_path_factory.mktemp(f"ref-{kind}"))
        return cache[kind]
    return get


@pytest.fixture
def reference(backend_kind, references) -> dict:
    """The state after the good run on A and a complete run on B, in the parametrised kind."""
    return references(backend_kind)["a_then_b"]
