"""What every flow does around the pipeline: settings from the run options, the warehouse opened
and closed, Prefect's logger and run id handed in, Secret blocks as the secret store, and the
artifacts: the run summary, a link to the weekly review pack and a table of the headline figures
with their week-over-week change; and, after a nightly run, the message to the team (`notify`)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect import get_run_logger
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.blocks.system import Secret
from prefect.runtime import flow_run

from schemas.config import RunOptions, Settings, load_settings
from tasks.credentials import install_secret_loader
from tasks.errors import one_line
from tasks.pipeline import new_run_id, open_warehouse
from tasks.report import RunResult, summary_markdown
from tasks.warehouse.connect import Warehouse


def _load_secret(name: str) -> str:
    return str(Secret.load(name).get())


install_secret_loader(_load_secret)  # `secret:NAME` in a configuration is a Prefect Secret block


@contextmanager
def pipeline_context(options: RunOptions | None) -> Iterator[tuple[Settings, Warehouse]]:
    """The settings of the run and its warehouse, open for the flow's duration."""
    settings = load_settings(options)
    with warehouse_context(settings) as wh:
        yield settings, wh


@contextmanager
def warehouse_context(settings: Settings) -> Iterator[Warehouse]:
    wh = open_warehouse(settings)
    try:
        yield wh
    finally:
        wh.dispose()


def notify(result: RunResult, settings: Settings, wh: Warehouse | None) -> None:
    """Tell the team (settings.notify: e-mail, chat) how the run went; a delivery that fails is an
    error in the run's log, never the run's failure (tasks/notify/)."""
    if settings.notify is not None:
        from tasks.notify import notify_run  # imported (with Apprise, later) only by a run that notifies

        notify_run(settings, result, wh, get_run_logger())


def run_id() -> str:
    return str(flow_run.get_id() or new_run_id())


def report(result: RunResult, settings: Settings, wh: Warehouse, review: bool = True) -> RunResult:
    """The run summary as a markdown artifact and, for a completed run, the review pack's link and
    the headline figures' table (read from `wh`, still open; not with `review=False`: a backfill
    chunk, whose backfill writes the pack); then the result, or the error that failed it."""
    try:
        create_markdown_artifact(key="opsmetrics-run-summary", markdown=summary_markdown(result),
                                 description=f"{result.flow} {result.start} … {result.end}: {result.status}")
    except Exception as exc:
        get_run_logger().warning("run summary artifact not created: %s", one_line(exc))
    if result.status == "completed" and review:
        try:
            review_artifacts(result, settings, wh)
        except Exception as exc:
            get_run_logger().warning("review pack artifacts not created: %s", one_line(exc))
    return result.raise_for_status()


def review_artifacts(result: RunResult, settings: Settings, wh: Warehouse) -> None:
    """A link to the run's review pack (a file:// address: it opens on the machine that ran the
    flow, or wherever reports_dir is shared) and the headline figures with their change."""
    from tasks.review import headline_changes, pack_path  # not loaded by a chunk, which has no pack

    pack = Path(pack_path(settings.reports_dir, result.end)).absolute()
    if pack.is_file():
        create_link_artifact(key="opsmetrics-review-pack", link=pack.as_uri(), link_text=f"Review pack as of {result.end}",
                             description=f"the weekly review pack as of {result.end}: {pack}")
    else:
        get_run_logger().warning("review pack %s not found: no link artifact", pack)
    rows = headline_changes(wh, result.end, settings.reporting_currency)
    if rows:
        create_table_artifact(key="opsmetrics-headline-changes", table=rows,
                              description=f"headline figures as of {result.end} and their change since "
                                          f"{result.end - dt.timedelta(days=7)}")
