"""What the parent of a backfill shows while its chunks run (flows/backfill.py: Progress), with flow
runs as the API gives them and the artifact calls recorded: no server. The whole thing on a real
server with two workers is tests/test_workers.py."""
from __future__ import annotations

import datetime as dt
import logging
import uuid

import pytest
from prefect.client.schemas.objects import FlowRun
from prefect.states import Completed, Crashed, Failed

from flows import backfill

D = dt.date(2026, 1, 1)
CHUNKS = [(D, D + dt.timedelta(days=4)), (D + dt.timedelta(days=5), D + dt.timedelta(days=9)),
          (D + dt.timedelta(days=12), D + dt.timedelta(days=12))]  # only_failed: the 11th and 12th were published


@pytest.fixture
def calls(monkeypatch):
    made: list[tuple[str, dict]] = []

    def recorder(name):
        def record(**kwargs):
            made.append((name, kwargs))
            return uuid.UUID(int=1)
        return record

    for name in ("create_progress_artifact", "update_progress_artifact", "create_table_artifact",
                 "create_markdown_artifact"):
        monkeypatch.setattr(backfill, name, recorder(name))
    return made


def flow_run(name: str, state, **more) -> FlowRun:
    return FlowRun(id=uuid.uuid4(), name=name, flow_id=uuid.uuid4(), state=state, **more)


def test_each_chunk_moves_the_progress_and_logs_its_dates_worker_and_state(calls, caplog):
    runs = [flow_run("brave-fox", Completed(), labels={"prefect.worker.name": "w1"}),
            flow_run("calm-owl", Failed(message="Flow run encountered an exception: SnapshotError: snapshot: the "
                                                "sources … differ"), infrastructure_pid="host:123"),
            flow_run("dark-elk", Crashed(message="worker died"))]
    log = logging.getLogger("test-progress")
    board = backfill.Progress(CHUNKS, [r.id for r in runs], log)
    with caplog.at_level(logging.INFO, logger=log.name):
        board.start(D, D + dt.timedelta(days=12))
        for r in (runs[1], runs[0], runs[2]):  # in the order they end
            board.finished(r)
        board.finish(D, D + dt.timedelta(days=12))

    assert [c[0] for c in calls] == ["create_progress_artifact"] + ["update_progress_artifact"] * 3 + [
        "create_table_artifact", "create_markdown_artifact"]
    assert calls[0][1]["progress"] == 0.0 and calls[0][1]["key"] == "opsmetrics-backfill-progress"
    assert [round(c[1]["progress"], 1) for c in calls[1:4]] == [45.5, 90.9, 100.0]  # by dates: 5, 10, 11 of 11
    assert calls[3][1]["description"] == "3 of 3 chunks ended (11 of 11 dates): 1 completed, 2 not"

    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("chunk ")]
    assert lines == [
        "chunk 2/3 (2026-01-06 … 2026-01-10) on process host:123: Failed, flow run calm-owl: Flow run encountered an "
        "exception: SnapshotError: snapshot: the sources … differ",
        "chunk 1/3 (2026-01-01 … 2026-01-05) on worker w1: Completed, flow run brave-fox",
        "chunk 3/3 (2026-01-13) on no worker: Crashed, flow run dark-elk: worker died"]
    assert board.failed == [CHUNKS[1], CHUNKS[2]]

    table = calls[4][1]
    rows = table["table"]
    assert [r["as_of_date"] for r in rows] == [str(D + dt.timedelta(days=i)) for i in range(13)]  # every date
    assert rows[0] == {"as_of_date": "2026-01-01", "chunk": "1/3 (2026-01-01 … 2026-01-05)", "state": "Completed",
                       "worker": "worker w1", "flow_run": "brave-fox"}
    assert [r["state"] for r in rows[5:]] == ["Failed"] * 5 + ["published before"] * 2 + ["Crashed"]
    rerun = "2026-01-06 … 2026-01-10, 2026-01-13"
    assert table["key"] == "opsmetrics-backfill-dates" and table["description"].endswith(f"only_failed: {rerun}")
    assert calls[5][1]["markdown"] == f"Dates to rerun with `only_failed`: {rerun}"


def test_an_artifact_that_cannot_be_written_never_fails_the_backfill(monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("server busy\nretry later")

    for name in ("create_progress_artifact", "update_progress_artifact", "create_table_artifact",
                 "create_markdown_artifact"):
        monkeypatch.setattr(backfill, name, broken)
    runs = [flow_run(f"run-{i}", Completed()) for i in range(3)]
    board = backfill.Progress(CHUNKS, [r.id for r in runs], logging.getLogger("test-progress"))
    with caplog.at_level(logging.WARNING, logger="test-progress"):
        board.start(D, D)
        for r in runs:
            board.finished(r)
        board.finish(D, D + dt.timedelta(days=12))
    assert board.failed == []
    assert "artifact opsmetrics-backfill-progress not written: server busy retry later" in caplog.text
