"""Row rules, checked by Great Expectations: which rows of an entity break which rule.

The suite comes from `schemas.rules.rules_for`; GX returns the index of every unexpected row
(result_format COMPLETE; the index is the row's `__row__`), so the same run both validates the
entity and finds the rows to quarantine. GX gets the typed columns the rules read, nothing else.
"""
from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache

import pandas as pd

from schemas.columns import Entity
from schemas.rules import Rule, rules_for
from tasks.staging.parse import ROW

BREAKS_COLUMNS = [ROW, "rule", "column"]
# rows GX validates at a time: with each slice's columns joined into one chunk (`_one_chunk`), 500,000
# take what 1,000,000 of many chunks took (time_entries at scale 10: 2.7 s and a 1.38 GB peak; a million,
# 2.3 s and 0.14 GB more)
VALIDATE_ROWS = 500_000


_context_lock = threading.Lock()  # the warm-up's thread and validation may ask for the context at once


def warm_up() -> None:
    """Import GX and make its context on a thread of its own, started as the sources are read.

    Importing GX and making its context takes 2-3 s of one core (benchmarks/_measure.py), which the
    first entity's validation would otherwise pay while the second core idles: the CSV reader runs
    serially in Arrow's C++ without the GIL, so on that core the import is done by the time staging
    needs it (one date at scale 10: ~2 s less, 5 of 6 paired runs). Not a daemon
    thread: a run that fails before validation waits for the import to end instead of exiting
    under an import in flight. A failure here is left to validation, which makes the context again
    and says what is wrong.
    """
    threading.Thread(target=_warm, name="gx-warm-up").start()


def _warm() -> None:
    try:
        _context()
        import great_expectations.expectations  # noqa: F401  (each suite's expectations, built in validation)
    except Exception:  # validation makes the context again and raises it with its reason (warm_up)
        return


def _context():
    with _context_lock:
        return _new_context()


@lru_cache(maxsize=1)
def _new_context():
    """One ephemeral GX context per process, its progress bars off (they flood Prefect's logs)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)  # e.g. "Created temporary directory …"
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    # GX md5-hashes every in-memory batch under 1 GB to fingerprint it (batch_markers); nothing here
    # reads the fingerprint, and at scale 10 hashing was a third of validation's time (profiled)
    from great_expectations.execution_engine import pandas_execution_engine
    if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        pandas_execution_engine.HASH_THRESHOLD = 0
    return ctx


def expectation(rule: Rule, position: int):
    """The GX expectation that checks `rule` (GX is imported here, not at start-up: it takes ~10 s).

    `position` goes into the expectation's meta: GX reports results in an order of its own.
    """
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    kwargs = dict(rule.kwargs)
    if rule.condition:
        test, column, values = rule.condition
        kwargs["row_condition"] = getattr(Column(column), test)(list(values))
    return getattr(gxe, rule.expectation)(**kwargs, meta={"rule": rule.name, "position": position})


def find_rule_breaks(parsed: pd.DataFrame, entity: Entity, currency: str) -> pd.DataFrame:
    """One row per (row, rule) broken: `__row__`, `rule`, `column`, in the suite's order."""
    rules = rules_for(entity, currency)
    if parsed.empty:
        return pd.DataFrame(columns=BREAKS_COLUMNS)
    frames = []
    # every rule is a row's own (column map and column pair expectations), so the rows may be
    # validated a slice at a time: GX's working copies of time_entries' 3 million rows at once
    # were the peak of a one-date run at scale 10 (+0.42 GB above what staging held; +0.13 GB a
    # million rows at a time, before their columns were joined into one chunk)
    for at in range(0, len(parsed), VALIDATE_ROWS):
        frames += _breaks(_validate(parsed.iloc[at:at + VALIDATE_ROWS], entity.name, rules), entity, rules)
    if not frames:
        return pd.DataFrame(columns=BREAKS_COLUMNS)
    return pd.concat(frames).sort_values([ROW, "_order"], kind="stable")[BREAKS_COLUMNS].reset_index(drop=True)


