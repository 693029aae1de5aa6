"""When a worker dies (README): a nightly-refresh run whose worker and flow-run process are
SIGKILLed mid-run (and whose server restarts, as when one machine runs both) is marked CRASHED by
the automation that `make deploy` creates (flows/automations.py) once it has missed its heartbeats,
which frees the deployment's concurrency slot (limit 1, CANCEL_NEW), so the next nightly run is not
cancelled: it runs and completes.

On a real server and process workers, with the production settings (heartbeat every 30 s, crashed
after 90 s of silence). The run to kill reads a file drop whose files are named pipes nobody
writes (a drop still being copied), so it stays in its extract step until it is killed."""
from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import requests
import sqlalchemy as sa
import yaml
from prefect_stack import ROOT, Stack, descendants, prefect_stack

from flows import automations
from opsmetrics.sample import generate

END = dt.date(2026, 3, 1)
NIGHTLY = "nightly_refresh/nightly-refresh"


def _eventually(check: Callable[[], object], timeout: float, what: str, stack: Stack) -> object:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"{what}: not after {timeout} s; logs in {stack.home}"
        time.sleep(1)
    return found


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:  # gone meanwhile
        return {}
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


def _state(stack: Stack, run_id: str) -> dict:
    return requests.get(f"{stack.api}/flow_runs/{run_id}", timeout=30).json()["state"]


def _active_slots(stack: Stack) -> int:
    return stack.deployment(NIGHTLY)["global_concurrency_limit"]["active_slots"]


def test_a_run_whose_worker_died_is_crashed_and_the_next_nightly_run_completes(tmp_path):
    began = time.monotonic()
    drop = tmp_path / "drop"
    generate(drop, scale=0.02, seed=5, end_date=END)
    stalled = tmp_path / "stalled"
    stalled.mkdir()
    for csv in drop.glob("*.csv"):
        os.mkfifo(stalled / csv.name)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    window = automations.window_seconds()

    with prefect_stack(tmp_path / "prefect-home", workers=0, dead_run_detection=True) as stack:
        up = time.monotonic()
        # the automation watches the runs of every flow prefect.yaml deploys
        deployed = requests.post(f"{stack.api}/deployments/filter", json={}, timeout=10).json()
        assert len(deployed) == len(yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"])
        for dep in deployed:
            flow = requests.get(f"{stack.api}/flows/{dep['flow_id']}", timeout=10).json()
            assert flow["name"] in automations.FLOWS, f"{flow['name']} is not watched by flows/automations.py"

        w1 = stack.start_worker("w1")
        dead = stack.run_deployment(NIGHTLY, {"as_of": END.isoformat(),
                                              "options": {"source_dir": str(stalled), "warehouse": url}})
        _eventually(lambda: stack.events("prefect.flow-run.heartbeat", f"prefect.flow-run.{dead}"), 180,
                    "the first heartbeat of the run", stack)
        assert _state(stack, dead)["type"] == "RUNNING"
        assert _active_slots(stack) == 1
        # its process beats at the interval the automation expects (as `make worker` sets it)
        environ = [_environ(pid) for pid in descendants(w1.pid)]
        [flow_run] = [e for e in environ if e.get("PREFECT__FLOW_RUN_ID") == dead]
        assert flow_run[automations.HEARTBEAT_VARIABLE] == str(automations.heartbeat_seconds())

        # the machine dies: the worker and the flow-run process are killed, the server restarts
        # (and forgets its concurrency leases, which would otherwise free the slot after ~5 min)
        stack.kill(w1)
        killed = time.monotonic()
        stack.restart_server()
        stack.start_worker("w2")
        assert _state(stack, dead)["type"] == "RUNNING", "the run should still look alive right after the kill"
        assert _active_slots(stack) == 1
        # `make deploy` again meanwhile: the automation is found by name and left as it is
        assert " unchanged " in stack.create_automations()
        found = requests.post(f"{stack.api}/automations/filter", json={}, timeout=10).json()
        assert [a["name"] for a in found] == [automations.NAME]

        run = stack.wait(dead, timeout=window + 90)
        crashed_after = time.monotonic() - killed
        assert run["state"]["type"] == "CRASHED", f"{run['state']}; logs in {stack.home}"
        assert "No heartbeat" in run["state"]["message"]
        assert crashed_after <= window + 45, f"crashed {crashed_after:.0f} s after the kill (window {window} s)"
        _eventually(lambda: _active_slots(stack) == 0, 30, "the concurrency slot released", stack)

        # the next night's run, created as the scheduler creates it (SCHEDULED, through the API)
        following = stack.run_deployment(NIGHTLY, {"as_of": END.isoformat(),
                                                   "options": {"source_dir": str(drop), "warehouse": url}})
        run = stack.wait(following, timeout=300)
        assert run["state"]["type"] == "COMPLETED", f"{run['state']}; logs in {stack.home}"
        done = time.monotonic()
        print(f"\nstack up {up - began:.0f} s, killed at {killed - began:.0f} s, dead run crashed "
              f"{crashed_after:.0f} s after the kill (window {window} s), next run completed "
              f"{done - killed - crashed_after:.0f} s later; {done - began:.0f} s in all")

    engine = sa.create_engine(url)
    ledger = pd.read_sql("SELECT * FROM partition_runs", engine)
    engine.dispose()
    assert list(ledger["run_id"]) == [following] and list(ledger["worker"]) == ["w2"]
    assert list(ledger["status"]) == ["published"] and str(ledger["as_of_date"][0])[:10] == END.isoformat()


def test_heartbeat_and_window_come_from_one_place(monkeypatch, capsys):
    assert automations.heartbeat_seconds({}) == automations.HEARTBEAT_SECONDS == 30
    assert automations.heartbeat_seconds({"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "60"}) == 60
    monkeypatch.setenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "45")
    assert automations.window_seconds() == automations.MISSED_HEARTBEATS * 45
    trigger = automations.dead_run_automation().trigger
    assert trigger.within == dt.timedelta(seconds=automations.MISSED_HEARTBEATS * 45)
    for bad, said in (("10", "30 seconds or more"), ("soon", "a whole number of seconds")):
        monkeypatch.setenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", bad)
        assert automations.main(["--heartbeat"]) == 2  # `make worker` stops, saying why
        assert said in capsys.readouterr().err

