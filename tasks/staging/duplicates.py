"""Duplicate keys (SOURCES.md, "Bad rows"), among the rows that passed the row rules.

Identical rows collapse to one; otherwise the row with the latest `updated_at` stands and older
versions are superseded (counted, not quarantined). Rows of a key that differ and tie on the
latest `updated_at` (for entities without one, any two differing rows of a key) are quarantined:
there is no way to tell which is true.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from schemas.columns import Entity
from schemas.rules import DUPLICATE_KEY
from tasks.staging.parse import ROW


class Resolved(NamedTuple):
    standing: np.ndarray  # the rows still standing: one per key
    breaks: pd.DataFrame  # __row__, rule, detail of the conflicting rows
    collapsed: int  # identical copies removed
    superseded: int  # older versions removed


def resolve_duplicates(rows: pd.DataFrame, standing: np.ndarray, entity: Entity) -> Resolved:
    """Among the rows of `rows` still `standing` (a boolean array), one per key: the mask narrowed."""
    key = list(entity.key)
    # Only rows whose key occurs more than once can be copies, superseded or in conflict: find them
    # with one hash of the key columns, and compare whole rows among those few only (hashing every
    # column of millions of rows was most of staging's time).
    at = np.flatnonzero(standing)
    repeated = rows[key].iloc[at].duplicated(keep=False).to_numpy()
    shared = rows[[ROW, *entity.names]].iloc[at[repeated]]
    copies = shared.duplicated(subset=entity.names, keep="first")
    shared = shared[~copies]
    groups = [shared[k] for k in key]
    if entity.version_column:
        version = shared[entity.version_column]
        latest = version.eq(version.groupby(groups).transform("max"))
        superseded = ~latest
        conflict = latest & latest.groupby(groups).transform("sum").gt(1)
        why = f"rows with this key differ and tie on the latest {entity.version_column}"
    else:
        superseded = pd.Series(False, index=shared.index)
        conflict = shared.groupby(groups)[ROW].transform("size").gt(1)
        why = "rows with this key differ"
    clashing = shared[conflict]
    sizes = clashing.groupby([clashing[k] for k in key])[ROW].transform("size") if len(clashing) else []
    breaks = pd.DataFrame({ROW: clashing[ROW].to_numpy(), "rule": DUPLICATE_KEY,
                           "detail": [f"{n} {why}" for n in sizes]})
    dropped = copies.index[copies].union(shared.index[superseded | conflict])
    standing = standing.copy()
    standing[rows.index.get_indexer(dropped)] = False
    return Resolved(standing, breaks, int(copies.sum()), int(superseded.sum()))
