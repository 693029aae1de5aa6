"""Row rules, checked by Great Expectations: which rows of an entity break which rule.

The suite comes from `schemas.rules.rules_for`; GX returns the `__row__` of every unexpected row
(result_format COMPLETE with `unexpected_index_column_names`), so the same run both validates the
entity and finds the rows to quarantine.
"""
from __future__ import annotations

import logging
import os
from functools import lru_cache

import pandas as pd

from schemas.columns import Entity
from schemas.rules import Rule, rules_for
from tasks.staging.parse import ROW

BREAKS_COLUMNS = [ROW, "rule", "column"]


@lru_cache(maxsize=1)
def _context():
    """One ephemeral GX context per process, its progress bars off (they flood Prefect's logs)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)  # e.g. "Created temporary directory …"
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
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
    result = _validate(parsed, entity.name, rules)
    frames = []
    for res in result.results:
        order = int(res.expectation_config.meta["position"])
        rule = rules[order]
        if res.exception_info and res.exception_info.get("raised_exception"):
            raise RuntimeError(f"{entity.name}: expectation for rule {rule.name} failed to run: "
                               f"{res.exception_info.get('exception_message')}")
        rows = [int(hit[ROW]) for hit in res.result.get("unexpected_index_list") or []]
        if rows:
            frames.append(pd.DataFrame({ROW: rows, "rule": rule.name, "column": rule.column, "_order": order}))
    if not frames:
        return pd.DataFrame(columns=BREAKS_COLUMNS)
    return pd.concat(frames).sort_values([ROW, "_order"], kind="stable")[BREAKS_COLUMNS].reset_index(drop=True)


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
    batch = batch_def.get_batch(batch_parameters={"dataframe": parsed})
    return batch.validate(suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW],
                                                "return_unexpected_index_query": False})


def _datasource(ctx):
    try:
        return ctx.data_sources.get("opsmetrics")
    except (KeyError, ValueError, LookupError):
        return ctx.data_sources.add_pandas("opsmetrics")
