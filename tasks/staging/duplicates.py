"""Duplicate keys (SOURCES.md, "Bad rows"), among the rows that passed the row rules.

Identical rows collapse to one; otherwise the row with the latest `updated_at` stands and older
versions are superseded (counted, not quarantined). Rows of a key that differ and tie on the
latest `updated_at` (for entities without one, any two differing rows of a key) are quarantined:
there is no way to tell which is true.
"""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from schemas.columns import Entity
from schemas.rules import DUPLICATE_KEY
from tasks.staging.parse import ROW


class Resolved(NamedTuple):
    rows: pd.DataFrame  # one row per key
    breaks: pd.DataFrame  # __row__, rule, detail of the conflicting rows
    collapsed: int  # identical copies removed
    superseded: int  # older versions removed


def resolve_duplicates(rows: pd.DataFrame, entity: Entity) -> Resolved:
    key = list(entity.key)
    copies = rows.duplicated(subset=entity.names, keep="first")
    rows = rows[~copies]
    groups = [rows[k] for k in key]
    if entity.version_column:
        version = rows[entity.version_column]
        latest = version.eq(version.groupby(groups).transform("max"))
        superseded = ~latest
        conflict = latest & latest.groupby(groups).transform("sum").gt(1)
        why = f"rows with this key differ and tie on the latest {entity.version_column}"
    else:
        superseded = pd.Series(False, index=rows.index)
        conflict = rows.groupby(groups)[ROW].transform("size").gt(1)
        why = "rows with this key differ"
    clashing = rows[conflict]
    sizes = clashing.groupby([clashing[k] for k in key])[ROW].transform("size") if len(clashing) else []
    breaks = pd.DataFrame({ROW: clashing[ROW].to_numpy(), "rule": DUPLICATE_KEY,
                           "detail": [f"{n} {why}" for n in sizes]})
    return Resolved(rows[~superseded & ~conflict], breaks, int(copies.sum()), int(superseded.sum()))
