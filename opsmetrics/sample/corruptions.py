"""The catalogue of bad (and awkward-but-valid) rows, per entity.

Each entry names the SOURCES.md rule it breaks and how to turn a clean row
into a bad one. Which rows get corrupted, and how many, is decided in
``faults.py``; this module only knows *what* a fault looks like. All values
here are the strings of the file drop, so faults look exactly like what a
broken export would contain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

Change = Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame]


@dataclass(frozen=True)
class Corruption:
    kind: str  # label in the manifest
    column: str  # the column it touches ("" for whole-row kinds)
    change: Change  # returns the changed copy of the selected rows
    expect: str = "quarantined"  # or superseded / collapsed / kept
    mode: str = "replace"  # replace rows in place, or append the changed copies
    eligible: Callable[[pd.DataFrame], np.ndarray] | None = None
    cost: int = 1  # rows quarantined per application
    limit: int | None = None  # at most this many applications


# --- value helpers -------------------------------------------------------

def _norm(s: pd.Series) -> np.ndarray:
    return s.astype(str).str.strip().str.lower().to_numpy()


def _ts(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, utc=True, format="ISO8601")


def _z(ts: pd.Series) -> np.ndarray:
    return ts.dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy()


def _date(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="%Y-%m-%d")


def _money(x) -> np.ndarray:
    return np.char.mod("%.2f", np.asarray(x, dtype=float)).astype(object)


# --- change builders -----------------------------------------------------

def put(col: str, *values: str) -> Change:
    def f(rows, rng):
        rows[col] = np.array(values, dtype=object)[rng.integers(0, len(values), len(rows))]
        return rows
    return f


def ts_from(col: str, src: str, hours: float) -> Change:
    """col := src shifted by `hours` (a timestamp order violation when < 0)."""
    def f(rows, rng):
        rows[col] = _z(_ts(rows[src]) + pd.Timedelta(hours=hours))
        return rows
    return f


def date_from(col: str, src: str, days: int) -> Change:
    def f(rows, rng):
        rows[col] = (_date(rows[src]) + pd.Timedelta(days=days)).dt.strftime("%Y-%m-%d").to_numpy()
        return rows
    return f


def scale_money(col: str, factor: float) -> Change:
    def f(rows, rng):
        rows[col] = _money(rows[col].astype(float) * factor)
        return rows
    return f


def new_ids(col: str, prefix: str, distinct: int | None = None) -> Change:
    """Fresh ids no clean row uses (clean ids never start with a 9); with
    `distinct`, only that many different ones (e.g. a few missing parents)."""
    def f(rows, rng):
        rows[col] = [f"{prefix}9{i % (distinct or len(rows)):05d}" for i in range(len(rows))]
        return rows
    return f


def chain(*changes: Change) -> Change:
    def f(rows, rng):
        for c in changes:
            rows = c(rows, rng)
        return rows
    return f


def identity(rows, rng):
    return rows


def older(variant: Change) -> Change:
    """An earlier version of the row: different content, earlier updated_at."""
    def f(rows, rng):
        rows = variant(rows, rng)
        back = pd.to_timedelta(rng.uniform(1, 240, len(rows)), unit="h")
        earlier = _ts(rows["updated_at"]) - back
        if "created_at" in rows:  # a version cannot predate the record
            earlier = earlier.where(earlier >= _ts(rows["created_at"]), _ts(rows["created_at"]))
        rows["updated_at"] = _z(earlier)
        return rows
    return f


def where(col: str, *values: str):
    return lambda df: np.isin(_norm(df[col]), values)


def has(col: str):
    return lambda df: _norm(df[col]) != ""


def duplicates(variant: Change | None) -> list[Corruption]:
    """The three duplicate-key cases of SOURCES.md."""
    out = [Corruption("duplicate_identical", "", identity, "collapsed", "append")]
    if variant is not None:
        out += [Corruption("duplicate_older_version", "updated_at", older(variant), "superseded", "append"),
                Corruption("duplicate_tie", "updated_at", variant, mode="append", cost=2)]
    return out


def orphan(parent_col: str, parent_prefix: str, key_col: str, key_prefix: str) -> Corruption:
    """A copy of a row under a new key, pointing at a parent that does not exist."""
    return Corruption("missing_parent", parent_col,
                      chain(new_ids(parent_col, parent_prefix, 7), new_ids(key_col, key_prefix)), mode="append")
