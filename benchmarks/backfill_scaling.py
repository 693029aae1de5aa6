"""How a backfill's cost grows with its number of as-of dates (issue: vectorised across dates).

    .venv/bin/python benchmarks/backfill_scaling.py [--scale 1] [--days 1,30,365]

Generates a sample at the given scale into a temporary folder, stages it once, then times
computing and publishing (SQLite) every table for N as-of dates. Figures are ratios against the
1-date run measured in the same process, since this machine's absolute speed varies.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from opsmetrics.sample import generate  # noqa: E402
from schemas.config import Settings  # noqa: E402
from schemas.sources import ENTITIES  # noqa: E402
from tasks.marts.build import build_marts  # noqa: E402
from tasks.sources.registry import read_entity  # noqa: E402
from tasks.staging.stage import stage_sources  # noqa: E402
from tasks.warehouse.publish import publish_marts  # noqa: E402

END = dt.date(2026, 3, 1)


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--days", default="1,30,365")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _, t_gen = timed(generate, tmp, args.scale, 7, END)
        settings = Settings(sources={"files": {"path": str(tmp)}})
        raw, t_read = timed(lambda: {n: read_entity(settings, n) for n in ENTITIES})
        staged, t_stage = timed(stage_sources, raw, "USD")
        rows = sum(len(f) for f in raw.values())
        print(f"scale {args.scale}: {rows:,} source rows; generate {t_gen:.1f}s, read {t_read:.1f}s, "
              f"stage {t_stage:.1f}s (incl. the GX import)")
        base = None
        print(f"{'dates':>6} {'compute s':>10} {'publish s':>10} {'rows':>9} {'total ×1-date':>14} {'per date ×1-date':>17}")
        for n in map(int, args.days.split(",")):
            start = END - dt.timedelta(days=n - 1)
            marts, t_c = timed(build_marts, staged.valid, "UTC", start, END)
            engine = sa.create_engine(f"sqlite:///{tmp}/w{n}.db")
            _, t_p = timed(publish_marts, engine, marts, start, END)
            total = t_c + t_p
            base = base or total
            out_rows = sum(len(f) for k, f in marts.items())
            print(f"{n:>6} {t_c:>10.2f} {t_p:>10.2f} {out_rows:>9,} {total / base:>14.2f} {total / base / n:>17.3f}")


if __name__ == "__main__":
    main()
