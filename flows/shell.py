"""What every flow does around the pipeline: settings from the run options, the warehouse opened
and closed, Prefect's logger and run id handed in, Secret blocks as the secret store, and the run
summary as an artifact."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
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
    wh = open_warehouse(settings)
    try:
        yield settings, wh
    finally:
        wh.dispose()


def run_id() -> str:
    return str(flow_run.get_id() or new_run_id())


def report(result: RunResult) -> RunResult:
    """The run summary as a markdown artifact; then the result, or the error that failed it."""
    try:
        create_markdown_artifact(key="opsmetrics-run-summary", markdown=summary_markdown(result),
                                 description=f"{result.flow} {result.start} … {result.end}: {result.status}")
    except Exception as exc:
        get_run_logger().warning("run summary artifact not created: %s", one_line(exc))
    return result.raise_for_status()
