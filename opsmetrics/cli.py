"""`opsmetrics`: generate sample data, run the nightly refresh or a backfill, or the whole demo.

The configuration is checked (schemas/config.py) before Prefect or Great Expectations is imported:
a bad setting fails in well under a second, and `--help` is instant. A failed command exits 1 and
its last line on stderr is the one-line reason.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DEMO_DIR, DEMO_WAREHOUSE = "data/sample", "sqlite:///warehouse.db"

EPILOG = """\
examples:
  opsmetrics demo
  opsmetrics run --config opsmetrics.yaml                 # yesterday, and every night missed since the last run
  opsmetrics run --config opsmetrics.yaml --as-of 2026-11-30
  opsmetrics backfill --config opsmetrics.yaml --start 2026-01-01 --end 2026-11-30
  opsmetrics status --config opsmetrics.yaml
  opsmetrics report --config opsmetrics.yaml --as-of 2026-11-30 --lang zh
  opsmetrics report --config opsmetrics.yaml --as-of 2026-11-30 --project PRJ-0042
  opsmetrics check-config opsmetrics.yaml

environment:
  OPSMETRICS_CONFIG     the configuration file when --config is not given (how workers find theirs)
  OPSMETRICS_WAREHOUSE  the warehouse URL (or env:VAR / secret:BLOCK), over the configuration's
  PREFECT_API_URL       run on this Prefect server (seen in its UI); unset, run and backfill go
                        in-process (no server started; a secret: reference still needs one)
