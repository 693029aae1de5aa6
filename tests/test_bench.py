"""The pure parts of the benchmark harness (benchmarks/bench.py): the markdown and its ratios, the
stage split from log lines, the reading of publish_throughput's result. Nothing is run or timed."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import _stage_timing  # noqa: E402
import bench  # noqa: E402
from bench import GB, Figure, Target  # noqa: E402


def fake_scale() -> dict:
    return {"scale": 10, "data": "Data: fake.", "split": {}, "figures": [
        Figure("read_floor", "read floor", seconds=2.0, runs=3, rss_kb=300 * 1024),
        Figure("pipeline_1", "pipeline without Prefect", seconds=10.0, runs=3, rss_kb=1 * GB, baseline="read_floor",
               target=Target("max", 8, "≤ 8× read floor")),
        Figure("run_1", "opsmetrics run", seconds=30.0, runs=3, rss_kb=int(2.5 * GB), baseline="read_floor",
               target=Target("max", 12, "≤ 12× read floor"), rss_target=Target("rss", 2, "peak RSS ≤ 2 GB")),
        Figure("backfill_365", "opsmetrics backfill", seconds=45.0, runs=1, rss_kb=2 * GB, baseline="run_1",
               target=Target("max", 2, "≤ 2× the one-date run"), rss_target=Target("rss", 3, "peak RSS ≤ 3 GB")),
        Figure("workers", "two workers", na="--skip-workers", baseline="backfill_365"),
        Figure("publish_sqlite_to_sql", "to_sql SQLite", rate=50_000.0),
        Figure("publish_sqlite", "ours SQLite", rate=400_000.0, baseline="publish_sqlite_to_sql",
               target=Target("rate", 300_000, "≥ 300,000 rows/s")),
    ]}


def test_markdown_gives_each_figure_as_a_ratio_to_its_baseline():
    report = {"header": {"date": "2026-12-01 10:00 UTC", "command": ".venv/bin/python benchmarks/bench.py",
                         "machine": "a CPU, 2 cores", "python": "3.11.7", "versions": {"pandas": "3.1.1"},
                         "commit": "abc (dirty: uncommitted changes in the working tree)", "data": "generated"},
              "scales": [fake_scale()], "fixed": [Figure("gx", "import GX", seconds=9.0, runs=3, rss_kb=400 * 1024)],
              "fixed_floor": 2.0, "fixed_base": "scale 10"}
    md = bench.render(report)
    lines = md.splitlines()

    def row(label: str) -> list[str]:
        line = next(x for x in lines if x.startswith(f"| {label} |"))
        return [c.strip() for c in line.strip("|").split("|")]

    # 10 s / 2 s = 5.00× the read floor, within ≤ 8×
    assert row("pipeline without Prefect") == ["pipeline without Prefect", "10.0 (3)", "1.00 GB", "5.00×", "read floor",
                                               "≤ 8× read floor", "met"]
    # 30 s / 2 s = 15.0× > 12×: missed
    assert row("opsmetrics run")[3:] == ["15.0×", "read floor", "≤ 12× read floor", "**missed**"]
    # 45 s / 30 s = 1.50× the one-date run
    assert row("opsmetrics backfill")[3] == "1.50×"
    assert row("read floor")[1:4] == ["2.00 (3)", "300 MB", "1×"]
    assert row("two workers")[1] == "not measured: --skip-workers"
    # throughput: 400,000 / 50,000 = 8.00× to_sql, and ≥ 300,000 rows/s
    assert row("ours SQLite") == ["ours SQLite", "400,000", "8.00×", "to_sql SQLite", "≥ 300,000 rows/s", "met"]
    # fixed costs against the read floor: 9 s / 2 s = 4.50×
    assert row("import GX") == ["import GX", "9.00 (3)", "400 MB", "4.50×"]
    # the targets' summary: the memory target of the one-date run, 2.5 GB > 2 GB
    assert row("opsmetrics run: peak RSS ≤ 2 GB") == ["opsmetrics run: peak RSS ≤ 2 GB", "2.50 GB: **missed**"]
    assert row("opsmetrics backfill: ≤ 2× the one-date run")[1] == "1.50×: met"
    assert "abc (dirty" in md and "3.11.7" in md and "pandas 3.1.1" in md


# Prefect's console format (what `opsmetrics run` prints) and the same format from the harness's
# handler for the plain pipeline
LOG = """\
10:51:39.480 | INFO    | prefect - Starting temporary server on http://127.0.0.1:8053
See https://www.prefect.io/docs/v3/concepts/server#how-to-guides for more information.
10:51:50.000 | INFO    | Flow run 'immortal-wolf' - Beginning flow run 'immortal-wolf' for flow 'nightly_refresh'
10:51:50.500 | INFO    | Flow run 'immortal-wolf' - warehouse sqlite:////tmp/w.db upgraded from version (empty) to 0006
10:51:50.510 | INFO    | Task run 'prepare-warehouse-e2b' - Finished in state Completed()
10:51:50.600 | INFO    | Flow run 'immortal-wolf' - nightly_refresh 50d8: as of 2026-11-30 … 2026-11-30, sources files
10:51:51.000 | INFO    | Flow run 'immortal-wolf' - extract leads: 4021 rows from leads.csv
10:51:52.000 | INFO    | Flow run 'immortal-wolf' - extract deals: 710 rows from deals.csv
10:52:02.000 | INFO    | Flow run 'immortal-wolf' - stage leads: 4021 read, 3957 valid, 48 quarantined
10:52:02.100 | INFO    | Flow run 'immortal-wolf' - stage deals: 710 read, 694 valid, 14 quarantined
10:52:02.200 | INFO    | Task run 'stage-ff7' - Finished in state Completed()
10:52:02.300 | INFO    | Flow run 'immortal-wolf' - gate: every entity within 5.0% quarantined
10:52:04.300 | INFO    | Flow run 'immortal-wolf' - compute portfolio_daily: 1 rows
10:52:05.300 | INFO    | Flow run 'immortal-wolf' - publish: restatements 0, portfolio_daily 1; quarantine: 62 rows
10:52:08.300 | INFO    | Flow run 'immortal-wolf' - review pack as of 2026-11-30: /tmp/review-2026-11-30.html
10:52:09.300 | INFO    | Flow run 'immortal-wolf' - Finished in state Completed()
10:52:09.400 | INFO    | prefect - Stopping temporary server on http://127.0.0.1:8053
"""


def at(clock: str) -> float:
    return dt.datetime.fromisoformat(f"2026-12-01T{clock}").timestamp()


def test_stage_split_from_the_log_lines_the_steps_write():
    spawn, end = at("10:51:30"), at("10:52:10")
    hooks = {"marks": {"imported tasks.pipeline": at("10:51:35"), "imported flows.nightly_refresh": at("10:51:38")},
             "stages": {"read": {"seconds": 1.5, "calls": 2, "first_seconds": 1.0},
                        "parse": {"seconds": 1.0, "calls": 2, "first_seconds": 0.5},
                        "validate": {"seconds": 8.0, "calls": 2, "first_seconds": 7.5},
                        "duplicates_parents": {"seconds": 0.5, "calls": 4, "first_seconds": 0.1},
                        "compute": {"seconds": 1.9, "calls": 1, "first_seconds": 1.9},
                        "publish": {"na": "tasks.warehouse.publish:publish_marts not found"}}}
    split = bench.stage_split(LOG, spawn, end, hooks)
    expected = {
        "startup": 8.0,        # spawn 10:51:30 → flows imported 10:51:38
        "prefect": 12.0,       # → "Beginning flow run" 10:51:50
        "migrate": 0.5,        # → the warehouse line
        "setup": 0.1,          # → the run's first line
        "extract": 1.4,        # → the last extract line 10:51:52.0
        "stage": 10.1,         # → the last stage line 10:52:02.1
        "gate": 0.2, "compute": 2.0, "publish": 1.0, "review": 3.0,
        "finish": 1.0,         # → the flow run's own "Finished in state" (not the task's)
        "exit": 0.7,           # → process end 10:52:10
        "total": 40.0,
        "read": 1.5, "parse": 1.0, "validate": 8.0, "validate_first": 7.5, "duplicates_parents": 0.5,
        "stage_other": 0.6,    # 10.1 - (1.0 + 8.0 + 0.5)
        "compute_fn": 1.9,     # build_marts inside the compute step's 2.0 s
        "publish_fn": None,    # its function not found: n/a, and the step's time still comes from the log
    }
    assert split == pytest.approx(expected)
    assert sum(split[k] for k in ("startup", "prefect", "migrate", "setup", "extract", "stage", "gate", "compute",
                                  "publish", "review", "finish", "exit")) == pytest.approx(split["total"])
    assert bench.na_stages(hooks) == "publish (tasks.warehouse.publish:publish_marts not found)"


def test_stage_split_without_hooks_starts_at_the_first_log_line():
    split = bench.stage_split(LOG, at("10:51:30"), at("10:52:10"), None)
    assert split["startup"] == pytest.approx(9.48)  # → "Starting temporary server"
    assert split["prefect"] == pytest.approx(10.52)
    assert split["read"] is None and "stage_other" not in split


def test_median_split_per_row():
    runs = [{"a": 1.0, "b": None}, {"a": 3.0, "b": 2.0}, {"a": 2.0}]
    assert bench.median_split(runs) == {"a": 2.0, "b": 2.0}


def test_publish_result_read_whatever_its_keys():
    result = {"rows": 100_000,
              "sqlite": {"to_sql": {"rows_per_s": 50_000.0, "seconds": 2.0}, "ours": {"rows_per_s": 400_000.0}},
              "postgresql": {"to_sql": 20_000, "ours": 250_000, "adbc": 500_000}}
    figs = {f.key: f for f in bench.publish_figures(result, "", "")}
    assert figs["publish_sqlite"].rate == 400_000 and figs["publish_sqlite_to_sql"].rate == 50_000
    assert figs["publish_pg"].rate == 250_000 and figs["publish_pg_to_sql"].rate == 20_000
    assert bench.ratio(figs["publish_pg"], figs) == pytest.approx(12.5)  # ≥ 10× to_sql
    (adbc,) = [f for f in figs.values() if "adbc" in f.label]
    assert adbc.rate == 500_000 and adbc.baseline == "publish_pg_to_sql"
    missing = bench.publish_figures(None, "benchmarks/publish_throughput.py is not there (yet)", "")
    assert {f.na for f in missing} == {"benchmarks/publish_throughput.py is not there (yet)"}


def test_a_stage_whose_function_is_missing_is_not_available():
    status = _stage_timing.install({"elsewhere": ("tasks.no_such_module:f",)})
    assert status["elsewhere"].startswith("n/a: tasks.no_such_module not importable")
    assert _stage_timing.report()["elsewhere"] == {"na": "tasks.no_such_module not importable (ModuleNotFoundError)"}
