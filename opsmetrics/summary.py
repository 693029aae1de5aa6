"""The short text the demo prints: headline figures, quarantine per entity, where the tables are."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from schemas.tables import MARTS

if TYPE_CHECKING:
    from flows.refresh import RunResult


def fmt(v: object) -> str:
    """A figure for people: thousands separated, small ratios with 4 significant digits."""
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 10 else f"{v:,.0f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def demo_summary(result: RunResult, warehouse: Path) -> str:
    lines = ["", f"opsmetrics nightly refresh as of {result.end}: {result.status}", "", "Headline figures:"]
    width = max(map(len, result.headline)) if result.headline else 0
    lines += [f"  {k:<{width}}  {fmt(v)}" for k, v in result.headline.items()]
    lines += ["", "Rows quarantined per entity (of rows read):"]
    lines += [f"  {name:<16} {c['quarantined']:>6,} of {c['read']:>8,}" for name, c in result.counts.items()]
    lines += ["", f"Warehouse: {warehouse} (SQLite)", "  tables: " + ", ".join(list(MARTS) + ["quarantine", "run_log"]),
              f"  try: sqlite3 {warehouse.name} 'select * from portfolio_daily'"]
    return "\n".join(lines)
