"""Rows per second of publishing to PostgreSQL: our COPY path against pandas' to_sql.

    scripts/pg-test-server start
    .venv/bin/python benchmarks/publish_postgres.py [--scale 1] [--days 365]

One sample dataset, staged once; every table for N as-of dates is then published three ways into
fresh schemas of the test PostgreSQL: publish_marts (COPY straight into the tables, binary for the
marts: tasks/warehouse/bulk.py), DataFrame.to_sql (default executemany), and to_sql(method="multi").
Ratios are against to_sql in the same run. benchmarks/publish_throughput.py measures one
effort_weekly-shaped frame, SQLite included.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]

from pgserver import drop_schema, require_pg  # noqa: E402

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
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--days", type=int, default=365)
    args = ap.parse_args()
    url = require_pg()
    start = END - dt.timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, args.scale, 7, END)
        settings = Settings(sources={"files": {"path": str(tmp)}})
        staged = stage_sources({n: read_entity(settings, n) for n in ENTITIES}, "USD")
    marts = build_marts(staged.valid, "UTC", start, END)
    rows = sum(len(f) for f in marts.values())
    results = {}
    for method in ("to_sql", "to_sql multi", "copy"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        wh = Warehouse.open(url, schema)
        prepare(wh)
        t = time.perf_counter()
        if method == "copy":
            publish_marts(wh, marts, start, END)
        else:
            with wh.engine.begin() as conn:
                for name, frame in marts.items():
                    frame.to_sql(name, conn, schema=schema, if_exists="append", index=False,
                                 method="multi" if method.endswith("multi") else None, chunksize=1000)
        results[method] = time.perf_counter() - t
        wh.dispose()
        drop_schema(url, schema)
    base = results["to_sql"]
    print(f"{rows:,} rows ({args.days} as-of dates, scale {args.scale})")
    for method, secs in results.items():
        print(f"  {method:<13} {secs:7.2f} s  {rows / secs:>10,.0f} rows/s  {base / secs:5.2f}× to_sql")


if __name__ == "__main__":
    main()
