"""What the reliability tests share: warehouses of either kind, snapshots of the state a run leaves
(the marts, quarantine, run_log and partition_runs), their comparison, and child processes running
the pipeline (tests/reliability/child.py) that a test can kill."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from pgserver import drop_schema, new_schema, require_pg

from schemas.config import Settings
from schemas.tables import MARTS, OPERATIONAL
from tasks import pipeline
from tasks.report import RunResult
from tasks.warehouse.connect import DEFAULT_SCHEMA, Warehouse
from tasks.warehouse.tables import TABLES

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
AS_OF = dt.date(2026, 3, 1)  # D: the date the good run and the killed run both compute
SCALE = 0.02  # ~400 leads, 6,000 time entries: a run stages in 3-4 s once Great Expectations is warm
LOG = logging.getLogger("reliability")

TABLE_NAMES = (*MARTS, *OPERATIONAL)
# what differs between two runs that did the same thing: when they ran, and on which process
VOLATILE = {"run_log": ("started_at", "finished_at"), "quarantine": ("quarantined_at",),
            "partition_runs": ("finished_at", "worker"), "restatements": ("restated_at",)}
RUN_IDS = ("run_id", "first_run_id")  # columns naming runs: the same work under other run ids


def generate_drop(folder: Path, seed: int, scale: float = SCALE, end_date: dt.date = AS_OF) -> Path:
    from opsmetrics.sample import generate

    generate(folder, scale=scale, seed=seed, end_date=end_date)
    return folder


# --- warehouses --------------------------------------------------------------------------------

@dataclass
class Backend:
    """A warehouse of one kind for one test: its URL, its schema on PostgreSQL, and an open handle."""

    kind: str  # sqlite | postgresql
    url: str
    schema: str | None
    _wh: Warehouse | None = None

    @classmethod
    def sqlite(cls, path: Path) -> Backend:
        return cls("sqlite", f"sqlite:///{path}", None)

    @classmethod
    def new(cls, kind: str, sqlite_path: Path) -> Backend:
        if kind == "sqlite":
            return cls.sqlite(sqlite_path)
        return cls("postgresql", require_pg(), new_schema())

    @property
    def path(self) -> Path:
        assert self.kind == "sqlite"
        return Path(sa.make_url(self.url).database)

    @property
    def wh(self) -> Warehouse:
        if self._wh is None:
            self._wh = Warehouse.open(self.url, self.schema or DEFAULT_SCHEMA)
        return self._wh

    def settings(self, drop: Path, **extra) -> Settings:
        return Settings(sources={"files": {"path": str(drop)}}, warehouse=self.url,
                        warehouse_schema=self.schema or DEFAULT_SCHEMA, **extra)

    def run_in_process(self, drop: Path, start: dt.date, end: dt.date, run_id: str,
                       flow: str = "nightly_refresh") -> RunResult:
        result = pipeline.run(self.settings(drop), start, end, warehouse=self.wh, log=LOG, run_id=run_id, flow=flow)
        assert result.status == "completed", result.message
        return result

    def snapshot(self) -> dict[str, pd.DataFrame]:
        return snapshot(self.wh)

    def spec(self, drop: Path, **fields) -> dict:
        """What child.py needs to run the pipeline on this warehouse."""
        return {"url": self.url, "schema": self.schema or DEFAULT_SCHEMA, "drop": str(drop), **fields}

    def close(self, drop: bool = False) -> None:
        if self._wh is not None:
            self._wh.dispose()
            self._wh = None
        if drop and self.kind == "postgresql":
            drop_schema(self.url, self.schema)


def sqlite_integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def references_of(kind: str, drops: dict[str, Path], folder: Path) -> dict[str, dict[str, pd.DataFrame]]:
    """What complete runs leave, in warehouses of their own: `a_then_b`, the good run on A (`good`)
    then a run on B (`killed`); `b_only`, one run on B (`b`) in an empty warehouse."""
    out = {}
    for name, runs in {"a_then_b": (("A", "good"), ("B", "killed")), "b_only": (("B", "b"),)}.items():
        backend = Backend.new(kind, folder / f"{name}.db")
        try:
            for drop, run_id in runs:
                backend.run_in_process(drops[drop], AS_OF, AS_OF, run_id=run_id)
            out[name] = backend.snapshot()
        finally:
            backend.close(drop=True)
    return out


# --- snapshots -------------------------------------------------------------------------------

def _sort(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    table = {**MARTS, **OPERATIONAL}[name]
    rest = [c for c in frame.columns if c not in VOLATILE.get(name, ())]
    by = list(dict.fromkeys([c for c in table.key if c in frame.columns] + rest)) or list(frame.columns)
    return frame.sort_values(by, key=lambda s: s.astype(str), ignore_index=True)


def snapshot(wh: Warehouse) -> dict[str, pd.DataFrame]:
    """Every output table, the quarantine, run_log and partition_runs, each in a fixed row order."""
    out = {}
    with wh.begin() as conn:
        for name in TABLE_NAMES:
            out[name] = _sort(name, pd.read_sql(sa.select(TABLES[name]), conn))
    return out


def normalized(snap: dict[str, pd.DataFrame], run_ids: bool = True) -> dict[str, pd.DataFrame]:
    """Without the columns that differ between two runs doing the same thing (times, worker), and
    without the run ids when `run_ids` is False."""
    out = {}
    for name, frame in snap.items():
        drop = [*VOLATILE.get(name, ()), *([] if run_ids else [c for c in RUN_IDS if c in frame.columns])]
        out[name] = _sort(name, frame.drop(columns=drop))
    return out


def differences(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame], tables=None) -> dict[str, str]:
    """table → the first difference, for the tables of `a` and `b` that are not equal."""
    out = {}
    for name in tables or a:
        try:
            pd.testing.assert_frame_equal(a[name], b[name], obj=name)
        except AssertionError as exc:
            out[name] = " ".join(str(exc).split())[:400]
    return out


def which_state(after: dict, old: dict, new_normalized: dict) -> dict[str, str]:
    """Per table, whether it is exactly as before (`old`), as a complete new run leaves it (`new`,
    compared without times), or neither: the evidence of a half-written run."""
    old_diff = differences(after, old)
    new_diff = differences(normalized(after), new_normalized)
    return {name: "old" if name not in old_diff else "new" if name not in new_diff else
            f"neither (vs old: {old_diff[name][:200]}; vs new: {new_diff[name][:200]})" for name in after}


def marts_of(snap: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {n: snap[n] for n in MARTS}


# --- child processes ---------------------------------------------------------------------------

def child_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "GX_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1",
            "PREFECT_API_URL": "http://127.0.0.1:9/unused", **extra}


RUNNING: list[subprocess.Popen] = []  # children started by this test: conftest kills any left at its end


@dataclass
class Child:
    """A pipeline run in a process of its own (child.py); its output goes to files, so several can
    run at once without filling a pipe."""

    proc: subprocess.Popen
    out: Path
    err: Path

    @classmethod
    def start(cls, spec: dict, folder: Path, name: str, script: str = "child.py") -> Child:
        folder.mkdir(parents=True, exist_ok=True)
        out, err = folder / f"{name}.out", folder / f"{name}.err"
        with open(out, "w") as o, open(err, "w") as e:
            proc = subprocess.Popen([sys.executable, str(HERE / script), json.dumps(spec, default=str)], cwd=ROOT,
                                    env=child_env(), stdout=o, stderr=e)
        RUNNING.append(proc)
        return cls(proc, out, err)

    def wait(self, timeout: float = 300) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"child {self.proc.args[-1]} did not finish within {timeout} s; "
                                 f"stderr: {self.stderr[-3000:]}") from None

    @property
    def stdout(self) -> str:
        return self.out.read_text()

    @property
    def stderr(self) -> str:
        return self.err.read_text()

    @property
    def result(self) -> dict:
        """The RESULT line child.py prints when the run returned."""
        for line in self.stdout.splitlines():
            if line.startswith("RESULT "):
                return json.loads(line.removeprefix("RESULT "))
        raise AssertionError(f"child printed no RESULT (exit {self.proc.returncode}); stderr: {self.stderr[-3000:]}")


def wait_for_file(path: Path, timeout: float, child: Child | None = None) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        if child is not None and child.proc.poll() is not None:
            raise AssertionError(f"child exited ({child.proc.returncode}) before writing {path.name}; "
                                 f"stderr: {child.stderr[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"{path} not written within {timeout} s")
