"""Decides which rows to corrupt, and records it in a manifest.

Budget per entity: about 1.2% of its rows are made bad (more at small
scales so every kind fits once, up to 2.5%), and never more than 3% once the
cascade from quarantined parents is counted, because the pipeline's gate
fails a run above 5%. Faults on projects and licences go to the rows with
the fewest children, so the cascade stays small. Duplicates that are not bad
(identical copies, older versions) and dangling references are always added.
The entities kept by hand (``targets``, ``review_notes``: a few hundred rows
at most, and no gate) get each of their faults once, whatever the share.

The manifest has one row per fault: entity, key (as the quarantine names it,
composite keys joined with ``|``), kind, column, expect (quarantined /
superseded / collapsed / kept) and rows (how many rows it puts in that state).
Quarantine caused by a quarantined parent is listed per child, kind
``parent_quarantined``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .catalogue import catalogue
from .schema import KEPT_BY_HAND, KEYS, PARENTS

MAX_SHARE, OWN_SHARE, COVER_SHARE, FREE_SHARE = 0.03, 0.012, 0.025, 0.002
ORDER = ("projects", "licenses", "milestones", "time_entries", "expenses", "usage",
         "leads", "deals", "marketing_spend", "rate_card", "feedback")


def key_of(df: pd.DataFrame, entity: str) -> np.ndarray:
    cols = KEYS[entity]
    out = df[cols[0]].astype(str).to_numpy()
    for c in cols[1:]:
        out = np.char.add(np.char.add(out.astype(str), "|"), df[c].astype(str).to_numpy().astype(str))
    return out.astype(object)


def inject(rng: np.random.Generator, frames: dict[str, pd.DataFrame], first_rate: dict[str, np.datetime64],
           order: tuple[str, ...] = ORDER) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Corrupt the entities of `order` (of `frames`), in that order."""
    out, manifest, bad = dict(frames), [], {}
    for entity in order:
        df = frames[entity].reset_index(drop=True)
        doomed = _doomed(entity, df, bad)
        weight = _child_weight(entity, df, frames) if entity in ("projects", "licenses") else None
        df, rows = _apply(rng, entity, df, catalogue(entity, first_rate), doomed, weight)
        keys = key_of(frames[entity].reset_index(drop=True), entity)[doomed]
        rows += [(entity, k, "parent_quarantined", PARENTS[entity][1], "quarantined", 1) for k in keys]
        bad[entity] = {r[1] for r in rows if r[4] == "quarantined"}
        manifest += rows
        out[entity] = df
    cols = ["entity", "key", "kind", "column", "expect", "rows"]
    return out, pd.DataFrame(manifest, columns=cols)


def _doomed(entity: str, df: pd.DataFrame, bad: dict[str, set]) -> np.ndarray:
    """Rows whose parent is quarantined (they will be too)."""
    if entity not in PARENTS:
        return np.zeros(len(df), dtype=bool)
    parent, col = PARENTS[entity]
    return df[col].isin(bad.get(parent, set())).to_numpy()


def _child_weight(entity: str, df: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> np.ndarray:
    """Share of each child entity a parent row would drag into quarantine."""
    w = np.zeros(len(df))
    key = df[KEYS[entity][0]]
    for child, (parent, col) in PARENTS.items():
        if parent == entity:
            counts = frames[child][col].value_counts()
            w += key.map(counts).fillna(0).to_numpy() / max(len(frames[child]), 1)
    if entity == "projects":  # their licences' usage goes too
        lic = frames["licenses"]
        per_lic = lic["license_id"].map(frames["usage"]["license_id"].value_counts()).fillna(0)
        w += key.map(per_lic.groupby(lic["project_id"]).sum()).fillna(0).to_numpy() / max(len(frames["usage"]), 1)
    return w


def _allocate(cat, n: int, room: int, by_hand: bool = False) -> list[int]:
    """Applications per corruption: bad ones round-robin within the budget,
    the harmless ones a small fixed share; kept by hand, every bad one once."""
    bad = [i for i, c in enumerate(cat) if c.expect == "quarantined"]
    every_kind = sum(cat[i].cost for i in bad)
    budget = min(room, max(round(n * OWN_SHARE), min(every_kind, max(1, int(n * COVER_SHARE)))))
    if by_hand:
        budget = every_kind
    counts = [0] * len(cat)
    while budget > 0:
        progressed = False
        for i in bad:
            c = cat[i]
            if c.cost <= budget and (c.limit is None or counts[i] < c.limit):
                counts[i], budget, progressed = counts[i] + 1, budget - c.cost, True
        if not progressed:
            break
    for i, c in enumerate(cat):
        if c.expect != "quarantined":
            counts[i] = max(1, round(n * FREE_SHARE))
    return counts


def _apply(rng, entity, df, cat, doomed, weight):
    n = len(df)
    counts = _allocate(cat, n, int(MAX_SHARE * n) - int(doomed.sum()), entity in KEPT_BY_HAND)
    used, extras, rows = doomed.copy(), [], []
    for c, k in zip(cat, counts, strict=True):
        ok = ~used & (c.eligible(df) if c.eligible else True)
        cand = np.flatnonzero(ok)
        if k == 0 or len(cand) == 0:
            continue
        if weight is not None and c.expect == "quarantined":
            pick = cand[np.lexsort((rng.random(len(cand)), weight[cand]))[:k]]
        else:
            pick = rng.choice(cand, size=min(k, len(cand)), replace=False)
        used[pick] = True
        changed = c.change(df.iloc[pick].copy(), rng)
        if c.mode == "replace":
            df.iloc[pick] = changed.to_numpy()
        else:
            extras.append(changed)
        rows += [(entity, key, c.kind, c.column, c.expect, c.cost) for key in key_of(changed, entity)]
    return _interleave(rng, df, extras), rows


def _interleave(rng, df, extras):
    """Added rows go to random places, as they would in a real export."""
    if not extras:
        return df
    add = pd.concat(extras, ignore_index=True)
    pos = np.concatenate([np.arange(len(df), dtype=float), rng.uniform(0, len(df), len(add))])
    both = pd.concat([df, add], ignore_index=True)
    return both.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True)
