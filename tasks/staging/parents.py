"""The cascade: rows whose parent is missing or was quarantined are quarantined too, and time
entries take their hourly rate from the valid rows of the rate card (a parent of sorts)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.columns import Entity
from schemas.rules import NO_RATE, parent_rule
from schemas.sources import ENTITIES
from tasks.staging.parse import ROW


def check_parents(rows: pd.DataFrame, standing: np.ndarray, entity: Entity,
                  valid: dict[str, pd.DataFrame]) -> tuple[np.ndarray, pd.DataFrame]:
    """Of the rows still `standing`, those with every hard parent valid (the mask narrowed), and
    the breaks of the others (first missing parent wins)."""
    breaks = []
    for parent in entity.hard_parents:
        (parent_key,) = ENTITIES[parent.entity].key
        orphan = standing & ~rows[parent.column].isin(valid[parent.entity][parent_key]).to_numpy()
        breaks.append(pd.DataFrame({ROW: rows[ROW].to_numpy()[orphan], "rule": parent_rule(parent.column),
                                    "detail": [f"{parent.column} {v!r} is not a valid row of {parent.entity}"
                                               for v in rows[parent.column][orphan]]}))
        standing = standing & ~orphan
    return standing, _concat(breaks)


def attach_rates(entries: pd.DataFrame, standing: np.ndarray,
                 rate_card: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Each entry's `rate`: the hourly_cost of its role with the latest valid_from ≤ work_date,
    for the entries still `standing` (NaN for the others); the mask narrowed to the rated ones,
    and the breaks of the entries without a rate.

    Only the entries' position, work_date and role go through the sort and the as-of join."""
    rate = np.full(len(entries), np.nan)
    at = np.flatnonzero(standing)
    if len(at):  # merge_asof fails on two empty text (Arrow) `by` columns
        card = rate_card[["role", "valid_from", "hourly_cost"]].sort_values("valid_from")
        probe = pd.DataFrame({"at": at, "work_date": entries["work_date"].to_numpy()[at],
                              "role": entries["role"].iloc[at].array}).sort_values("work_date", kind="stable")
        joined = pd.merge_asof(probe, card.astype({"valid_from": probe["work_date"].dtype}), left_on="work_date",
                               right_on="valid_from", by="role", direction="backward")
        rate[joined["at"].to_numpy()] = joined["hourly_cost"].to_numpy(dtype="float64", na_value=np.nan)
    unrated = standing & np.isnan(rate)
    hit = entries[unrated]
    breaks = pd.DataFrame({ROW: hit[ROW].to_numpy(), "rule": NO_RATE,
                           "detail": [f"no rate_card row for role {r!r} valid on {d:%Y-%m-%d}"
                                      for r, d in zip(hit["role"], hit["work_date"], strict=True)]})
    return rate, standing & ~unrated, breaks


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[ROW, "rule", "detail"])
