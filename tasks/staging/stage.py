"""Staging: raw text frames of the entities → valid typed rows, the quarantine, and counts.

Rules run in the order of SOURCES.md: records of the wrong shape (a file source hands them over
beside its rows, never as rows), parse and row rules (GX), then duplicate keys among the rows that
passed, then parents (entities are staged parents first, so a quarantined parent cascades to its
children).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from schemas.sources import ENTITIES
from tasks.staging.duplicates import resolve_duplicates
from tasks.staging.parents import attach_rates, check_parents
from tasks.staging.parse import ROW, parse_entity
from tasks.staging.quarantine import (
    POSITION,
    QUARANTINE_COLUMNS,
    describe_rule_breaks,
    quarantine_records,
    shape_records,
    unread_count,
)
from tasks.staging.validate import find_rule_breaks

COUNT_COLUMNS = ["read", "quarantined", "superseded", "collapsed", "valid"]


@dataclass
class Staged:
    valid: dict[str, pd.DataFrame]  # entity → valid typed rows (time_entries with `rate`)
    quarantine: pd.DataFrame  # QUARANTINE_COLUMNS
    counts: pd.DataFrame  # index: entity; COUNT_COLUMNS
    quarantined_per_rule: pd.DataFrame  # entity, rule, rows


def stage_sources(raw: dict[str, pd.DataFrame], currency: str, *, consume: bool = False) -> Staged:
    """`consume`: the caller hands `raw` over, and each entity's text is taken out of it once the
    entity is staged. Staging time_entries is a run's peak; with the text of the entities staged
    before it still held, one date at scale 10 needed more than 2 GB."""
    valid: dict[str, pd.DataFrame] = {}
    quarantined, counts = [], {}
    for name, entity in ENTITIES.items():
        frame = raw.pop(name) if consume else raw[name]
        parsed = parse_entity(frame, entity)
        hits = find_rule_breaks(parsed, entity, currency)
        breaks = [describe_rule_breaks(hits, frame, entity, currency)]
        # Later steps narrow a mask of the rows still standing and the valid rows are cut out of
        # the parsed frame once, at the end: at scale 10 a copy per step (rules, duplicates,
        # parents, rates) of time_entries' 3 million rows was most of the run's peak memory.
        standing = ~parsed[ROW].isin(hits[ROW]).to_numpy()
        resolved = resolve_duplicates(parsed, standing, entity)
        standing, orphans = check_parents(parsed, resolved.standing, entity, valid)
        breaks += [resolved.breaks, orphans]
        rows = parsed[entity.names]
        if name == "time_entries":
            rate, standing, unrated = attach_rates(parsed, standing, valid["rate_card"])
            rows = rows.assign(rate=rate)
            breaks.append(unrated)
        valid[name] = (rows if standing.all() else rows[standing]).reset_index(drop=True)
        del parsed, rows
        records = quarantine_records(pd.concat([b for b in breaks if len(b)] or [breaks[0]], ignore_index=True),
                                     frame, entity)
        misshapen = shape_records(frame, entity)
        if len(misshapen):  # in the order of the source
            records = pd.concat([records, misshapen], ignore_index=True).sort_values(POSITION, kind="stable")
        quarantined.append(records)
        # rows read = the records of the source, whatever became of them: misshapen ones too
        counts[name] = {"read": len(frame) + unread_count(frame), "quarantined": len(records),
                        "superseded": resolved.superseded, "collapsed": resolved.collapsed,
                        "valid": len(valid[name])}
    quarantine = pd.concat(quarantined, ignore_index=True)[QUARANTINE_COLUMNS]
    per_rule = quarantine.groupby(["entity", "rule"], sort=True).size().rename("rows").reset_index()
    return Staged(valid, quarantine, pd.DataFrame.from_dict(counts, orient="index")[COUNT_COLUMNS], per_rule)


class GateError(RuntimeError):
    """Too many rows of an entity were quarantined: the run must not publish."""


def check_gate(staged: Staged, max_share: float) -> None:
    """Fail when more than `max_share` of any entity's rows were quarantined (SOURCES.md, "Gate").
    Entities kept by hand (the plan, the review's notes) are not judged: a typo there must not stop
    the night's figures; their bad rows are in the quarantine all the same."""
    c = staged.counts[[not ENTITIES[name].kept_by_hand for name in staged.counts.index]]
    share = (c["quarantined"] / c["read"].where(c["read"] > 0)).fillna(0.0)
    over = share[share > max_share]
    if over.empty:
        return
    parts = []
    for name, value in over.items():
        top = staged.quarantined_per_rule[staged.quarantined_per_rule["entity"] == name].nlargest(3, "rows")
        rules = ", ".join(f"{r} ({n})" for r, n in zip(top["rule"], top["rows"], strict=True))
        parts.append(f"{name}: {c.at[name, 'quarantined']} of {c.at[name, 'read']} rows quarantined "
                     f"({value:.1%} > {max_share:.1%}; {rules})")
    raise GateError("quarantine gate: " + "; ".join(parts))
