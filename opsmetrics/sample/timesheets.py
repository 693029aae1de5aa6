"""Timesheets and the rate card.

Each project's effort (budget hours x its overrun) is spread over its phases:
presales before the start, implementation until go-live, acceptance until the
real finish, after-sales for three months after it. Only days up to the
covered end (and before a cancellation or hold) are logged, on weekdays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import ROLES
from .timeline import DAY, Timeline, at_time, days_td, hours, random_weekday

# phase: (share of effort, {role: share of the phase's entries})
PHASE_MIX = {
    "presales": (0.06, {"sales": 0.45, "presales": 0.55}),
    "implementation": (0.70, {"project_manager": 0.15, "engineer": 0.45, "consultant": 0.32, "operations": 0.08}),
    "acceptance": (0.18, {"project_manager": 0.2, "engineer": 0.3, "consultant": 0.3,
                          "customer_success": 0.15, "operations": 0.05}),
    "after_sales": (0.06, {"customer_success": 0.6, "operations": 0.3, "engineer": 0.1}),
}
# People per role at scale 1 (≈ 1,700 logged hours per person in the busiest year).
STAFF = {"sales": 10, "presales": 12, "project_manager": 44, "engineer": 120, "consultant": 88,
         "operations": 26, "customer_success": 20}
_HOURS = np.array([0.5, 1, 1.5, 2, 3, 4, 5, 6, 7, 7.5, 8, 9, 10])
_HOURS_P = np.array([3, 5, 3, 6, 6, 9, 5, 7, 6, 6, 12, 2, 1], dtype=float)
_HOURS_P /= _HOURS_P.sum()
BASE_RATE = {"sales": 85, "presales": 95, "project_manager": 110, "engineer": 100, "consultant": 125,
             "operations": 65, "customer_success": 70}


def _windows(p: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    start, golive, end = p["_start"].to_numpy(), p["_golive"].to_numpy(), p["_true_end"].to_numpy()
    return {"presales": (start - 35 * DAY, start - DAY), "implementation": (start, golive - DAY),
            "acceptance": (golive, end), "after_sales": (end + DAY, end + 90 * DAY)}


def make_time_entries(rng: np.random.Generator, tl: Timeline, projects: pd.DataFrame,
                      target: int, scale: float) -> tuple[pd.DataFrame, float]:
    """Entries for all projects; returns them and the factor applied to the
    planned effort to hit `target` rows (≈ 1 means budgets and logs agree)."""
    limit = np.minimum(projects["_stop"].to_numpy(), tl.end)
    effort = projects["budget_hours"].to_numpy() * projects["_overrun"].to_numpy() / (_HOURS @ _HOURS_P)
    wins = _windows(projects)
    expected = sum(PHASE_MIX[ph][0] * effort * _realised(lo, hi, limit) for ph, (lo, hi) in wins.items())
    k = target / max(expected.sum(), 1.0)
    parts = [_phase_entries(rng, ph, projects, lo, hi, limit, effort * PHASE_MIX[ph][0] * k)
             for ph, (lo, hi) in wins.items()]
    e = pd.concat(parts, ignore_index=True)
    e["hours"] = rng.choice(_HOURS, size=len(e), p=_HOURS_P)
    e["person_id"] = _people(e, scale)
    drawn = e["hours"].sum()
    e["hours"] = _cap_days(rng, e)
    k *= e["hours"].sum() / drawn  # budgets follow what was really logged
    e = e.sort_values(["work_date", "_p", "person_id"], kind="stable").reset_index(drop=True)
    n = len(e)
    e["entry_id"] = np.char.add("TE-", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
    e["project_id"] = projects["project_id"].to_numpy()[e["_p"].to_numpy()]
    # Timesheets are filled in the evening or a few days later.
    e["updated_at"] = np.minimum(at_time(rng, e["work_date"].to_numpy(), 18, 2) + hours(rng.exponential(30, n)), tl.cap)
    return e, k


def _realised(lo, hi, limit):
    """Share of a window's days that are on or before the limit."""
    length = (hi - lo) / DAY + 1
    done = (np.minimum(hi, limit) - lo) / DAY + 1
    return np.clip(done / np.maximum(length, 1), 0, 1)


def _phase_entries(rng, phase, p, lo, hi, limit, n_expected):
    n = rng.poisson(np.maximum(n_expected, 0))
    idx = np.repeat(np.arange(len(p)), n)
    d = random_weekday(rng, lo[idx], hi[idx])
    keep = (d <= limit[idx]) & (d <= hi[idx])
    roles, shares = zip(*PHASE_MIX[phase][1].items(), strict=True)
    role = np.array(roles)[rng.choice(len(roles), size=keep.sum(), p=shares)]
    return pd.DataFrame({"_p": idx[keep], "work_date": d[keep], "role": role, "phase": phase})


