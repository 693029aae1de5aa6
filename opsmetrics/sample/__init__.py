"""Synthetic file drop for opsmetrics: the thirteen canonical entities of
SOURCES.md (the optional feedback, targets and review_notes included) for a B2B
software company over about three years, with a small, known share of bad rows
so the quarantine is exercised on every run. The plan (targets, plan.py) and a
few weeks of review notes (notes.py) are made last, from the other entities.

``generate`` writes the CSVs; ``build`` returns the same data in memory with
the fault manifest (what was corrupted and what the pipeline should do).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .accounts import make_accounts
from .deals import make_deals
from .expenses import make_expenses, make_marketing_spend
from .faults import inject
from .feedback import make_feedback
from .fmt import to_strings
from .leads import make_leads
from .licensing import make_licenses, make_usage
from .milestones import make_milestones
from .notes import make_review_notes
from .plan import Actuals, make_targets
from .projects import make_projects
from .schema import BASE_ENTITIES, COLUMNS, ENTITIES, KEYS, PLAN_ENTITIES
from .timeline import Timeline, yesterday_utc
from .timesheets import make_rate_card, make_time_entries

__all__ = ["generate", "build", "Sample", "COLUMNS", "ENTITIES", "KEYS"]

# Rows at scale 1 for the entities whose volume is set directly; the others
# follow from them (deals from converted leads, projects from won deals, ...).
LEADS, ACCOUNTS, TIME_ENTRIES = 20_000, 2_500, 300_000


@dataclass
class Sample:
    frames: dict[str, pd.DataFrame]  # per entity, all strings, as written to CSV
    manifest: pd.DataFrame  # the injected faults (see faults.py)
    end_date: dt.date


def build(scale: float = 1.0, seed: int = 7, end_date: dt.date | None = None) -> Sample:
    end_date = end_date or yesterday_utc()
    tl = Timeline.ending(end_date)
    # One independent stream per stage, all derived from the seed. A new stage takes a new stream at
    # the end (spawn(n) gives the same first children whatever n), so the others' data stay as they were.
    (r_acc, r_lead, r_deal, r_proj, r_ms, r_lic, r_use, r_te, r_rate, r_exp, r_mkt,
     r_fmt, r_fault, r_campaign, r_fb, r_plan) = np.random.default_rng(seed).spawn(16)
    accounts = make_accounts(r_acc, max(20, round(ACCOUNTS * scale)))
    leads = make_leads(r_lead, tl, accounts, max(60, round(LEADS * scale)), r_campaign)
    deals = make_deals(r_deal, tl, accounts, leads)
    projects = make_projects(r_proj, tl, deals, accounts)
    entries, k = make_time_entries(r_te, tl, projects, max(100, round(TIME_ENTRIES * scale)), scale)
    # Budgets follow the effort the time entries were scaled to (k ≈ 1 at scale 1).
    projects["budget_cost"] = np.round(projects["budget_cost"] * k, -2)
    projects["budget_hours"] = np.round(projects["budget_hours"] * k, 1)
    licenses = make_licenses(r_lic, tl, projects, accounts)
    rate_card = make_rate_card(r_rate, tl, entries["work_date"].min())
    typed = {
        "leads": leads, "deals": deals, "marketing_spend": make_marketing_spend(r_mkt, tl, scale),
        "projects": projects, "milestones": make_milestones(r_ms, tl, projects), "licenses": licenses,
        "usage": make_usage(r_use, tl, licenses), "time_entries": entries, "rate_card": rate_card,
        "expenses": make_expenses(r_exp, tl, projects), "feedback": make_feedback(r_fb, tl, projects),
    }
    frames = {e: to_strings(r_fmt, e, typed[e]) for e in BASE_ENTITIES}
    first_rate = rate_card.groupby("role")["valid_from"].min().to_numpy(dtype="datetime64[D]")
    first_rate = dict(zip(sorted(rate_card["role"].unique()), first_rate, strict=True))
    frames, manifest = inject(r_fault, frames, first_rate)
    # The plan and the notes: from the typed frames, naming only what the pipeline will keep.
    r_targets, r_notes, r_plan_fmt, r_plan_fault = r_plan.spawn(4)
    actuals = Actuals(tl, typed)
    targets = make_targets(r_targets, tl, actuals)
    plan = {"targets": targets,
            "review_notes": make_review_notes(r_notes, tl, typed, frames, manifest, targets, actuals)}
    plan, plan_manifest = inject(r_plan_fault, {e: to_strings(r_plan_fmt, e, plan[e]) for e in PLAN_ENTITIES}, {},
                                 order=PLAN_ENTITIES)
    frames.update(plan)
    manifest = pd.concat([manifest, plan_manifest], ignore_index=True)
    return Sample(frames={e: frames[e] for e in ENTITIES}, manifest=manifest, end_date=end_date)


def generate(out_dir: str | Path, scale: float = 1.0, seed: int = 7,
             end_date: dt.date | None = None) -> dict[str, int]:
    """Write one CSV per entity (<entity>.csv, UTF-8, header row) into out_dir;
    return rows written per entity."""
    sample = build(scale=scale, seed=seed, end_date=end_date)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for entity, df in sample.frames.items():
        df.to_csv(out / f"{entity}.csv", index=False, lineterminator="\n", encoding="utf-8")
    return {entity: len(df) for entity, df in sample.frames.items()}
