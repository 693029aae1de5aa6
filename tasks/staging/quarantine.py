"""Quarantine records: the rows that broke a rule, with the rule, a readable detail and the raw row."""
from __future__ import annotations

import json

import pandas as pd

from schemas.columns import Entity
from schemas.rules import rules_for
from tasks.staging.parse import ROW

QUARANTINE_COLUMNS = ["entity", "record_id", "rule", "detail", "record"]


def describe_rule_breaks(breaks: pd.DataFrame, raw: pd.DataFrame, entity: Entity, currency: str) -> pd.DataFrame:
    """Add `detail` to GX's (row, rule, column) hits: what the rule says and the value the row had.

    A value that failed to parse is also missing: only its `type:` rule is reported then.
    """
    if breaks.empty:
        return pd.DataFrame(columns=[ROW, "rule", "detail"])
    texts = {r.name: r.text for r in rules_for(entity, currency)}
    typed = breaks[breaks["rule"].str.startswith("type:")]
    typed_fail = set(zip(typed[ROW], typed["column"], strict=True))
    keep = [not (rule.startswith("required:") and (row, col) in typed_fail)
            for row, rule, col in zip(breaks[ROW], breaks["rule"], breaks["column"], strict=True)]
    breaks = breaks[keep]
    values = [_raw_value(raw, row, col) for row, col in zip(breaks[ROW], breaks["column"], strict=True)]
    details = [f"{texts[rule]}; got {v}" for rule, v in zip(breaks["rule"], values, strict=True)]
    return pd.DataFrame({ROW: breaks[ROW].to_numpy(), "rule": breaks["rule"].to_numpy(), "detail": details})


def _raw_value(raw: pd.DataFrame, row: int, column: str) -> str:
    if column not in raw:
        return "missing (no such column)"
    value = raw[column].iat[row]
    return "missing" if pd.isna(value) or not str(value).strip() else repr(str(value))


def quarantine_records(breaks: pd.DataFrame, raw: pd.DataFrame, entity: Entity) -> pd.DataFrame:
    """One record per quarantined row: the first rule it broke, every detail, the raw row as JSON.

    `breaks` lists (row, rule, detail) in reporting order; rows already dropped by an earlier
    stage never reach a later one, so a row's breaks all come from a single stage.
    """
    if breaks.empty:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS + [ROW])
    by_row = breaks.groupby(ROW, sort=True).agg(rule=("rule", "first"), detail=("detail", "; ".join))
    rows = by_row.index.to_numpy()
    source = raw.attrs.get("source", entity.name)
    # where a row sits in its source; for a CSV file the line number (line 1 is the header)
    locate = raw.attrs.get("locator", "line {}")
    first = raw.attrs.get("first_position", 2)
    canonical = [c for c in entity.names if c in raw.columns]
    records = raw.iloc[rows][canonical]
    key_text = records[list(k for k in entity.key if k in records)].astype("str").apply(
        lambda col: col.str.strip()).fillna("")
    return pd.DataFrame({
        "entity": entity.name,
        "record_id": key_text.agg("|".join, axis=1).to_numpy() if len(key_text.columns) else "",
        "rule": by_row["rule"].to_numpy(),
        "detail": [f"{source} {locate.format(r + first)}: {d}" for r, d in zip(rows, by_row["detail"], strict=True)],
        "record": [json.dumps({k: (None if pd.isna(v) else v) for k, v in rec.items()}, ensure_ascii=False)
                   for rec in records.to_dict("records")],
        ROW: rows,
    })
