"""The pipeline's steps as Prefect tasks: each a thin shell around the plain function of
tasks/pipeline.py, adding retries (I/O only) and nothing else; the step logs its own counts.

Caching is off on purpose: the inputs are large DataFrames and SQLAlchemy engines, which Prefect
would hash for a cache key (slow, and an engine makes it log an error), and results are not
persisted: a nightly run recomputes from the sources, which is the point of it.
"""
from __future__ import annotations

from collections.abc import Callable

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.pipeline import IO_STEPS, PERMANENT, RETRY_DELAYS, STEPS, Steps


def _transient(task_, task_run, state) -> bool:
    try:
        state.result()
    except PERMANENT:
        return False
    except Exception:
        return True
    return False


def as_task(name: str, fn: Callable) -> Callable:
    """`fn` as a Prefect task named like the step (`save-quarantine`); I/O steps retry twice."""
    retry = {"retries": len(RETRY_DELAYS), "retry_delay_seconds": list(RETRY_DELAYS),
             "retry_condition_fn": _transient} if name in IO_STEPS else {}
    return task(fn, name=name.replace("_", "-"), cache_policy=NO_CACHE, persist_result=False, **retry)


PREFECT_STEPS: Steps = STEPS.wrapped(as_task)
