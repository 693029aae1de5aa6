"""`opsmetrics`: generate sample data, run the nightly refresh or a backfill, or the whole demo.

Prefect and Great Expectations are imported only by the commands that run flows: `--help` stays
instant. A failed command exits 1 and its last line on stderr is the one-line reason.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

DEMO_DIR, DEMO_WAREHOUSE = "data/sample", "sqlite:///warehouse.db"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="YAML configuration (see README); flags override it")
    p.add_argument("--source-dir", metavar="DIR", help="folder of the file drop (default: data/sample)")
    p.add_argument("--warehouse", metavar="URL", help="SQLAlchemy URL of the warehouse "
                   "(default: sqlite:///warehouse.db; env OPSMETRICS_WAREHOUSE)")
    p.add_argument("--timezone", metavar="TZ", help="business time zone, e.g. Europe/Paris (default: UTC)")
    p.add_argument("--currency", metavar="CUR", help="reporting currency, ISO 4217 (default: USD)")
    p.add_argument("--full-refresh", action="store_true",
                   help="connectors re-read everything (and drop records the source no longer has)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="opsmetrics", description=__doc__.split("\n\n")[0])
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    g = sub.add_parser("generate", help="write a deterministic sample dataset (file-drop format)",
                       description="Write a realistic sample dataset, one CSV per entity, with a small share "
                       "of bad rows of every kind.")
    g.add_argument("--out", required=True, metavar="DIR", help="folder to write the CSV files into")
    g.add_argument("--scale", type=float, default=1.0, help="volume multiplier (1 ≈ 20,000 leads; default 1)")
    g.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    g.add_argument("--end-date", type=_date, metavar="D", help="last date of the data (default: yesterday, UTC)")
    r = sub.add_parser("run", help="the nightly refresh for one as-of date",
                       description="Refresh every summary table as of one date.")
    _run_options(r)
    r.add_argument("--as-of", type=_date, metavar="D", help="as-of date (default: yesterday in the business time zone)")
    b = sub.add_parser("backfill", help="refresh every as-of date of a range",
                       description="Recompute every summary table for each date from --start to --end.")
    _run_options(b)
    b.add_argument("--start", type=_date, required=True, metavar="D1", help="first as-of date")
    b.add_argument("--end", type=_date, required=True, metavar="D2", help="last as-of date (included)")
    b.add_argument("--only-failed", action="store_true",
                   help="compute only the dates of the range that no run has published (see partition_runs)")
    gr = sub.add_parser("grant-reader", help="create or update a read-only PostgreSQL role for BI tools",
                        description="Create (or update) ROLE: it can log in and read the output schema's tables "
                        "and views, and nothing else (not the raw landing tables, no writes).")
    gr.add_argument("role", metavar="ROLE", help="the role's name")
    gr.add_argument("--config", metavar="FILE", help="YAML configuration (for the warehouse and its schema)")
    gr.add_argument("--warehouse", metavar="URL", help="SQLAlchemy URL of the PostgreSQL warehouse")
    gr.add_argument("--password-env", metavar="VAR",
                    help="name of an environment variable holding the role's password (never on the command line)")
    d = sub.add_parser("demo", help=f"generate into {DEMO_DIR}/, run into ./warehouse.db, print a summary",
                       description="Generate the sample data, run the nightly refresh on it into a local "
                       "SQLite warehouse, and print the headline figures.")
    d.add_argument("--scale", type=float, default=1.0, help="sample volume multiplier (default 1)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        _quiet_shutdown()
        print("opsmetrics: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the one-line reason, last on stderr (Prefect has logged the details)
        from flows.refresh import one_line

        _quiet_shutdown()
        print(f"opsmetrics {args.command} failed: {one_line(exc)}", file=sys.stderr)
        return 1


def _quiet_shutdown() -> None:
    """Prefect logs "Stopping temporary server" at exit; keep the reason the last line on stderr."""
    import logging

    logging.getLogger("prefect").setLevel(logging.WARNING)
    sys.stderr.flush()


def _generate(args: argparse.Namespace) -> int:
    from opsmetrics.sample import generate

    rows = generate(args.out, scale=args.scale, seed=args.seed, end_date=args.end_date)
    print(f"wrote {sum(rows.values()):,} rows to {args.out}: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    return 0


def _flow_kwargs(args: argparse.Namespace) -> dict:
    return {"config": args.config, "source_dir": args.source_dir, "warehouse": args.warehouse,
            "timezone": args.timezone, "currency": args.currency, "full_refresh": args.full_refresh}


def _run(args: argparse.Namespace) -> int:
    from flows.nightly_refresh import nightly_refresh

    result = nightly_refresh(as_of=args.as_of, **_flow_kwargs(args))
    print(f"run {result.run_id}: {result.status}, {result.message}")
    return 0


def _backfill(args: argparse.Namespace) -> int:
    from flows.backfill import backfill

    result = backfill(start_date=args.start, end_date=args.end, only_failed=args.only_failed, **_flow_kwargs(args))
    print(f"backfill {result.run_id}: {result.status}, {result.message}")
    return 0


def _grant_reader(args: argparse.Namespace) -> int:
    from opsmetrics.settings import SettingsError, load_settings
    from tasks.warehouse.access import grant_reader
    from tasks.warehouse.connect import Warehouse
    from tasks.warehouse.migrate import upgrade

    password = None
    if args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            raise SettingsError(f"--password-env: environment variable {args.password_env} is not set or empty")
    settings = load_settings(args.config, warehouse=args.warehouse)
    wh = Warehouse.open(settings.warehouse, settings.warehouse_schema)
    try:
        upgrade(wh)  # the schema and the landing schema must exist before they are granted
        for sql in grant_reader(wh, args.role, password):
            print(sql)
    finally:
        wh.dispose()
    print(f"role {args.role} can read schema {wh.schema} of {wh.url}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from flows.nightly_refresh import nightly_refresh
    from opsmetrics.sample import generate
    from opsmetrics.summary import demo_summary

    as_of = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    rows = generate(DEMO_DIR, scale=args.scale, end_date=as_of)
    print(f"generated {sum(rows.values()):,} sample rows into {DEMO_DIR}/")
    result = nightly_refresh(as_of=as_of, source_dir=DEMO_DIR, warehouse=DEMO_WAREHOUSE)
    print(demo_summary(result, Path("warehouse.db").resolve()))
    return 0


COMMANDS = {"generate": _generate, "run": _run, "backfill": _backfill, "grant-reader": _grant_reader, "demo": _demo}

if __name__ == "__main__":
    sys.exit(main())
