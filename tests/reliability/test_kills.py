"""A run killed anywhere leaves the warehouse as the last good run left it, or as a complete run
leaves it: never a mix. Then the next run completes and gives what a complete run gives.

Each test: a good run of D on data A (run id `good`), then a run of D on data B (`killed`) in a
real process that SIGKILLs itself at one point (child.py wraps the steps with `STEPS.wrapped` and
patches the publish module in the child only), on SQLite and on PostgreSQL. The reference is a
warehouse of its own where A then B ran to completion in-process.
"""
from __future__ import annotations

import signal

import pandas as pd
import pytest
import sqlalchemy as sa

from reliability.support import AS_OF, Backend, Child, differences, normalized, sqlite_integrity, wait_for_file, which_state
from schemas.tables import MARTS
from tasks.warehouse.publish import write_record  # noqa: F401  (the name child.py patches must exist)

pytestmark = pytest.mark.reliability

# where the child dies → what the warehouse must then hold
KILL_POINTS = {
    "extract": "old",  # every entity read, nothing staged
    "stage": "old",  # staged: the quarantine is computed, nothing written
    "gate": "old",  # past the gate
    "compute": "old",  # every mart computed
    "write_record": "old",  # inside the publish transaction: every table, ledger, quarantine, run_log written
    "after_commit": "new",  # the publish step has returned: committed
}


def assert_next_run_gives_the_reference(backend, drops, reference, killed_committed: bool) -> None:
    """The next run on B completes, and every table is what the complete run gave (run ids aside);
    run_log keeps the good run's row, the killed run's only if it committed, and the new one's."""
    result = backend.run_in_process(drops["B"], AS_OF, AS_OF, run_id="retry")
    assert result.status == "completed"
    after, ref = normalized(backend.snapshot(), run_ids=False), normalized(reference, run_ids=False)
    assert differences(after, ref, [t for t in ref if t != "run_log"]) == {}
    log = normalized(backend.snapshot())["run_log"]
    assert sorted(log["run_id"]) == sorted(["good", "retry"] + (["killed"] if killed_committed else []))
    retry_row = log[log["run_id"] == "retry"].drop(columns="run_id").reset_index(drop=True)
    ref_log = normalized(reference)["run_log"]
    ref_row = ref_log[ref_log["run_id"] == "killed"].drop(columns="run_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(retry_row, ref_row, obj="run_log row of the next run")


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_run_killed_at_any_point_leaves_one_whole_state(point, backend_after_a, drops, reference, tmp_path):
    backend = backend_after_a
    before = backend.snapshot()
    assert set(before["run_log"]["run_id"]) == {"good"}
    backend.close()  # no connection of ours open while the child writes

    child = Child.start(backend.spec(drops["B"], job="run", start=AS_OF, end=AS_OF, run_id="killed", kill=point),
                        tmp_path / "child", "killed")
    rc = child.wait()
    assert rc == -signal.SIGKILL, f"the child was to die at {point}, exited {rc}: {child.stderr[-3000:]}"
    assert f"KILLED at {point}" in child.stderr

    if backend.kind == "sqlite":  # the hot journal of the killed transaction is rolled back on the next open
        assert sqlite_integrity(backend.path) == "ok"
    after = backend.snapshot()
    states = which_state(after, before, normalized(reference))
    expected = KILL_POINTS[point]
    assert set(states.values()) == {expected}, f"killed at {point}: tables not all {expected!r}: {states}"

    assert_next_run_gives_the_reference(backend, drops, reference, killed_committed=expected == "new")


def test_a_publish_whose_connection_is_terminated_leaves_the_last_good_state(drops, references, tmp_path, request):
    """pg_terminate_backend from another connection while the child is inside the publish
    transaction (tables and ledger written, sleeping before its run_log row). The transaction is
    rolled back; the run then fails and records that in a transaction of its own, as every failed
    run does: `failed` in run_log and the run's quarantine (SOURCES.md: a run replaces the
    quarantine of the entities it read; it is what explains a gate failure), while the marts and
    the ledger stay exactly as the good run left them. The next run gives the reference."""
    backend = Backend.new("postgresql", tmp_path / "unused.db")
    request.addfinalizer(lambda: backend.close(drop=True))
    backend.run_in_process(drops["A"], AS_OF, AS_OF, run_id="good")
    before = backend.snapshot()
    reference = references("postgresql")["a_then_b"]

    pid_file = tmp_path / "backend.pid"
    child = Child.start(backend.spec(drops["B"], job="run", start=AS_OF, end=AS_OF, run_id="killed",
                                     hold=str(pid_file)), tmp_path / "child", "held")
    pid = int(wait_for_file(pid_file, 180, child))
    with backend.wh.engine.connect() as conn:
        state = conn.execute(sa.text("select state, xact_start is not null from pg_stat_activity where pid = :p"),
                             {"p": pid}).one()
        assert tuple(state) == ("active", True), state  # inside its transaction, in pg_sleep
        assert conn.execute(sa.text("select pg_terminate_backend(:p)"), {"p": pid}).scalar() is True
    assert child.wait() == 0, child.stderr[-3000:]
    result = child.result
    assert result["status"] == "failed"
    assert "terminat" in result["message"].lower() or "closed" in result["message"].lower(), result["message"]

    after = backend.snapshot()
    for name in [*MARTS, "partition_runs"]:  # the marts and the ledger: exactly as the good run left them
        assert differences({name: after[name]}, {name: before[name]}) == {}, name
    log = after["run_log"].set_index("run_id")
    assert list(log.index) == ["good", "killed"] and log.loc["killed", "status"] == "failed"
    pd.testing.assert_frame_equal(after["run_log"][after["run_log"]["run_id"] == "good"].reset_index(drop=True),
                                  before["run_log"])
    assert differences(normalized({"quarantine": after["quarantine"]}),
                       normalized({"quarantine": reference["quarantine"]})) == {}, "the failed run's quarantine"

    assert_next_run_gives_the_reference(backend, drops, reference, killed_committed=True)


class Killed(BaseException):
    """What a SIGKILL looks like to the code after it: nothing more runs."""


def test_the_check_sees_a_half_written_run(drops, sqlite_after_a, references, tmp_path):
    """The oracle of these tests is not vacuous: a publish that commits the marts and the ledger
    but not the run's quarantine and run_log row (then dies) is reported as a mix."""
    import shutil

    from tasks import pipeline
    from tasks.warehouse.publish import publish_marts

    shutil.copy(sqlite_after_a, tmp_path / "w.db")
    backend = Backend.sqlite(tmp_path / "w.db")
    before = backend.snapshot()

    def half_publish(name, fn):
        if name != "publish":
            return fn

        def publish(wh, marts, start, end, run, record, log):
            publish_marts(wh, marts, start, end, run)  # no record: quarantine and run_log left out
            raise Killed
        return publish

    with pytest.raises(Killed):
        pipeline.run(backend.settings(drops["B"]), AS_OF, AS_OF, warehouse=backend.wh, log=pipeline.logging.getLogger(),
                     run_id="killed", flow="nightly_refresh", steps=pipeline.STEPS.wrapped(half_publish))
    states = which_state(backend.snapshot(), before, normalized(references("sqlite")["a_then_b"]))
    backend.close()
    assert {states[t] for t in MARTS} == {"new"} and states["partition_runs"] == "new"
    assert states["quarantine"] == "old" and states["run_log"] == "old"