def _breaks(result, entity: Entity, rules: list[Rule]) -> list[pd.DataFrame]:
    """(row, rule, column, order) of every unexpected row GX listed."""
    frames = []
    for res in result.results:
        order = int(res.expectation_config.meta["position"])
        rule = rules[order]
        if res.exception_info and res.exception_info.get("raised_exception"):
            raise RuntimeError(f"{entity.name}: expectation for rule {rule.name} failed to run: "
                               f"{res.exception_info.get('exception_message')}")
        rows = [int(i) for i in res.result.get("unexpected_index_list") or []]
        if rows:
            frames.append(pd.DataFrame({ROW: rows, "rule": rule.name, "column": rule.column, "_order": order}))
    return frames


def _validate(parsed: pd.DataFrame, name: str, rules: list[Rule]):
    import great_expectations as gx

    ctx = _context()
    suite_name = f"{name}-{abs(hash(tuple(map(repr, rules))))}"
    try:
        suite = ctx.suites.get(suite_name)
    except Exception:  # GX raises its own not-found error type; any miss means "build it"
        expectations = [expectation(r, i) for i, r in enumerate(rules)]
        suite = ctx.suites.add(gx.ExpectationSuite(name=suite_name, expectations=expectations))
    source = _datasource(ctx)
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        batch_def = asset.get_batch_definition("all")
    except (KeyError, LookupError):
        batch_def = asset.add_batch_definition_whole_dataframe("all")
    # the frame's index is each row's `__row__`, unnamed: GX then lists the index of the rows that
    # break a rule as it is (with `unexpected_index_column_names` it reads them cell by cell, `.at`
    # per row and rule: most of its time here)
    frame = _one_chunk(parsed[_columns(rules)])
    frame.index = pd.Index(parsed[ROW].to_numpy())
    batch = batch_def.get_batch(batch_parameters={"dataframe": frame})
    try:
        return batch.validate(suite, result_format={"result_format": "COMPLETE",
                                                    "return_unexpected_index_query": False})
    finally:
        _forget_batches(source)


def _one_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each Arrow-backed column in one chunk. For every rule GX takes the rows that break
    it from the whole frame, and Arrow's take on a column of many chunks (the CSV reader's blocks)
    first concatenates them: a copy of every string column per rule, most of validation's time
    (profiled at scale 10: time_entries 7 s, 2.4 s in one chunk)."""
    columns = {}
    for name, column in frame.items():
        to_arrow = getattr(column.array, "__arrow_array__", None)  # Arrow-backed columns only
        chunked = to_arrow() if to_arrow else None
        if chunked is not None and chunked.num_chunks > 1:
            column = pd.Series(pd.array(chunked.combine_chunks(), dtype=column.dtype), index=frame.index, name=name)
        columns[name] = column
    return pd.DataFrame(columns, index=frame.index)


def _forget_batches(source) -> None:
    """Drop the frames GX's execution engine caches, one per asset, for the life of the process:
    at scale 10 they kept every entity's typed columns alive to the end of the run (0.7 GB,
    time_entries' 3 million rows most of it), though nothing reads a batch after its validation."""
    manager = source.get_execution_engine().batch_manager
    manager.reset_batch_cache()
    manager.batch_data_cache.clear()


def _columns(rules: list[Rule]) -> list[str]:
    """`__row__` and the columns the rules read, in the frame's terms: GX gets nothing else to copy."""
    named = [ROW]
    for rule in rules:
        named += [v for k, v in rule.kwargs.items() if k in ("column", "column_A", "column_B")]
        if rule.condition:
            named.append(rule.condition[1])
    return list(dict.fromkeys(named))


def _datasource(ctx):
    try:
        return ctx.data_sources.get("opsmetrics")
    except (KeyError, ValueError, LookupError):
        return ctx.data_sources.add_pandas("opsmetrics")
