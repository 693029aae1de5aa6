"""Milestones: 3-6 per project from presales to after-sales, due across the
plan, completed as the project really progresses (so slipping projects
complete late, and running late projects have overdue milestones)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .timeline import DAY, NAT_D, Timeline, at_time, days_td, hours

# Per milestone count: (phase, position in the planned duration, name).
# Position < 0: before the start; > 1: after the planned end.
_TEMPLATES = {
    3: [("presales", -0.05, "Contract signed"), ("implementation", 0.5, "Solution build complete"),
        ("acceptance", 1.0, "Customer acceptance")],
    4: [("presales", -0.05, "Contract signed"), ("implementation", 0.5, "Solution build complete"),
        ("acceptance", 1.0, "Customer acceptance"), ("after_sales", 1.25, "Hypercare closed")],
    5: [("presales", -0.05, "Contract signed"), ("implementation", 0.35, "Design sign-off"),
        ("implementation", 0.7, "Build complete"), ("acceptance", 1.0, "Customer acceptance"),
        ("after_sales", 1.25, "Hypercare closed")],
    6: [("presales", -0.05, "Kick-off and SOW signed"), ("implementation", 0.25, "Design sign-off"),
        ("implementation", 0.5, "Data migration"), ("implementation", 0.75, "Integration tested"),
        ("acceptance", 1.0, "Customer acceptance"), ("after_sales", 1.2, "Hypercare closed")],
}


def make_milestones(rng: np.random.Generator, tl: Timeline, projects: pd.DataFrame) -> pd.DataFrame:
    k = rng.choice([3, 4, 5, 6], size=len(projects), p=[0.2, 0.35, 0.3, 0.15])
    proj = np.repeat(np.arange(len(projects)), k)
    rows = [t for kk in k for t in _TEMPLATES[kk]]  # one template row per milestone
    phase = np.array([r[0] for r in rows])
    pos = np.array([r[1] for r in rows])
    name = np.array([r[2] for r in rows], dtype=object)
    p = projects.iloc[proj]
    start = p["_start"].to_numpy()
    planned = (p["planned_end_date"].to_numpy() - start) / DAY
    slip = (p["_true_end"].to_numpy() - p["planned_end_date"].to_numpy()) / DAY
    n = len(proj)
    due = start + days_td(pos * planned)
    due = np.where(phase == "presales", start - days_td(rng.uniform(0, 10, n)), due)
    # Work finishes late in proportion to how far into the project it is.
    done = due + days_td(np.clip(pos, 0, 1.3) * slip + rng.normal(0, 5, n))
    stop = np.where(p["status"].isin(["cancelled", "on_hold"]), p["_stop"].to_numpy(), np.datetime64("9999-12-31"))
    delivered = (p["status"] == "delivered").to_numpy() & (phase != "after_sales")
    done = np.where(delivered, np.minimum(done, p["actual_end_date"].to_numpy()), done)
    forgotten = (phase == "after_sales") & (rng.random(n) < 0.04)  # never closed out
    completed = np.where((done <= tl.end) & (done <= stop) & ~forgotten, done, NAT_D)
    base = np.where(np.isnat(completed), np.minimum(due, tl.end), completed)
    updated = np.minimum(at_time(rng, base) + hours(rng.exponential(20, n)), tl.cap)
    return pd.DataFrame({
        "milestone_id": np.char.add("MS-", np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
        "project_id": p["project_id"].to_numpy(), "name": name, "phase": phase,
        "due_date": due, "completed_date": completed, "updated_at": updated,
    })
