"""The cascade: rows whose parent is missing or was quarantined are quarantined too, and time
entries take their hourly rate from the valid rows of the rate card (a parent of sorts)."""
from __future__ import annotations

import pandas as pd

from schemas.columns import Entity
from schemas.rules import NO_RATE, parent_rule
from schemas.sources import ENTITIES
from tasks.staging.parse import ROW


def check_parents(rows: pd.DataFrame, entity: Entity, valid: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows with every hard parent valid, and the breaks of the others (first missing parent wins)."""
    breaks = []
    for parent in entity.hard_parents:
        (parent_key,) = ENTITIES[parent.entity].key
        keys = valid[parent.entity][parent_key]
        orphan = ~rows[parent.column].isin(keys)
        hit = rows[orphan]
        breaks.append(pd.DataFrame({ROW: hit[ROW].to_numpy(), "rule": parent_rule(parent.column),
                                    "detail": [f"{parent.column} {v!r} is not a valid row of {parent.entity}"
                                               for v in hit[parent.column]]}))
        rows = rows[~orphan]
    return rows, _concat(breaks)


def attach_rates(entries: pd.DataFrame, rate_card: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give each entry `rate`: the hourly_cost of its role with the latest valid_from ≤ work_date."""
    if entries.empty:  # nothing to rate; merge_asof fails on two empty text (Arrow) `by` columns
        return entries.assign(rate=pd.Series(dtype="float64", index=entries.index)), _concat([])
    card = rate_card[["role", "valid_from", "hourly_cost"]].sort_values("valid_from")
    ordered = entries.sort_values("work_date")
    joined = pd.merge_asof(ordered, card.astype({"valid_from": ordered["work_date"].dtype}), left_on="work_date",
                           right_on="valid_from", by="role", direction="backward")
    joined = joined.drop(columns="valid_from").rename(columns={"hourly_cost": "rate"})
    joined = joined.sort_values(ROW).reset_index(drop=True)
    missing = joined["rate"].isna()
    hit = joined[missing]
    breaks = pd.DataFrame({ROW: hit[ROW].to_numpy(), "rule": NO_RATE,
                           "detail": [f"no rate_card row for role {r!r} valid on {d:%Y-%m-%d}"
                                      for r, d in zip(hit["role"], hit["work_date"], strict=True)]})
    return joined[~missing], breaks


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[ROW, "rule", "detail"])
