"""The measured processes of benchmarks/bench.py: each mode is one thing, run in a process of its
own so that its peak RSS is its own. The harness times the process from outside and reads
`--result FILE` (JSON) for what only the process can see.

    python benchmarks/_measure.py read-floor DIR --result R
    python benchmarks/_measure.py pipeline DIR --start D --end D --warehouse URL --reports DIR --result R
    python benchmarks/_measure.py prefect-server --result R
    python benchmarks/_measure.py publish --rows N [--pg-url URL] --result R
"""
from __future__ import annotations

import time

T0 = time.time()  # before any import of this process's own

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LOG_FORMAT = "%(asctime)s.%(msecs)03d | %(levelname)-7s | %(name)s - %(message)s"  # Prefect's console format


def read_floor(folder: Path) -> dict:
    """pyarrow reads every CSV file of the folder, every column as a string, and nothing else."""
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    imported = time.time()
    files = sorted(folder.glob("*.csv"))
    headers = {}
    for path in files:  # the column names, to read every column as text (not timed: a few bytes)
        with open(path, newline="", encoding="utf-8") as f:
            headers[path] = next(csv.reader(f), [])
    rows = 0
    t = time.perf_counter()
    for path in files:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=lambda row: "skip"),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in headers[path]},
                                                 strings_can_be_null=False))
        rows += table.num_rows
        del table
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "rows": rows, "files": len(files), "bytes": sum(p.stat().st_size for p in files),
            "imported_at": imported}


def pipeline(folder: Path, start: str, end: str, warehouse: str, reports: str) -> dict:
    """tasks.pipeline.run with the plain steps, one pass over start … end, the stage functions timed
    (benchmarks/_stage_timing.py) and each step's log line printed with its time on stderr."""
    import datetime as dt
    import logging

    from schemas.config import Settings
    from tasks import pipeline as pl

    sys.path.insert(0, str(HERE))
    import _stage_timing

    _stage_timing.marks["imported tasks.pipeline"] = time.time()
    _stage_timing.install()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
    log = logging.getLogger("opsmetrics.bench")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    settings = Settings(sources={"files": {"path": str(folder)}}, warehouse=warehouse, reports_dir=reports)
    wh = pl.open_warehouse(settings)
    try:
        result = pl.run(settings, dt.date.fromisoformat(start), dt.date.fromisoformat(end), warehouse=wh, log=log,
                        run_id=pl.new_run_id())
    finally:
        wh.dispose()
    done = time.time()
    if result.status != "completed":
        raise SystemExit(f"pipeline run {result.status}: {result.message}")
    return {**_stage_timing.snapshot(), "finished_at": done, "message": result.message,
            "rows_written": sum((result.written or {}).values())}


def prefect_server() -> dict:
    """Prefect's temporary server (what a flow run without PREFECT_API_URL starts): import, start, stop."""
    t = time.perf_counter()
    from prefect.server.api.server import SubprocessASGIServer

    imported = time.perf_counter()
    server = SubprocessASGIServer()
    server.start()
    started = time.perf_counter()
    server.stop()
    return {"import_s": imported - t, "seconds": started - imported, "stop_s": time.perf_counter() - started}


def publish(rows: int, pg_url: str | None) -> dict:
    """benchmarks/publish_throughput.py's measure(rows, pg_url), if that module is there."""
    import importlib

    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    try:
        module = importlib.import_module("publish_throughput")
    except ModuleNotFoundError as exc:
        if exc.name != "publish_throughput":
            return {"error": f"benchmarks/publish_throughput.py does not import: {exc}"}
        return {"error": "benchmarks/publish_throughput.py is not there (yet)"}
    except Exception as exc:
        return {"error": f"benchmarks/publish_throughput.py does not import: {type(exc).__name__}: {exc}"}
    if not callable(getattr(module, "measure", None)):
        return {"error": "benchmarks/publish_throughput.py has no measure(rows, pg_url)"}
    try:
        return {"result": module.measure(rows, pg_url)}
    except Exception as exc:
        return {"error": f"publish_throughput.measure failed: {type(exc).__name__}: {str(exc)[:300]}"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["read-floor", "pipeline", "prefect-server", "publish"])
    ap.add_argument("folder", nargs="?")
    ap.add_argument("--start")
    ap.add_argument("--end")
    ap.add_argument("--warehouse")
    ap.add_argument("--reports")
    ap.add_argument("--rows", type=int)
    ap.add_argument("--pg-url")
    ap.add_argument("--result", required=True)
    args = ap.parse_args()
    if args.mode == "read-floor":
        out = read_floor(Path(args.folder))
    elif args.mode == "pipeline":
        out = pipeline(Path(args.folder), args.start, args.end, args.warehouse, args.reports)
    elif args.mode == "prefect-server":
        out = prefect_server()
    else:
        out = publish(args.rows, args.pg_url)
    out["process_started_at"] = T0
    Path(args.result).write_text(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
