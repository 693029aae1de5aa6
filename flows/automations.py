"""Dead workers: the automation that marks a flow run CRASHED once its process has gone silent.

A flow run whose process dies without a word (SIGKILL, the OOM killer, a lost machine) stays
RUNNING on the server for good, and holds nightly-refresh's `concurrency_limit` slot (1,
CANCEL_NEW) until its lease expires (5 min), or for good if the server restarted meanwhile (it
keeps leases in memory): the runs that come meanwhile are cancelled. Prefect's answer, set up here:

- every flow-run process emits a `prefect.flow-run.heartbeat` event each `heartbeat_seconds()`
  (`PREFECT_FLOWS_HEARTBEAT_FREQUENCY` in the worker's environment: `make worker` sets it);
- this automation (created or updated by name by `make deploy`, i.e. `python -m flows.automations`)
  waits, after each heartbeat of a run of this project's flows, for the next heartbeat or a final
  state; after `window_seconds()` (MISSED_HEARTBEATS intervals) without one it sets the run
  CRASHED, which releases the deployment's concurrency slot.

The interval and the window are set here and nowhere else; `PREFECT_FLOWS_HEARTBEAT_FREQUENCY` in
the environment of both `make deploy` and `make worker` overrides the interval for both. The
server must hear the heartbeats: a server down for longer than the window marks the runs that were
going Crashed, though they go on (and end Completed).

`python -m flows.automations --heartbeat` prints the interval (what `make worker` uses) without
importing Prefect.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prefect.events.schemas.automations import AutomationCore

HEARTBEAT_SECONDS = 30  # default interval of the flow runs' heartbeats; Prefect's minimum is 30
MISSED_HEARTBEATS = 3  # a run silent for this many intervals is declared crashed
NAME = "opsmetrics: crash flow runs whose worker died"
# The flows of prefect.yaml's deployments (tests/test_dead_worker.py checks they are all here).
# Only their runs are watched: another team's runs on a shared server may beat at Prefect's
# default of 180 s and must not be crashed by this project's window.
FLOWS = ("nightly_refresh", "backfill", "backfill_chunk")
HEARTBEAT_VARIABLE = "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"


def heartbeat_seconds(env: Mapping[str, str] = os.environ) -> int:
    """The heartbeat interval: PREFECT_FLOWS_HEARTBEAT_FREQUENCY if set, else HEARTBEAT_SECONDS."""
    raw = env.get(HEARTBEAT_VARIABLE, "").strip() or str(HEARTBEAT_SECONDS)
    try:
        seconds = int(raw)
    except ValueError:
        raise ValueError(f"{HEARTBEAT_VARIABLE}={raw!r}: expected a whole number of seconds") from None
    if seconds < 30:
        raise ValueError(f"{HEARTBEAT_VARIABLE}={seconds}: Prefect accepts 30 seconds or more")
    return seconds


def window_seconds(heartbeat: int | None = None) -> int:
    """How long a run may stay silent before it is declared crashed."""
    return MISSED_HEARTBEATS * (heartbeat or heartbeat_seconds())


def dead_run_automation(heartbeat: int | None = None) -> AutomationCore:
    """The automation of Prefect's "detect zombie flows" guide, scoped to this project's flows."""
    from datetime import timedelta

    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    heartbeat = heartbeat or heartbeat_seconds()
    window = window_seconds(heartbeat)
    return AutomationCore(
        name=NAME,
        description=(f"Flow runs of {', '.join(FLOWS)} beat every {heartbeat} s ({HEARTBEAT_VARIABLE} of the "
                     f"workers); one silent for {window} s has lost its process and is marked Crashed, which "
                     "frees its deployment's concurrency slot. Managed by `make deploy` (flows/automations.py)."),
        enabled=True,
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed", "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled", "prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            match_related=ResourceSpecification({"prefect.resource.role": "flow",
                                                 "prefect.resource.name": list(FLOWS)}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=window),
        ),
        actions=[ChangeFlowRunState(
            state=StateType.CRASHED,
            message=f"No heartbeat for {window} s: the flow run's process died (worker killed or machine lost).")],
    )


def apply(heartbeat: int | None = None) -> str:
    """Create the automation, or bring the one of that name up to date (removing duplicates).

    An unchanged automation is left alone. A changed one gets a new trigger on the server, which
    starts watching each run again at its next heartbeat: a run that died within the last window
    before the change is not caught (its slot is freed when its lease expires, unless the server
    restarted meanwhile)."""
    from prefect.client.orchestration import get_client
    from prefect.events.schemas.automations import AutomationCore

    wanted = dead_run_automation(heartbeat)
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(NAME)
        if not existing:
            return f"created {client.create_automation(wanted)}"
        keep, *duplicates = existing
        for extra in duplicates:
            client.delete_automation(extra.id)
        if AutomationCore.model_validate(keep.model_dump(include=set(AutomationCore.model_fields))) == wanted:
            return f"unchanged {keep.id}"
        client.update_automation(keep.id, wanted)
        return f"updated {keep.id}"


def main(argv: list[str]) -> int:
    if argv not in ([], ["--heartbeat"]):
        print("usage: python -m flows.automations [--heartbeat]", file=sys.stderr)
        return 2
    try:
        heartbeat = heartbeat_seconds()
    except ValueError as exc:
        print(f"flows.automations: {exc}", file=sys.stderr)
        return 2
    if argv:
        print(heartbeat)
        return 0
    outcome = apply(heartbeat)
    print(f"automation {NAME!r} {outcome}: a run silent for {window_seconds(heartbeat)} s "
          f"(heartbeat every {heartbeat} s) is marked Crashed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
