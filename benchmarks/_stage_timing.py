"""Per-stage timing for the benchmark harness (benchmarks/bench.py): wraps the pipeline's stage
functions, in the measured process only, and adds up the time spent in each.

Nothing in tasks/ knows about this. A function is wrapped where it is defined *and* wherever a
module imported it by name (`from tasks.staging.parse import parse_entity` copies the reference,
so every module of tasks/, flows/ and opsmetrics/ holding the same object is patched). A target
that is missing (renamed, moved by a rewrite) makes its stage "n/a", never an error: the names
live in STAGES below, the one place to update.

Two ways in:
- `install()` after the pipeline is imported (benchmarks/_measure.py, the pipeline without Prefect);
- `watch_imports(...)` from benchmarks/_sitecustomize/sitecustomize.py, for a process the harness
  does not write itself (`opsmetrics run`): the hooks go in when `tasks.pipeline` has been
  imported, and the times at which the flows' modules finished importing are recorded.
"""
from __future__ import annotations

import functools
import importlib
import importlib.abc
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable

# stage → the functions ("module:name", where defined) whose time is that stage's
STAGES: dict[str, tuple[str, ...]] = {
    "read": ("tasks.sources.registry:read_entity",),
    "parse": ("tasks.staging.parse:parse_entity",),
    "validate": ("tasks.staging.validate:find_rule_breaks",),
    "duplicates_parents": ("tasks.staging.duplicates:resolve_duplicates", "tasks.staging.parents:check_parents",
                           "tasks.staging.parents:attach_rates"),
    "compute": ("tasks.marts.build:build_marts", "tasks.marts.build:marts_of"),
    "publish": ("tasks.warehouse.publish:publish_marts",),
}
PACKAGES = ("tasks", "flows", "opsmetrics", "schemas")
OUT_ENV = "BENCH_STAGE_OUT"  # where sitecustomize writes the JSON at exit

_lock = threading.Lock()
_local = threading.local()
_totals: dict[str, list[float]] = {}  # stage → [seconds, calls, seconds of the first call]
_status: dict[str, str] = {}  # stage → "ok" or "n/a: why"
marks: dict[str, float] = {}  # event → time.time()


def _wrap(stage: str, fn: Callable) -> Callable:
    def timed(*args, **kwargs):
        if getattr(_local, stage, False):  # nested in a call of the same stage: counted by the outer one
            return fn(*args, **kwargs)
        setattr(_local, stage, True)
        outer = getattr(_local, "inner", None)  # time of other stages run inside this call
        _local.inner = 0.0
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - t
            # a stage's own time: a long backfill computes its slices inside publish (MartSlices),
            # which counts them as compute, not twice
            spent = elapsed - _local.inner
            _local.inner = None if outer is None else outer + elapsed
            setattr(_local, stage, False)
            with _lock:
                total = _totals.setdefault(stage, [0.0, 0, spent])
                total[0] += spent
                total[1] += 1
    try:
        functools.update_wrapper(timed, fn)
    except (AttributeError, TypeError):
        pass
    timed.__bench_stage__ = stage  # type: ignore[attr-defined]
    return timed


def _patch_everywhere(original: object, wrapper: Callable) -> int:
    """Replace `original` by `wrapper` in every loaded module of the project; the count of names patched."""
    n = 0
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in PACKAGES:
            continue
        for attr, value in list(vars(module).items()):
            if value is original:
                setattr(module, attr, wrapper)
                n += 1
    return n


def install(stages: dict[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    """Wrap the functions of every stage; a stage none of whose functions is found is "n/a"."""
    for stage, targets in (stages or STAGES).items():
        found, missing = 0, []
        for target in targets:
            module_name, _, attr = target.partition(":")
            try:
                module = importlib.import_module(module_name)
            except Exception as exc:  # a module renamed or broken by a rewrite: not this harness's business
                missing.append(f"{module_name} not importable ({type(exc).__name__})")
                continue
            fn = getattr(module, attr, None)
            if fn is None or not callable(fn):
                missing.append(f"{target} not found")
                continue
            if getattr(fn, "__bench_stage__", None):  # already wrapped
                found += 1
                continue
            if _patch_everywhere(fn, _wrap(stage, fn)):
                found += 1
        _status[stage] = "ok" if found else "n/a: " + "; ".join(missing)
    return dict(_status)


def report() -> dict[str, dict]:
    """stage → {"seconds", "calls", "first_seconds"} (the first call: e.g. validate's imports Great
    Expectations and builds its context), or {"na": reason} when the stage was not found or never called."""
    out: dict[str, dict] = {}
    for stage, status in _status.items():
        if status != "ok":
            out[stage] = {"na": status.removeprefix("n/a: ")}
        elif stage not in _totals:
            out[stage] = {"na": "never called"}
        else:
            seconds, calls, first = _totals[stage]
            out[stage] = {"seconds": seconds, "calls": calls, "first_seconds": first}
    return out


def snapshot() -> dict:
    return {"marks": dict(marks), "stages": report(),
            "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


# --- for a process started by someone else (sitecustomize) -----------------------------------------

class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls `callback(name)` right after one of `names` has been executed (imported)."""

    def __init__(self, names: set[str], callback: Callable[[str], None]):
        self.names, self.callback = names, callback

    def find_spec(self, name, path, target=None):
        if name not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original, callback = loader.exec_module, self.callback

        def exec_module(module):
            original(module)
            callback(name)
        loader.exec_module = exec_module  # a loader instance per spec: only this module's is changed
        return spec


WATCHED = {"tasks.pipeline", "flows.nightly_refresh", "flows.backfill"}


def watch_imports(out: str) -> None:
    """Install the stage hooks as soon as tasks.pipeline is imported, record when each module of
    WATCHED finished importing, and write `snapshot()` as JSON to `out` at exit."""
    def loaded(name: str) -> None:
        marks[f"imported {name}"] = time.time()
        if name == "tasks.pipeline":
            try:
                install()
            except Exception as exc:  # never break the measured command
                _status["hooks"] = f"n/a: {type(exc).__name__}: {exc}"

    sys.meta_path.insert(0, _AfterImport(WATCHED, loaded))

    import atexit

    def write() -> None:
        try:
            with open(out, "w") as f:
                json.dump(snapshot(), f)
        except OSError:
            pass
    atexit.register(write)  # registered first, so it runs last: after Prefect stops its temporary server


def activate_from_env() -> None:
    out = os.environ.pop(OUT_ENV, None)  # popped: the processes this one starts are not measured
    if out:
        watch_imports(out)
