"""Runs that overlap: two runs of one date at once, two first runs on a new warehouse, and a
backfill overlapping a nightly run, each in processes of their own on one warehouse (SQLite and
PostgreSQL). The end state is that of one run: one set of rows per date, a ledger row per date and
flow, a quarantine from one run (the one the ledger names), a run_log row per run."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from reliability.support import AS_OF, Backend, Child, differences, normalized
from tasks.warehouse.migrate import prepare

pytestmark = pytest.mark.reliability


def start_pair(backend, specs: dict[str, dict], folder) -> dict[str, Child]:
    return {name: Child.start(spec, folder, name) for name, spec in specs.items()}


def assert_completed(children: dict[str, Child]) -> None:
    exits = {name: child.wait() for name, child in children.items()}  # all of them, before judging any
    for name, child in children.items():
        assert exits[name] == 0, f"{name} exited {exits[name]}: {child.stderr[-3000:]}"
    assert {n: c.result["message"] for n, c in children.items() if c.result["status"] != "completed"} == {}


def assert_one_run(after: dict, reference: dict, run_ids: set[str]) -> None:
    """Marts and quarantine as one complete run leaves them; the quarantine is wholly that of the
    run the ledger names for the date; run_log has both runs, completed."""
    ref, got = normalized(reference, run_ids=False), normalized(after, run_ids=False)
    assert differences(got, ref, [t for t in ref if t not in ("run_log", "partition_runs")]) == {}
    ledger = after["partition_runs"]
    assert len(ledger) == 1 and ledger["status"].tolist() == ["published"]
    winner = ledger["run_id"].iloc[0]
    assert winner in run_ids
    assert set(after["quarantine"]["run_id"]) == {winner}, "the quarantine mixes runs"
    assert sorted(after["run_log"]["run_id"]) == sorted(run_ids)
    # each run's row, its run id aside, is the row of a complete run on B: completed, same counts
    ref_rows = pd.concat([ref["run_log"]] * len(run_ids), ignore_index=True)
    assert differences({"run_log": got["run_log"]}, {"run_log": ref_rows}) == {}


def barrier(tmp_path, step: str, n: int = 2) -> dict:
    return {step: {"dir": str(tmp_path / f"barrier-{step}"), "n": n}}


def test_two_runs_of_one_date_at_once(backend_kind, fresh_backend, drops, references, tmp_path):
    """Both runs reach the publish step together (a barrier in the children) on a warehouse the
    test migrated (the children skip that step): the publishes are serialised, the second replaces
    the first's rows."""
    backend = fresh_backend
    prepare(backend.wh)
    backend.close()
    children = start_pair(backend, {r: backend.spec(drops["B"], job="run", start=AS_OF, end=AS_OF, run_id=r,
                                                   prepared=True, barriers=barrier(tmp_path, "publish"))
                                    for r in ("r1", "r2")}, tmp_path / "children")
    assert_completed(children)
    for child in children.values():
        assert "barrier passed: 2 of 2 at publish" in child.stderr
    assert_one_run(backend.snapshot(), references(backend_kind)["b_only"], {"r1", "r2"})


def test_two_runs_starting_at_once_on_a_warehouse_in_use(backend_kind, fresh_backend, drops, references, tmp_path):
    """A warehouse at the current version; two runs enter their first step (migrations, then the
    documentation refresh every run does) at the same moment, as the chunks of a backfill spread
    over several workers do."""
    backend = fresh_backend
    prepare(backend.wh)
    backend.close()
    children = start_pair(backend, {r: backend.spec(drops["B"], job="run", start=AS_OF, end=AS_OF, run_id=r,
                                                   barriers=barrier(tmp_path, "prepare_warehouse"))
                                    for r in ("r1", "r2")}, tmp_path / "children")
    assert_completed(children)
    assert_one_run(backend.snapshot(), references(backend_kind)["b_only"], {"r1", "r2"})


def test_two_first_runs_on_a_new_warehouse(backend_kind, fresh_backend, drops, references, tmp_path):
    """Nothing in the warehouse yet: both runs start their migrations at the same moment."""
    backend = fresh_backend
    children = start_pair(backend, {r: backend.spec(drops["B"], job="run", start=AS_OF, end=AS_OF, run_id=r,
                                                   barriers=barrier(tmp_path, "prepare_warehouse"))
                                    for r in ("r1", "r2")}, tmp_path / "children")
    assert_completed(children)
    assert_one_run(backend.snapshot(), references(backend_kind)["b_only"], {"r1", "r2"})


def test_a_backfill_overlapping_a_nightly_run(backend_kind, fresh_backend, drops, tmp_path):
    """A backfill of D−6 … D and a nightly run of D publish at the same moment. The end state is
    what the two give one after the other (either order: same data): every date once, the ledger
    with the backfill's seven dates and the nightly's one."""
    start = AS_OF - dt.timedelta(days=6)
    reference = Backend.new(backend_kind, tmp_path / "ref.db")
    try:
        reference.run_in_process(drops["B"], AS_OF, AS_OF, run_id="nightly")
        reference.run_in_process(drops["B"], start, AS_OF, run_id="backfill", flow="backfill")
        expected = reference.snapshot()
    finally:
        reference.close(drop=True)

    backend = fresh_backend
    prepare(backend.wh)
    backend.close()
    children = start_pair(backend, {
        "backfill": backend.spec(drops["B"], job="backfill", start=start, end=AS_OF, run_id="backfill",
                                 barriers=barrier(tmp_path, "publish")),
        "nightly": backend.spec(drops["B"], job="nightly", as_of=AS_OF, run_id="nightly",
                                barriers=barrier(tmp_path, "publish")),
    }, tmp_path / "children")
    assert_completed(children)
    after = backend.snapshot()
    assert differences(normalized(after), normalized(expected), [t for t in after if t != "quarantine"]) == {}
    # the quarantine is that of whichever run published last, whole
    assert differences(normalized(after, run_ids=False), normalized(expected, run_ids=False), ["quarantine"]) == {}
    assert len(set(after["quarantine"]["run_id"])) == 1
    ledger = after["partition_runs"]
    assert sorted(zip(ledger["flow"], ledger["status"], strict=True)) == [("backfill", "published")] * 7 + [
        ("nightly_refresh", "published")]
