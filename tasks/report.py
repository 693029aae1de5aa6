"""What a run reports: its result (counts, quarantine per rule, headline figures) and the same as
markdown, which flows/ turns into a Prefect artifact and the demo prints in short."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

# the figures a reader of the run summary sees first (all columns of portfolio_daily)
HEADLINES = ("leads_created_30d", "open_pipeline_amount", "bookings_30d", "win_rate_90d", "customers_total",
             "active_projects", "milestones_overdue", "labour_cost_30d", "delivered_margin_pct_90d")


@dataclass
class RunResult:
    run_id: str
    flow: str
    start: dt.date
    end: dt.date
    status: str = "failed"
    message: str = ""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # entity → read, valid, quarantined, …
    quarantined_per_rule: list[dict] = field(default_factory=list)  # entity, rule, rows
    headline: dict[str, float | int | None] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)  # table → rows published
    error: BaseException | None = field(default=None, repr=False)

    def raise_for_status(self) -> RunResult:
        """The result, or the error that failed the run (so the caller's exit says why)."""
        if self.error is not None:
            raise self.error
        return self


def headline(portfolio: pd.DataFrame) -> dict[str, float | int | None]:
    """The HEADLINES of the last as-of date, as plain Python values (None for a null figure)."""
    last = portfolio.iloc[-1]
    return {k: (None if pd.isna(last[k]) else last[k].item() if hasattr(last[k], "item") else last[k])
            for k in HEADLINES}


def fmt(v: object) -> str:
    """A figure for people: thousands separated, small ratios with 4 significant digits."""
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 10 else f"{v:,.0f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def summary_markdown(result: RunResult) -> str:
    lines = [f"# {result.flow}: {result.status}", "", f"As of {result.start} … {result.end}. {result.message}", ""]
    if result.headline:
        lines += [f"## Headline figures as of {result.end}", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {fmt(v)} |" for k, v in result.headline.items()]
        lines.append("")
    if result.counts:
        lines += ["## Rows per entity", "", "| entity | read | valid | quarantined | superseded | collapsed |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {n} | {c['read']} | {c['valid']} | {c['quarantined']} | {c['superseded']} | {c['collapsed']} |"
                  for n, c in result.counts.items()]
        lines.append("")
    if result.quarantined_per_rule:
        lines += ["## Quarantined rows per rule", "", "| entity | rule | rows |", "|---|---|---|"]
        lines += [f"| {r['entity']} | `{r['rule']}` | {r['rows']} |" for r in result.quarantined_per_rule]
    return "\n".join(lines)
