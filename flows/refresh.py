"""What both flows do for a range of as-of dates: extract, stage, quarantine, gate, compute,
publish; and, whatever happens, a run_log row and a markdown artifact."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd
from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from flows import steps
from opsmetrics.settings import Settings
from opsmetrics.summary import fmt
from tasks.staging.stage import Staged
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.ledger import mark_failed
from tasks.warehouse.publish import write_run_log

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
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    rules: list[dict] = field(default_factory=list)
    headline: dict[str, float | int | None] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


@contextmanager
def prepared_warehouse(settings: Settings) -> Iterator[Warehouse]:
    """The warehouse, migrated and documented, for a flow that reads the ledger before it refreshes."""
    wh = Warehouse.open(settings.warehouse, settings.warehouse_schema)
    try:
        steps.prepare_warehouse(wh)
        yield wh
    finally:
        wh.dispose()


def refresh(settings: Settings, start: dt.date, end: dt.date, flow_name: str, full_refresh: bool = False,
            part: str | None = None, wh: Warehouse | None = None) -> RunResult:
    """One pass over the sources for the as-of dates start … end. `part` tells the passes of one
    flow run apart ("2/3"), so each gets its own run_log row. `wh`: a warehouse the caller has
    opened and prepared (it stays open); without it one is opened and prepared here."""
    log = get_run_logger()
    run_id = str(flow_run.get_id() or uuid.uuid4())
    result = RunResult(f"{run_id}#{part}" if part else run_id, flow_name, start, end)
    started = dt.datetime.now(dt.UTC)
    own = wh is None
    wh = wh or Warehouse.open(settings.warehouse, settings.warehouse_schema)
    log.info("%s %s: as of %s … %s, sources %s, warehouse %s", flow_name, result.run_id, start, end,
             ", ".join(settings.sources), wh.url)
    try:
        if own:
            steps.prepare_warehouse(wh)
        steps.sync(settings, wh, full_refresh)
        raw = steps.extract(settings, wh)
        staged = steps.stage(raw, settings.reporting_currency)
        _record_staging(result, staged)
        steps.save_quarantine(wh, result.run_id, staged, started)
        steps.gate(staged, settings.max_quarantine_share)
        marts = steps.compute(staged.valid, settings.business_timezone, start, end)
        result.written = steps.publish(wh, marts, start, end, (flow_name, result.run_id))
        result.headline = _headline(marts["portfolio_daily"])
        result.status = "completed"
        days = (end - start).days + 1
        result.message = f"published {days} as-of date{'s' if days > 1 else ''} {start} … {end}"
        return result
    except Exception as exc:
        result.message = one_line(exc)
        _mark_failed(wh, result, log)
        raise
    finally:
        _log_run(wh, result, started, log)
        if own:
            wh.dispose()


def _mark_failed(wh: Warehouse, result: RunResult, log) -> None:
    try:
        mark_failed(wh, result.flow, result.run_id, result.start, result.end)
    except Exception as exc:  # the warehouse may be what failed: keep the first error
        log.error("partition_runs could not be updated: %s", one_line(exc))


def _record_staging(result: RunResult, staged: Staged) -> None:
    result.counts = {name: {k: int(v) for k, v in row.items()} for name, row in staged.counts.iterrows()}
    result.rules = staged.rules.to_dict("records")


def _headline(portfolio: pd.DataFrame) -> dict:
    last = portfolio.iloc[-1]
    return {k: (None if pd.isna(last[k]) else last[k].item() if hasattr(last[k], "item") else last[k])
            for k in HEADLINES}


def _log_run(wh: Warehouse, result: RunResult, started: dt.datetime, log) -> None:
    row = {"run_id": result.run_id, "flow": result.flow, "as_of_start": result.start, "as_of_end": result.end,
           "started_at": started, "finished_at": dt.datetime.now(dt.UTC), "status": result.status,
           "message": result.message}
    for name, c in result.counts.items():
        row |= {f"{name}_{k}": v for k, v in c.items() if k != "valid"}
    try:
        write_run_log(wh, row)
    except Exception as exc:  # the warehouse itself may be what failed: say so, keep the first error
        log.error("run_log could not be written: %s", one_line(exc))
    try:
        create_markdown_artifact(key="opsmetrics-run-summary", markdown=summary_markdown(result),
                                 description=f"{result.flow} {result.start} … {result.end}: {result.status}")
    except Exception as exc:
        log.warning("run summary artifact not created: %s", one_line(exc))


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
    if result.rules:
        lines += ["## Quarantined rows per rule", "", "| entity | rule | rows |", "|---|---|---|"]
        lines += [f"| {r['entity']} | `{r['rule']}` | {r['rows']} |" for r in result.rules]
    return "\n".join(lines)
