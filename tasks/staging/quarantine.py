"""Quarantine records: the rows that broke a rule, with the rule, a readable detail and the raw row;
and the records a source read but could not make rows of (rule `shape`)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from schemas.columns import Entity
from schemas.rules import rules_for
from tasks.sources.base import ORIGIN, Origin
from tasks.staging.parse import ROW

QUARANTINE_COLUMNS = ["entity", "record_id", "rule", "detail", "record"]
POSITION = "__position__"  # where a quarantined record sits in its source (a file's line): their order

# A record whose fields do not match its header (SOURCES.md, "File drop"): more or fewer fields, or
# the last record of a file cut before its line break. Named beside the rules of schemas/rules.py
# (DUPLICATE_KEY, …), which schemas/ may take over.
SHAPE = "shape"


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
        return pd.DataFrame(columns=QUARANTINE_COLUMNS + [ROW, POSITION])
    by_row = breaks.groupby(ROW, sort=True).agg(rule=("rule", "first"), detail=("detail", "; ".join))
    rows = by_row.index.to_numpy()
    source, locate = _where(raw, entity)
    positions = row_positions(raw)[rows]
    canonical = [c for c in entity.names if c in raw.columns]
    records = raw.iloc[rows][canonical]
    keys = [records[k].astype("str").str.strip().fillna("") for k in entity.key if k in records]
    return pd.DataFrame({
        "entity": entity.name,
        "record_id": keys[0].str.cat(keys[1:], sep="|").to_numpy() if keys else "",
        "rule": by_row["rule"].to_numpy(),
        "detail": [f"{source} {locate.format(p)}: {d}" for p, d in zip(positions, by_row["detail"], strict=True)],
        "record": [json.dumps({k: (None if pd.isna(v) else v) for k, v in rec.items()}, ensure_ascii=False)
                   for rec in records.to_dict("records")],
        ROW: rows,
        POSITION: positions,
    })


def shape_records(raw: pd.DataFrame, entity: Entity) -> pd.DataFrame:
    """The records the source read but could not make rows of (`Origin.misshapen`), quarantined
    with rule `shape`: their key where the header puts it, their line and shape, their raw text."""
    origin = raw.attrs.get(ORIGIN)
    misshapen = origin.misshapen if isinstance(origin, Origin) else ()
    source, locate = _where(raw, entity)
    return pd.DataFrame({
        "entity": pd.Series(entity.name, index=range(len(misshapen)), dtype="object"),
        "record_id": [m.record_id for m in misshapen],
        "rule": SHAPE,
        "detail": [f"{source} {locate.format(m.position)}: {m.detail}" for m in misshapen],
        "record": [m.record for m in misshapen],
        POSITION: np.array([m.position for m in misshapen], dtype=np.int64),
    }, columns=QUARANTINE_COLUMNS + [POSITION])


def unread_count(raw: pd.DataFrame) -> int:
    """Records the source read that are not rows of `raw` (they count as read, and are quarantined)."""
    origin = raw.attrs.get(ORIGIN)
    return len(origin.misshapen) if isinstance(origin, Origin) else 0


def row_positions(raw: pd.DataFrame) -> np.ndarray:
    """Where each row of `raw` sits in its source, in its locator's terms: the `Origin`'s positions
    (a CSV file's lines: a quoted line break or a misshapen record before a row moves it), else
    counted from `first_position` (for a CSV file line 2, since line 1 is the header)."""
    origin = raw.attrs.get(ORIGIN)
    if isinstance(origin, Origin):
        return origin.positions
    return np.arange(len(raw), dtype=np.int64) + raw.attrs.get("first_position", 2)


def _where(raw: pd.DataFrame, entity: Entity) -> tuple[str, str]:
    """The source's name and how a position in it is said ("line {}", "row {}", "record {}")."""
    return raw.attrs.get("source", entity.name), raw.attrs.get("locator", "line {}")
