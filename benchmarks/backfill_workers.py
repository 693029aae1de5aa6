"""A 365-date backfill through the backfill deployment on a real Prefect server with two process
workers, against the same range computed in one in-process pass (the baseline, same run).

    .venv/bin/python benchmarks/backfill_workers.py [--scale 0.2] [--days 365] [--chunk-days 31]
        [--source-dir DIR] [--end 2026-03-01] [--no-baseline] [--json FILE]

Checks that every date is published exactly once and reports which worker took how many chunks.
`--source-dir` uses an existing file drop instead of generating one; `--json` writes the figures
(benchmarks/bench.py runs it so, with `--no-baseline`: it measures its own in-process pass).
The functions `in_process_pass` and `through_workers` are the two measurements.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import pandas as pd  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from prefect_stack import descendants, prefect_stack  # noqa: E402

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
SAMPLE_SECONDS = 0.5


def in_process_pass(source_dir: Path, start: dt.date, end: dt.date, warehouse: str) -> float:
    """Seconds to read, stage, compute and publish start … end in this process, without Prefect."""
    t = time.perf_counter()
    settings = Settings(sources={"files": {"path": str(source_dir)}})
    staged = stage_sources({n: read_entity(settings, n) for n in ENTITIES}, "USD")
    wh = Warehouse.open(warehouse)
    try:
        prepare(wh)
        publish_marts(wh, build_marts(staged.valid, "UTC", start, end), start, end)
    finally:
        wh.dispose()
    return time.perf_counter() - t


class PeakRss:
    """The largest VmHWM (peak resident set) seen among the descendants of some processes, sampled
    from /proc every `every` seconds: the flow-run processes a worker starts are not our children,
    so wait4 cannot tell their peak. A process's peak in its last `every` seconds may be missed."""

    def __init__(self, pids: list[int], every: float = SAMPLE_SECONDS):
        self.pids, self.every = pids, every
        self.peak_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for parent in self.pids:
                for pid in descendants(parent):
                    kb = _vm_hwm(pid)
                    if kb:
                        self.peak_kb[pid] = max(kb, self.peak_kb.get(pid, 0))
            self._stop.wait(self.every)

    @property
    def peak(self) -> int | None:
        return max(self.peak_kb.values(), default=None)


def _vm_hwm(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def through_workers(source_dir: Path, start: dt.date, end: dt.date, chunk_days: int, workdir: Path,
                    workers: int = 2) -> dict:
    """The range through the backfill deployment (chunks of `chunk_days`) on a fresh Prefect server
    with `workers` process workers; seconds from the run's creation to its end (the stack's start-up
    is `stack_seconds`, not included), the ledger's check, chunks per worker, and the peak RSS of the
    workers' flow-run processes (sampled)."""
    url = f"sqlite:///{workdir / 'w.db'}"
    t = time.perf_counter()
    with prefect_stack(workdir / "prefect", workers=workers,
                       worker_env={"OPSMETRICS_REPORTS_DIR": str(workdir / "reports")}) as stack:
        stack_seconds = time.perf_counter() - t
        worker_pids = [p.pid for p in stack.processes if p is not stack.server]
        with PeakRss(worker_pids) as rss:
            t = time.perf_counter()
            run = stack.wait(stack.run_deployment("backfill/backfill", {
                "start_date": start.isoformat(), "end_date": end.isoformat(), "chunk_days": chunk_days,
                "options": {"source_dir": str(source_dir), "warehouse": url}}), timeout=4 * 3600)
            seconds = time.perf_counter() - t
    engine = sa.create_engine(url)
    try:
        ledger = pd.read_sql("SELECT * FROM partition_runs", engine)
        dates = pd.read_sql("SELECT as_of_date, count(*) AS n FROM portfolio_daily GROUP BY as_of_date", engine)
    except Exception:  # nothing published: the state says why
        ledger = pd.DataFrame(columns=["worker", "run_id"])
        dates = pd.DataFrame(columns=["as_of_date", "n"])
    finally:
        engine.dispose()
    return {"seconds": seconds, "stack_seconds": stack_seconds, "state": run["state"]["type"],
            "message": (run["state"].get("message") or "")[:500],
            "published_dates": len(dates), "each_once": bool(len(dates) and (dates["n"] == 1).all()),
            "ledger_rows": len(ledger), "chunks_per_worker": {str(k): int(v) for k, v in
                                                              ledger.groupby("worker")["run_id"].nunique().items()},
            "peak_rss_kb": rss.peak, "sample_seconds": SAMPLE_SECONDS}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.2)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--chunk-days", type=int, default=31)
    ap.add_argument("--source-dir", type=Path, help="an existing file drop (default: generate one at --scale)")
    ap.add_argument("--end", type=dt.date.fromisoformat, default=END, help=f"last as-of date (default {END})")
    ap.add_argument("--no-baseline", action="store_true", help="skip the in-process pass")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    end = args.end
    start = end - dt.timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        drop = args.source_dir
        if drop is None:
            drop = tmp / "drop"
            generate(drop, scale=args.scale, seed=7, end_date=end)
        baseline = None if args.no_baseline else in_process_pass(drop, start, end, f"sqlite:///{tmp / 'baseline.db'}")
        out = through_workers(drop, start, end, args.chunk_days, tmp)
    out |= {"days": args.days, "chunk_days": args.chunk_days, "baseline_seconds": baseline}
    if args.json:
        args.json.write_text(json.dumps(out))
    where = f"source {args.source_dir}" if args.source_dir else f"scale {args.scale}"
    print(f"{args.days} dates, {where}, chunks of {args.chunk_days}: run {out['state']}"
          + (f" ({out['message']})" if out["state"] != "COMPLETED" and out["message"] else ""))
    print(f"  published dates: {out['published_dates']} (each once: {out['each_once']}); "
          f"ledger rows {out['ledger_rows']}, chunks per worker {out['chunks_per_worker']}")
    peak = f"{out['peak_rss_kb'] / 1024:.0f} MB" if out["peak_rss_kb"] else "n/a"
    if baseline is not None:
        print(f"  one in-process pass {baseline:.1f} s; two workers {out['seconds']:.1f} s "
              f"= {out['seconds'] / baseline:.2f}× the pass; largest flow-run process {peak}")
    else:
        print(f"  two workers {out['seconds']:.1f} s; largest flow-run process {peak}")


if __name__ == "__main__":
    main()
