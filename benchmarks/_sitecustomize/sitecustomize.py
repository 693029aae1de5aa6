"""Loaded by Python at start-up when the harness (benchmarks/bench.py) puts this folder on
PYTHONPATH for a command it measures (`opsmetrics run`, `opsmetrics backfill`): installs the
per-stage timing of benchmarks/_stage_timing.py if BENCH_STAGE_OUT names where to write it."""
import os
import sys

if os.environ.get("BENCH_STAGE_OUT"):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        import _stage_timing
    finally:
        sys.path.pop(0)
    _stage_timing.activate_from_env()
