"""The short texts the CLI prints: the demo's headline figures and quarantine, and `status`."""
from __future__ import annotations

from pathlib import Path

from schemas.tables import MARTS
from tasks.report import RunResult, fmt
from tasks.warehouse.status import WarehouseStatus


def demo_summary(result: RunResult, warehouse: Path) -> str:
    lines = ["", f"opsmetrics nightly refresh as of {result.end}: {result.status}", "", "Headline figures:"]
    width = max(map(len, result.headline)) if result.headline else 0
    lines += [f"  {k:<{width}}  {fmt(v)}" for k, v in result.headline.items()]
    lines += ["", "Rows quarantined per entity (of rows read):"]
    lines += [f"  {name:<16} {c['quarantined']:>6,} of {c['read']:>8,}" for name, c in result.counts.items()]
    lines += ["", f"Warehouse: {warehouse} (SQLite)", "  tables: " + ", ".join(list(MARTS) + ["quarantine", "run_log"]),
              f"  try: sqlite3 {warehouse.name} 'select * from portfolio_daily'"]
    return "\n".join(lines)


def status_text(status: WarehouseStatus, where: str) -> str:
    lines = [f"Warehouse {where}", "", "Published as-of dates:"]
    if status.published.empty:
        lines.append("  none yet")
    lines += [f"  {r.flow:<16} {r.first:%Y-%m-%d} … {r.last:%Y-%m-%d}  ({r.dates} date{'s' * (r.dates > 1)})"
              for r in status.published.itertuples()]
    if not status.failed.empty:
        lines += ["", "Dates whose last try failed (rerun a backfill with --only-failed):"]
        lines += [f"  {r.flow:<16} {r.as_of_date:%Y-%m-%d}  run {r.run_id}" for r in status.failed.itertuples()]
    lines += ["", f"Last {len(status.runs)} runs:"]
    if status.runs.empty:
        lines.append("  none yet")
    lines += [f"  {str(r.started_at)[:19]}  {r.flow:<16} {r.as_of_start} … {r.as_of_end}  {r.status:<9} {r.message}"
              for r in status.runs.itertuples()]
    return "\n".join(lines)
