"""A 365-date backfill through the backfill deployment on a real Prefect server with two process
workers, against the same range computed in one in-process pass (the baseline, same run).

    .venv/bin/python benchmarks/backfill_workers.py [--scale 0.2] [--days 365] [--chunk-days 31]

Checks that every date is published exactly once and reports which worker took how many chunks.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import pandas as pd  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from prefect_stack import prefect_stack  # noqa: E402

from opsmetrics.sample import generate  # noqa: E402
from schemas.config import Settings  # noqa: E402
from schemas.sources import ENTITIES  # noqa: E402
from tasks.marts.build import build_marts  # noqa: E402
from tasks.sources.registry import read_entity  # noqa: E402
from tasks.staging.stage import stage_sources  # noqa: E402
from tasks.warehouse.connect import Warehouse  # noqa: E402
from tasks.warehouse.migrate import prepare  # noqa: E402
from tasks.warehouse.publish import publish_marts  # noqa: E402

END = dt.date(2026, 3, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.2)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--chunk-days", type=int, default=31)
    args = ap.parse_args()
    start = END - dt.timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        generate(tmp / "drop", scale=args.scale, seed=7, end_date=END)
        t = time.perf_counter()  # baseline: one pass in this process
        settings = Settings(sources={"files": {"path": str(tmp / "drop")}})
        staged = stage_sources({n: read_entity(settings, n) for n in ENTITIES}, "USD")
        wh = Warehouse.open(f"sqlite:///{tmp / 'baseline.db'}")
        prepare(wh)
        publish_marts(wh, build_marts(staged.valid, "UTC", start, END), start, END)
        baseline = time.perf_counter() - t
        with prefect_stack(tmp / "prefect") as stack:
            url = f"sqlite:///{tmp / 'w.db'}"
            t = time.perf_counter()
            run = stack.wait(stack.run_deployment("backfill/backfill", {
                "start_date": start.isoformat(), "end_date": END.isoformat(), "chunk_days": args.chunk_days,
                "options": {"source_dir": str(tmp / "drop"), "warehouse": url}}), timeout=3600)
            distributed = time.perf_counter() - t
        engine = sa.create_engine(url)
        ledger = pd.read_sql("SELECT * FROM partition_runs", engine)
        dates = pd.read_sql("SELECT as_of_date, count(*) AS n FROM portfolio_daily GROUP BY as_of_date", engine)
        engine.dispose()
    chunks = ledger.groupby("worker")["run_id"].nunique().to_dict()
    print(f"{args.days} dates, scale {args.scale}, chunks of {args.chunk_days}: run {run['state']['type']}")
    print(f"  published dates: {len(dates)} (each once: {bool((dates['n'] == 1).all())}); "
          f"ledger rows {len(ledger)}, chunks per worker {chunks}")
    print(f"  one in-process pass {baseline:.1f} s; two workers {distributed:.1f} s "
          f"= {distributed / baseline:.2f}× the pass")


if __name__ == "__main__":
    main()