def _people(e: pd.DataFrame, scale: float) -> np.ndarray:
    """Each person has one role. Per project and role a team sized to the
    workload (~1.2 entries per person and weekday) is staffed with whoever
    has been free longest, and a day's entries are spread over the team, so
    teams stay stable and people are rarely double-booked."""
    sizes = np.array([max(2, round(STAFF[r] * scale)) for r in ROLES])
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    r_idx = pd.Series(e["role"]).map({r: i for i, r in enumerate(ROLES)}).to_numpy()
    day = e["work_date"].to_numpy().astype("datetime64[D]")
    g = pd.DataFrame({"r": r_idx, "p": e["_p"].to_numpy(), "d": day})
    t = g.groupby(["r", "p"])["d"].agg(["size", "min", "max"]).reset_index().sort_values(["r", "min"], kind="stable")
    lo, hi = (t[c].to_numpy().astype("datetime64[D]") for c in ("min", "max"))
    rate = t["size"].to_numpy() / np.maximum(np.busday_count(lo, hi + DAY), 1)
    team = np.clip(np.ceil(rate / 1.2), 1, sizes[t["r"].to_numpy()]).astype(np.int64)
    start, flat = np.concatenate([[0], np.cumsum(team)[:-1]]), np.empty(team.sum(), dtype=np.int64)
    free = [np.zeros(n, dtype=np.int64) for n in sizes]  # day number each person is free from
    lo, hi = lo.astype(np.int64), hi.astype(np.int64)
    for k, r in enumerate(t["r"].to_numpy()):
        chosen = np.argsort(free[r], kind="stable")[:team[k]]
        # A part-time assignment blocks a person for part of its span only.
        free[r][chosen] = lo[k] + (hi[k] - lo[k]) * min(1.0, rate[k] / team[k] / 1.2)
        flat[start[k]:start[k] + team[k]] = chosen
    t["start"], t["team"] = start, team
    g = g.merge(t[["r", "p", "start", "team"]], on=["r", "p"], how="left")
    rank = g.groupby(["r", "p", "d"]).cumcount().to_numpy()
    slot = (rank + day.astype(np.int64)) % g["team"].to_numpy()
    member = flat[g["start"].to_numpy() + slot]
    return np.char.add("P-", np.char.zfill((first[r_idx] + member + 1).astype(str), 4))


def _cap_days(rng, e: pd.DataFrame) -> np.ndarray:
    """A person's day ends at 8-10 hours: on busier days their entries shrink
    proportionally (to half hours, at least 0.5)."""
    h = e["hours"].to_numpy()
    total = pd.Series(h).groupby([e["person_id"].to_numpy(), e["work_date"].to_numpy()]).transform("sum").to_numpy()
    cap = rng.choice([8.0, 8.5, 9.0, 10.0], size=len(h), p=[0.4, 0.25, 0.25, 0.1])
    shrunk = np.maximum(np.round(h * cap / total * 2) / 2, 0.5)
    return np.where(total > cap, shrunk, h)


def make_rate_card(rng: np.random.Generator, tl: Timeline, earliest_work: np.datetime64) -> pd.DataFrame:
    """Per role a first rate from before any work, then 2-3 yearly raises."""
    first = min(tl.start - days_td(rng.uniform(60, 120)), earliest_work)
    years = np.arange(first.astype("datetime64[Y]").astype(int) + 1, tl.end.astype("datetime64[Y]").astype(int) + 1)
    rows = []
    for role in ROLES:
        k = int(rng.integers(2, 4))
        months = rng.choice([0, 3], size=len(years))  # raises on 1 January or 1 April
        cands = np.array([np.datetime64(f"{1970 + y}-{m + 1:02d}-01") for y, m in zip(years, months, strict=True)])
        changes = np.sort(rng.choice(cands[cands <= tl.end], size=min(k, (cands <= tl.end).sum()), replace=False))
        rate = BASE_RATE[role] * rng.uniform(0.95, 1.05)
        for valid_from in [first, *changes]:
            rows.append((role, valid_from, round(rate, 2)))
            rate *= 1 + rng.uniform(0.02, 0.07)
    return pd.DataFrame(rows, columns=["role", "valid_from", "hourly_cost"])