"""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _package_version() -> str:
    try:
        return version("opsmetrics")
    except PackageNotFoundError:
        return "unknown"


def _config_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="YAML configuration (see README); default $OPSMETRICS_CONFIG")
    p.add_argument("--warehouse", metavar="URL", help="SQLAlchemy URL without a password, or env:VAR / secret:BLOCK "
                   "(default: sqlite:///warehouse.db; env OPSMETRICS_WAREHOUSE)")


def _run_options(p: argparse.ArgumentParser) -> None:
    _config_option(p)
    p.add_argument("--source-dir", metavar="DIR", help="folder of the file drop (default: data/sample)")
    p.add_argument("--timezone", metavar="TZ", help="business time zone, e.g. Europe/Paris (default: UTC)")
    p.add_argument("--currency", metavar="CUR", help="reporting currency, ISO 4217 (default: USD)")
    p.add_argument("--allow-shrink", metavar="ENTITY", action="append",
                   help="let this entity through the shrink guard for this run (repeatable)")
    p.add_argument("--full-refresh", action="store_true",
                   help="connectors re-read everything (and drop records the source no longer has)")
    p.add_argument("--allow-future", action="store_true",
                   help="accept an as-of date after today in the business time zone (refused as a typo otherwise)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="opsmetrics", description=__doc__.split("\n\n")[0], epilog=EPILOG,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"opsmetrics {_package_version()}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    g = sub.add_parser("generate", help="write a deterministic sample dataset (file-drop format)",
                       description="Write a realistic sample dataset, one CSV per entity, with a small share "
                       "of bad rows of every kind.")
    g.add_argument("--out", required=True, metavar="DIR", help="folder to write the CSV files into")
    g.add_argument("--scale", type=float, default=1.0, help="volume multiplier (1 ≈ 20,000 leads; default 1)")
    g.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    g.add_argument("--end-date", type=_date, metavar="D", help="last date of the data (default: yesterday, UTC)")
    r = sub.add_parser("run", help="the nightly refresh: yesterday and every night missed since the last one",
                       description="Refresh every summary table as of yesterday in the business time zone, "
                       "together with every night missed since the last nightly run (at most 31), in one pass. "
                       "With --as-of, that one date only.")
    _run_options(r)
    r.add_argument("--as-of", type=_date, metavar="D",
                   help="compute this one date only (default: yesterday and the missed nights)")
    b = sub.add_parser("backfill", help="refresh every as-of date of a range",
                       description="Recompute every summary table for each date from --start to --end.")
    _run_options(b)
    b.add_argument("--start", type=_date, required=True, metavar="D1", help="first as-of date")
    b.add_argument("--end", type=_date, required=True, metavar="D2", help="last as-of date (included)")
    b.add_argument("--only-failed", action="store_true",
                   help="compute only the dates of the range that no run has published (see partition_runs)")
    s = sub.add_parser("status", help="which dates are published, and the last runs with their reasons",
                       description="Read the warehouse's ledger (partition_runs) and run log: the published "
                       "dates per flow, the dates that failed, and the last runs.")
    _config_option(s)
    s.add_argument("--runs", type=int, default=10, metavar="N", help="how many recent runs to list (default 10)")
    rp = sub.add_parser("report", help="write the weekly review pack (one HTML page) from the warehouse",
                        description="Make the weekly review pack as of D from the warehouse alone: what changed, "
                        "headline figures, funnel and channels, delivery, effort, data quality and restated "
                        "figures, in one self-contained HTML file that opens offline. Prints its path.")
    _config_option(rp)
    rp.add_argument("--as-of", type=_date, metavar="D", help="the pack's as-of date (default: the latest published)")
    rp.add_argument("--lang", choices=("en", "zh"), default="en", help="English or Chinese (default en)")
    rp.add_argument("--out", metavar="FILE", help="where to write it (default: <reports_dir>/review-<D>.html, "
                    "review-<D>.zh.html in Chinese; reports_dir is a setting, default reports); the pages of the "
                    "red and amber projects its Delivery table links to go beside it, in projects/")
    rp.add_argument("--project", metavar="ID", help="write this project's page instead (专项盘点: health and why, "
                    "budget burn against schedule, milestones, effort, products, what its customer said, notes); "
                    "default --out: <reports_dir>/projects/<ID>-<D>.html (.zh.html in Chinese)")
    c = sub.add_parser("check-config", help="check a configuration file and print it with the defaults filled in",
                       description="Validate FILE as the run would (every setting, unknown keys included) and "
                       "print the settings it gives; exit 1 naming the setting when one is wrong.")
    c.add_argument("file", metavar="FILE", help="the YAML configuration file")
    gr = sub.add_parser("grant-reader", help="create or update a read-only PostgreSQL role for BI tools",
                        description="Create (or update) ROLE: it can log in and read the output schema's tables "
                        "and views, and nothing else (not the raw landing tables, no writes).")
    gr.add_argument("role", metavar="ROLE", help="the role's name")
    _config_option(gr)
    gr.add_argument("--password-env", metavar="VAR",
                    help="name of an environment variable holding the role's password (never on the command line)")
    d = sub.add_parser("demo", help=f"generate into {DEMO_DIR}/, run into ./warehouse.db, print a summary",
                       description="Generate the sample data, backfill the two years before yesterday and run the "
                       "nightly refresh on it into a local SQLite warehouse, print the headline figures and the "
                       "path of the weekly review pack.")
    d.add_argument("--scale", type=float, default=1.0, help="sample volume multiplier (default 1)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # the temporary server of a run without PREFECT_API_URL: time to start on a busy machine, and
    # no telemetry (offline, every run would log an ERROR about it)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        _quiet_shutdown()
        print("opsmetrics: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the one-line reason, last on stderr (the run's log has the details)
        from tasks.errors import one_line

        _quiet_shutdown()
        print(f"opsmetrics {args.command} failed: {one_line(exc)}", file=sys.stderr)
        return 1


def _quiet_shutdown() -> None:
    """Keep the reason the last line on stderr: Prefect logs "Stopping temporary server" at exit,
    and with PREFECT_API_URL set its events worker may warn "Still processing items" after the last
    line. Drain the events now, then silence logging for the rest of the process."""
    import logging

    if "prefect" in sys.modules:
        try:
            from prefect.events.worker import EventsWorker

            EventsWorker.drain_all(timeout=10)
        except Exception:  # draining is a courtesy: the reason must be printed whatever happens
            pass
    logging.disable(logging.CRITICAL)
    sys.stderr.flush()


def _options(args: argparse.Namespace):
    """The run options of the command line, checked, with the settings they give: both before
    anything slow is imported."""
    from schemas.config import load_settings, parse_options

    given = {"config": args.config, "warehouse": args.warehouse,
             **{k: getattr(args, k, None) for k in ("source_dir", "timezone", "currency", "allow_shrink")},
             "full_refresh": getattr(args, "full_refresh", False),
             "allow_future": getattr(args, "allow_future", False)}
    options = parse_options({k: v for k, v in given.items() if v is not None}, where="command line")
    return options, load_settings(options)


def _open_warehouse(settings):
    """The warehouse of a command that runs no flow; a `secret:` reference needs Prefect's Secret
    blocks, which importing the flows' shell installs (only then is Prefect imported)."""
    if settings.warehouse.strip().startswith("secret:"):
        import flows.shell  # noqa: F401 - installs the secret store
    from tasks.pipeline import open_warehouse

    return open_warehouse(settings)


