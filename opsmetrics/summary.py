"""The short texts the CLI prints: the demo's headline figures and quarantine, and `status`."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from schemas.tables import MARTS
from tasks.report import RunResult, fmt
from tasks.warehouse.status import WarehouseStatus


def demo_summary(result: RunResult, warehouse: Path, campaigns: pd.DataFrame | None = None,
                 portfolio: pd.DataFrame | None = None) -> str:
    """The demo's text. The campaigns and the customer NPS are read from the latest as-of date of
    the SQLite `warehouse`'s campaign_daily and portfolio_daily, unless those tables are passed in."""
    funnel = None
    if campaigns is None or portfolio is None:
        read = latest_rows(warehouse, ("campaign_daily", "funnel_by_channel_daily", "portfolio_daily"))
        campaigns = read["campaign_daily"] if campaigns is None else campaigns
        portfolio = read["portfolio_daily"] if portfolio is None else portfolio
        funnel = read["funnel_by_channel_daily"]
    lines = ["", f"opsmetrics nightly refresh as of {result.end}: {result.status}", "", "Headline figures:"]
    width = max(map(len, result.headline)) if result.headline else 0
    lines += [f"  {k:<{width}}  {fmt(v)}" for k, v in result.headline.items()]
    lines += ["", *campaign_lines(campaigns, funnel), *nps_lines(portfolio)]
    lines += ["", "Rows quarantined per entity (of rows read):"]
    lines += [f"  {name:<16} {c['quarantined']:>6,} of {c['read']:>8,}" for name, c in result.counts.items()]
    lines += ["", f"Warehouse: {warehouse} (SQLite)", "  tables: " + ", ".join(list(MARTS) + ["quarantine", "run_log"]),
              f"  try: sqlite3 {warehouse.name} 'select * from portfolio_daily'"]
    return "\n".join(lines)


def latest_rows(warehouse: Path, tables: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The rows of each table at its latest as_of_date, from a SQLite warehouse file (empty frames
    where the file or the table is not there)."""
    import sqlalchemy as sa

    out = {name: pd.DataFrame() for name in tables}
    if not Path(warehouse).is_file():
        return out
    engine = sa.create_engine(f"sqlite:///{warehouse}")
    try:
        present = set(sa.inspect(engine).get_table_names())
        for name in tables:
            if name in present:
                out[name] = pd.read_sql(sa.text(f'SELECT * FROM "{name}" WHERE as_of_date = '
                                                f'(SELECT max(as_of_date) FROM "{name}")'), engine)
    finally:
        engine.dispose()
    return out


def campaign_lines(campaigns: pd.DataFrame, funnel: pd.DataFrame | None = None) -> list[str]:
    """The best and the worst campaign by the cost per win of its matured cohort (leads 90 to 179
    days old), among those whose matured leads had spend and a win, by the rules of the review
    pack's "Campaigns" section: young campaigns, overhead and the unattributed `unknown` are never
    named; those whose matured leads had spend and no win are counted apart."""
    from tasks.review.sections.campaigns import JUDGED, SPENT_WON_NOTHING, judge_campaigns

    if campaigns.empty:
        return ["Campaigns: none with leads or spend in the last 180 days."]
    day = campaigns["as_of_date"].max()
    latest = campaigns[campaigns["as_of_date"] == day]
    # the channel's costs only place a campaign against its channel; best and worst do not need them
    judged = judge_campaigns(latest, funnel if funnel is not None else pd.DataFrame())
    judged = judged[judged["kind"] == JUDGED]
    ranked = judged[judged["cost_per_win_prior_90d"] > 0].sort_values(["cost_per_win_prior_90d", "channel", "campaign"])
    lines = [f"Campaigns by cost per win of their matured leads (created 90 to 179 days before {str(day)[:10]}):"]
    if ranked.empty:
        lines.append("  none has matured leads with both spend and a win")
    else:
        picks = [("best", ranked.iloc[0])] + ([("worst", ranked.iloc[-1])] if len(ranked) > 1 else [])
        lines += [f"  {label:<6} {r['channel']} / {r['campaign']}: {fmt(float(r['cost_per_win_prior_90d']))} per win "
                  f"({int(r['won_prior_90d'])} won of {int(r['leads_prior_90d'])} matured leads, spend "
                  f"{fmt(float(r['spend_prior_90d']))})" for label, r in picks]
    idle = judged[judged["late"] == SPENT_WON_NOTHING]  # already largest matured spend first
    if not idle.empty:
        top = idle.iloc[0]
        lines.append(f"  spent on matured leads without a win: {len(idle)} campaign{'s' * (len(idle) > 1)}, the "
                     f"largest {top['channel']} / {top['campaign']} ({fmt(float(top['spend_prior_90d']))})")
    return lines


def nps_lines(portfolio: pd.DataFrame) -> list[str]:
    """The customer NPS of the latest as-of date's portfolio row."""
    if portfolio.empty or "nps_90d" not in portfolio:
        return []
    last = portfolio.sort_values("as_of_date").iloc[-1]
    responses = int(last["feedback_responses_90d"])
    nps = "–" if pd.isna(last["nps_90d"]) else f"{float(last['nps_90d']):+.1f}"
    return [f"Customer NPS (90 days): {nps} over {responses:,} response{'s' * (responses != 1)}"]


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
