"""One pipeline run in a process of its own, for the reliability tests; test code only.

    python tests/reliability/child.py '{"url": ..., "schema": ..., "drop": ..., "job": "run", ...}'

spec keys: url, schema, drop (a file drop folder); job: `run` (pipeline.run of start … end, flow
`flow`), `nightly` (pipeline.nightly of as_of) or `backfill` (pipeline.backfill of start … end);
run_id; and at most one of:

- kill: SIGKILL this process at that point: after the step of that name has done its work
  (`extract`, `stage`, `gate`, `compute`), inside the publish transaction after
  `tasks.warehouse.publish.write_record` (every table, the ledger, quarantine and run_log written,
  not committed) or `mark_published`, or `after_commit` (the publish step has returned);
- hold: a file name: inside the publish transaction, after mark_published, write the PostgreSQL
  backend pid to that file and sleep there (pg_sleep) until someone terminates the backend;
- barriers: {step: {"dir": ..., "n": 2}}: wait before that step until n children have reached it,
  so the steps of concurrent runs overlap (e.g. `prepare_warehouse`, `publish`);

and `prepared`: true to skip the migrations (the caller prepared the warehouse).

The wrapping goes through `STEPS.wrapped(...)` and patches of the publish module in this process:
the product has no hook for any of it. When the run returns, prints `RESULT {"status", "message"}`.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

spec = json.loads(sys.argv[1])
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")

import sqlalchemy as sa  # noqa: E402

import tasks.warehouse.publish as publish_module  # noqa: E402
from schemas.config import Settings  # noqa: E402
from tasks import pipeline  # noqa: E402

log = logging.getLogger("child")
kill = spec.get("kill")


def die(where: str) -> None:
    print(f"KILLED at {where}", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def wrap(name, fn):
    if kill == name or (kill == "after_commit" and name == "publish"):
        def killed_after(*args, **kwargs):
            fn(*args, **kwargs)
            die(kill)
        return killed_after
    barrier = spec.get("barriers", {}).get(name)
    if barrier:
        def after_barrier(*args, **kwargs):
            folder, n = Path(barrier["dir"]), barrier["n"]
            folder.mkdir(parents=True, exist_ok=True)
            (folder / spec["run_id"].replace("/", "_")).write_text("here")
            deadline = time.monotonic() + barrier.get("timeout", 120)
            while len(list(folder.iterdir())) < n and time.monotonic() < deadline:
                time.sleep(0.005)
            log.info("barrier passed: %d of %d at %s", len(list(folder.iterdir())), n, name)
            return fn(*args, **kwargs)
        return after_barrier
    return fn


for patched in ("write_record", "mark_published"):
    if kill == patched:
        original = getattr(publish_module, patched)

        def killed_inside(conn, *args, _original=original, **kwargs):
            _original(conn, *args, **kwargs)
            die(kill)
        setattr(publish_module, patched, killed_inside)

if spec.get("hold"):
    original_mark = publish_module.mark_published

    def held_inside(conn, *args, **kwargs):
        original_mark(conn, *args, **kwargs)
        pid = conn.execute(sa.text("select pg_backend_pid()")).scalar()
        Path(spec["hold"]).write_text(str(pid))
        log.info("inside the publish transaction on backend %s: waiting to be terminated", pid)
        conn.execute(sa.text("select pg_sleep(120)"))
    publish_module.mark_published = held_inside

settings = Settings(sources={"files": {"path": spec["drop"]}}, warehouse=spec["url"],
                    warehouse_schema=spec["schema"])
wh = pipeline.open_warehouse(settings)
steps = pipeline.STEPS.wrapped(wrap)
date = dt.date.fromisoformat
job = spec.get("job", "run")
if job == "run":
    result = pipeline.run(settings, date(spec["start"]), date(spec["end"]), warehouse=wh, log=log,
                          run_id=spec["run_id"], flow=spec.get("flow", "nightly_refresh"),
                          prepared=spec.get("prepared", False), steps=steps)
elif job == "nightly":
    result = pipeline.nightly(settings, date(spec["as_of"]), warehouse=wh, log=log, run_id=spec["run_id"],
                              steps=steps)
elif job == "backfill":
    result = pipeline.backfill(settings, date(spec["start"]), date(spec["end"]), warehouse=wh, log=log,
                               run_id=spec["run_id"], steps=steps)
else:
    raise SystemExit(f"unknown job {job!r}")
wh.dispose()
print("RESULT " + json.dumps({"status": result.status, "message": result.message}), flush=True)