def _generate(args: argparse.Namespace) -> int:
    from opsmetrics.sample import generate

    rows = generate(args.out, scale=args.scale, seed=args.seed, end_date=args.end_date)
    print(f"wrote {sum(rows.values()):,} rows to {args.out}: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    return 0


def _nightly(options, settings, as_of: dt.date | None):
    """The nightly refresh: a Prefect flow run on the server of PREFECT_API_URL, else in-process
    (opsmetrics/local.py: no temporary server for a run nobody can look at)."""
    from opsmetrics import local

    if local.in_process(settings):
        return local.nightly(options, as_of)
    from flows.nightly_refresh import nightly_refresh

    return nightly_refresh(as_of=as_of, options=options)


def _range(options, settings, start: dt.date, end: dt.date, only_failed: bool = False):
    """A backfill, on the Prefect server or in-process (as `_nightly`)."""
    from opsmetrics import local

    if local.in_process(settings):
        return local.backfill(options, start, end, only_failed)
    from flows.backfill import backfill

    return backfill(start_date=start, end_date=end, only_failed=only_failed, options=options)


def _run(args: argparse.Namespace) -> int:
    from schemas.config import check_not_future

    options, settings = _options(args)
    if args.as_of:
        check_not_future(args.as_of, settings.business_timezone, options.allow_future, name="--as-of")
    result = _nightly(options, settings, args.as_of)
    print(f"run {result.run_id}: {result.status}, {result.message}")
    return 0


def _backfill(args: argparse.Namespace) -> int:
    from schemas.config import check_not_future

    options, settings = _options(args)
    check_not_future(args.end, settings.business_timezone, options.allow_future, name="--end")
    result = _range(options, settings, args.start, args.end, args.only_failed)
    print(f"backfill {result.run_id}: {result.status}, {result.message}")
    return 0


def _status(args: argparse.Namespace) -> int:
    _, settings = _options(args)
    from opsmetrics.summary import status_text
    from tasks.warehouse.status import warehouse_status

    wh = _open_warehouse(settings)
    try:
        print(status_text(warehouse_status(wh, args.runs), wh.url))
    finally:
        wh.dispose()
    return 0


def _report(args: argparse.Namespace) -> int:
    _, settings = _options(args)
    from tasks.review import (
        ReviewError,
        latest_published,
        pack_path,
        project_page_path,
        write_pack,
        write_project_page,
        write_project_pages,
    )

    wh = _open_warehouse(settings)
    try:
        as_of = args.as_of or latest_published(wh)
        if as_of is None:
            raise ReviewError(f"nothing published in {wh.url} yet: run or backfill first")
        currency = settings.reporting_currency
        if args.project:
            out = args.out or project_page_path(settings.reports_dir, args.project, as_of, args.lang)
            pack = pack_path(settings.reports_dir, as_of, args.lang)
            back = f"../{pack.name}" if not args.out and pack.is_file() else None  # beside its pack: a link back
            path = write_project_page(wh, args.project, as_of, out, lang=args.lang, currency=currency, back=back)
        else:
            out = args.out or pack_path(settings.reports_dir, as_of, args.lang)
            path = write_pack(wh, as_of, out, lang=args.lang, currency=currency,
                              min_responses=settings.review.min_responses)
            # the pages its Delivery table links to, in its language
            write_project_pages(wh, as_of, path, lang=args.lang, currency=currency)
    finally:
        wh.dispose()
    print(path)
    return 0


def _check_config(args: argparse.Namespace) -> int:
    import yaml

    from schemas.config import load_settings

    settings = load_settings(config=args.file)
    print(f"{args.file}: ok")
    print(yaml.safe_dump(settings.model_dump(mode="json"), sort_keys=False, allow_unicode=True).rstrip())
    return 0


def _grant_reader(args: argparse.Namespace) -> int:
    from schemas.config import SettingsError

    password = None
    if args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            raise SettingsError(f"--password-env: environment variable {args.password_env} is not set or empty")
    _, settings = _options(args)
    from tasks.warehouse.access import grant_reader
    from tasks.warehouse.migrate import upgrade

    wh = _open_warehouse(settings)
    try:
        upgrade(wh)  # the schema and the landing schema must exist before they are granted
        for sql in grant_reader(wh, args.role, password):
            print(sql)
    finally:
        wh.dispose()
    print(f"role {args.role} can read schema {wh.schema} of {wh.url}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from opsmetrics.sample import generate
    from schemas.config import RunOptions

    as_of = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    rows = generate(DEMO_DIR, scale=args.scale, end_date=as_of)
    print(f"generated {sum(rows.values()):,} sample rows into {DEMO_DIR}/")
    from opsmetrics.summary import demo_summary
    from schemas.config import load_settings
    from tasks.review import pack_path
    from tasks.review.data import history_start

    options = RunOptions(source_dir=DEMO_DIR, warehouse=DEMO_WAREHOUSE)
    settings = load_settings(options)
    # history for the review pack's charts: every date it reads (its 12 month-ends and the 12 a year
    # before them, about two years), in one pass
    _range(options, settings, history_start(as_of), as_of - dt.timedelta(days=1))
    result = _nightly(options, settings, as_of)
    print(demo_summary(result, Path("warehouse.db").resolve()))
    pack = pack_path(settings.reports_dir, as_of).absolute()
    print(f"\nReview pack: {pack}" if pack.is_file() else f"\nReview pack: not written (see the run's log): {pack}")
    return 0


COMMANDS = {"generate": _generate, "run": _run, "backfill": _backfill, "status": _status, "report": _report,
            "check-config": _check_config, "grant-reader": _grant_reader, "demo": _demo}

if __name__ == "__main__":
    sys.exit(main())
