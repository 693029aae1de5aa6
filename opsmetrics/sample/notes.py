"""The review's memory: a few weeks of weekly reviews (every Monday up to the end date) and what each
said and decided (`review_notes`).

Each meeting notes a few metrics against the plan (the one furthest behind, and one or two more:
`watch`, or `fix` with a follow-up in two weeks when far off), and one action on a project at risk
(`fix`, to report back at the next review). Once, a campaign that costs much and converts little
is dropped (`drop`, on a campaign whose spend goes on after the note: the ads were never paused),
and a good one is kept (`keep`). Follow-ups due by the end date are mostly closed, some left open;
those of the last review are not due yet.

Everything a note names is taken from the generated rows the pipeline will keep: projects and
campaigns from the file drop after the faults (quarantined rows left out), figures from `Actuals`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .campaigns import CAMPAIGNS
from .plan import GOALS, OWNERS, Actuals, Goal, target_of
from .timeline import DAY, NAT_D, Timeline, at_time, hours, random_weekday, weekday

MEETINGS = 6  # weekly reviews, the last on the latest Monday up to the end date
FOLLOW_UP_DAYS = {"action": 7, "metric": 14, "campaign": 7}  # after the meeting, by what the note is
P_CLOSED = 0.7  # of the follow-ups due by the end date
COLUMNS = ["note_id", "noted_on", "metric", "subject", "owner", "decision", "note", "follow_up_by", "closed_on",
           "updated_at"]

_BEHIND = {
    "marketing": ("{label} {gap} below plan ({value} vs {target}) since the trade show was cancelled; {who} to check "
                  "the paid search budget",
                  "{label} {gap} below plan ({value} vs {target}); {who} to bring the next webinar forward",
                  "{label} {gap} below plan ({value} vs {target}); {who} to ask partners for co-marketing leads"),
    "sales": ("{label} {gap} below plan ({value} vs {target}): two large deals slipped into next month; {who} to "
              "confirm close dates",
              "{label} {gap} below plan ({value} vs {target}); {who} to review the late-stage pipeline with the team",
              "{label} {gap} below plan ({value} vs {target}); {who} to run a deal desk on stalled proposals"),
    "delivery": ("{label} {gap} below plan ({value} vs {target}); {who} to review resourcing of the late projects",
                 "{label} {gap} below plan ({value} vs {target}); {who} to re-plan acceptance dates with the "
                 "customers"),
    "success": ("{label} {gap} below plan ({value} vs {target}); {who} to call this month's detractors",
                "{label} {gap} below plan ({value} vs {target}); {who} to follow up on slow support answers"),
    "spend": ("{label} {gap} over budget ({value} vs {target}); {who} to pause the campaigns with the fewest leads",
              "{label} {gap} over budget ({value} vs {target}): event invoices landed early; {who} to confirm "
              "with finance"),
}
_AHEAD = {
    "marketing": "{label} {gap} above plan ({value} vs {target}); the webinar series is pulling well",
    "sales": "{label} {gap} above plan ({value} vs {target}); a strong close to the quarter, watch it holds",
    "delivery": "{label} {gap} above plan ({value} vs {target}); acceptance going smoothly",
    "success": "{label} {gap} above plan ({value} vs {target}); promoters up since the last release",
    "spend": "{label} {gap} under budget ({value} vs {target}); {who} to check no invoices are stuck",
}


@dataclass
class Note:
    noted_on: np.datetime64
    about: str  # "action" (the meeting's, on a project), "metric" or "campaign": how its follow-up is set
    owner: str
    note: str
    metric: str = ""
    subject: str = ""
    decision: str = ""
    follow_up_by: np.datetime64 = field(default_factory=lambda: NAT_D)
    closed_on: np.datetime64 = field(default_factory=lambda: NAT_D)
    stays_open: bool = False  # a follow-up nobody reported back on
    closes: bool = False  # one that was reported back on


def meetings(tl: Timeline) -> np.ndarray:
    """The review days, oldest first: the latest Monday up to the end date and the weeks before."""
    last = tl.end - int(weekday(tl.end)) * DAY
    return last - np.arange(MEETINGS - 1, -1, -1) * 7 * DAY


def make_review_notes(rng: np.random.Generator, tl: Timeline, typed: dict[str, pd.DataFrame],
                      frames: dict[str, pd.DataFrame], manifest: pd.DataFrame, targets: pd.DataFrame,
                      actuals: Actuals) -> pd.DataFrame:
    """The notes, typed (dates as datetime64, "" for no metric/subject/decision)."""
    days = meetings(tl)
    bad = manifest[manifest["expect"] == "quarantined"].groupby("entity")["key"].agg(set).to_dict()
    at_risk = _projects_at_risk(tl, typed["projects"], bad.get("projects", set()))
    picks = _campaign_picks(tl, frames, bad, days)
    notes: list[Note] = []
    for i, day in enumerate(days):
        last_week = {n.metric for n in notes if n.noted_on == day - 7 * DAY}
        notes += _metric_notes(rng, day, targets, actuals, not at_risk, last_week)
        if at_risk:
            notes.append(_project_note(typed, at_risk[i % len(at_risk)], day, targets))
        for kind, (meeting, channel, campaign, text) in picks.items():
            if meeting == i:
                notes.append(Note(day, "campaign", _owner("marketing", day, targets), text,
                                  subject=f"{channel}/{campaign}", decision=kind))
    _follow_ups(rng, tl, notes, days)
    return _frame(rng, tl, notes)


# --- metrics --------------------------------------------------------------

def _behind(goal: Goal, value: float, target: float) -> float:
    """How far behind plan, in tenths (10% of a count or money, 1 point of a rate, 2 points of NPS):
    > 0 behind (over budget for spend), < 0 ahead."""
    if goal.kind in ("count", "money"):
        rel = value / target - 1 if target > 0 else 0.0
        return rel * 10 if goal.metric.startswith("marketing_spend") else -rel * 10
    return -(value - target) / (0.01 if goal.kind == "rate" else 2.0)


def _metric_notes(rng, day, targets, actuals, action: bool, last_week: set[str]) -> list[Note]:
    """The metric furthest behind plan (of those last week's review did not note), and one or two more."""
    scored = []
    for g in GOALS:
        value, (target, owner) = actuals.at(g.metric, day), target_of(targets, g.metric, day)
        if np.isfinite(value) and np.isfinite(target) and owner:
            scored.append((_behind(g, value, target), g, value, target, owner))
    if not scored:
        return []
    scored.sort(key=lambda s: (s[1].metric in last_week, -s[0]))
    rest = scored[1:]
    extra = [rest[j] for j in rng.choice(len(rest), size=min(len(rest), 1 + int(rng.random() < 0.4)), replace=False)]
    out = []
    for n, (behind, g, value, target, owner) in enumerate([scored[0], *extra]):
        team = "spend" if g.metric.startswith("marketing_spend") else g.team
        words = dict(label=g.label, value=_show(g, value), target=_show(g, target), gap=_gap(g, value, target),
                     who=owner.split()[0])
        if behind > 0.2:
            texts = _BEHIND[team]
            text = texts[int(rng.integers(len(texts)))].format(**words)
        elif behind > -0.2:
            text = "{label} on plan ({value} vs {target})".format(**words)
        else:
            text = _AHEAD[team].format(**words)
        # far behind: fixed, reported back on; the meeting's action when no project needs one
        fix = behind >= 1.0 or (action and n == 0)
        out.append(Note(day, "action" if action and n == 0 else "metric", owner, text, metric=g.metric,
                        decision="fix" if fix else "watch"))
    return out


def _show(g: Goal, v: float) -> str:
    if g.kind == "rate":
        return f"{v:.0%}"
    if g.kind == "money":
        return _money(v)
    return f"{v:,.0f}"


def _gap(g: Goal, value: float, target: float) -> str:
    if g.kind == "rate":
        return f"{abs(value - target) * 100:.0f} points"
    if g.kind == "nps":
        return f"{abs(value - target):.0f} points"
    return f"{abs(value / target - 1):.0%}" if target else "n/a"


def _money(v: float) -> str:
    if abs(v) >= 1e6:
        return f"{v / 1e6:.1f}M"
    return f"{v / 1e3:.0f}k" if abs(v) >= 1e3 else f"{v:.0f}"


def _owner(team: str, day: np.datetime64, targets: pd.DataFrame) -> str:
    """The team's owner that month, as the plan says (the first metric of the team)."""
    goal = next(g for g in GOALS if g.team == team)
    return target_of(targets, goal.metric, day)[1] or OWNERS[team][0]


# --- projects -------------------------------------------------------------

def _projects_at_risk(tl: Timeline, projects: pd.DataFrame, quarantined: set) -> list[str]:
    """Up to three active projects (valid rows) furthest past their planned end, then most over budget."""
    p = projects[(projects["status"] == "active") & ~projects["project_id"].isin(quarantined)]
    if p.empty:
        return []
    slip = (tl.end - p["planned_end_date"].to_numpy(dtype="datetime64[D]")) / DAY
    order = np.lexsort((-p["_overrun"].to_numpy(), -slip))
    return list(p["project_id"].to_numpy()[order][:3])


def _project_note(typed, project_id: str, day: np.datetime64, targets) -> Note:
    p = typed["projects"].set_index("project_id").loc[project_id]
    ms = typed["milestones"]
    ms = ms[ms["project_id"] == project_id]
    due = ms["due_date"].to_numpy(dtype="datetime64[D]")
    done = ms["completed_date"].to_numpy(dtype="datetime64[D]")
    overdue = int(((due < day) & (np.isnat(done) | (done > day))).sum())
    slip = int((day - np.datetime64(p["planned_end_date"], "D")) / DAY)
    who = _owner("delivery", day, targets)
    first = who.split()[0]
    late = f"{overdue} milestone{'s' if overdue != 1 else ''} overdue"
    if slip > 0:
        text = f"{p['name']}: {slip} days past its planned end, {late}; {first} to agree a recovery plan with the customer"
    elif overdue:
        text = f"{p['name']}: {late}; {first} to re-plan the next milestones with the project manager"
    else:
        text = f"{p['name']}: budget burn ahead of progress; {first} to review the open change requests"
    return Note(day, "action", who, text, subject=project_id, decision="fix")


# --- campaigns ------------------------------------------------------------

def _campaign_picks(tl, frames, bad, days) -> dict[str, tuple[int, str, str, str]]:
    """decision -> (meeting, channel, campaign, note): `drop` the campaign with the least value
    (quality per cost, campaigns.py) whose spend goes on after the meeting (one that brings no lead
    when none that does), `keep` the one with the most two reviews later."""
    spend, leads = _valid(frames, bad, "marketing_spend"), _valid(frames, bad, "leads")
    spend_date = pd.to_datetime(spend["spend_date"], format="%Y-%m-%d", errors="coerce").to_numpy(dtype="datetime64[D]")
    lead_date = pd.to_datetime(leads["created_at"], utc=True, format="ISO8601", errors="coerce")
    lead_date = lead_date.dt.tz_localize(None).to_numpy(dtype="datetime64[D]")
    amount = pd.to_numeric(spend["amount"], errors="coerce").fillna(0).to_numpy()
    converted = (leads["converted_at"].str.strip() != "").to_numpy()

    def rows(df, channel, campaign):
        return ((df["channel"].str.strip().str.lower() == channel) & (df["campaign"].str.strip() == campaign)).to_numpy()

    # least value first: campaigns that bring leads and get spend, then those that only get spend
    value = sorted((c.leads == 0, c.quality / c.cost if c.leads else -c.cost, ch, c.name)
                   for ch, (_, cs) in CAMPAIGNS.items() for c in cs if c.spend > 0)
    both = [(v, ch, name) for no_leads, v, ch, name in value if not no_leads]
    drop = None
    for *_, ch, name in value:
        s = rows(spend, ch, name)
        for m in (2, 1, 3, 0, 4):
            if (s & (spend_date > days[m]) & (spend_date <= tl.end)).any():
                drop = (m, ch, name)
                break
        if drop:
            break
    if drop is None:  # too small a sample for any campaign to spend after a review
        drop = (2, both[0][1], both[0][2])
    keep = next(((ch, name) for _, ch, name in reversed(both) if (ch, name) != drop[1:]
                 and rows(leads, ch, name).any() and rows(spend, ch, name).any()), None)
    keep = keep or next((ch, name) for _, ch, name in reversed(both) if (ch, name) != drop[1:])

    def last_90(ch, name, day):
        s, ld = rows(spend, ch, name), rows(leads, ch, name)
        in_s = s & (spend_date > day - 90 * DAY) & (spend_date <= day)
        in_l = ld & (lead_date > day - 90 * DAY) & (lead_date <= day)
        return int(in_l.sum()), int((in_l & converted).sum()), float(amount[in_s].sum())

    m, ch, name = drop
    n, won, cost = last_90(ch, name, days[m])
    spent = f"{_money(cost)} of spend" if cost else "no spend"
    what = (f"{_leads(n)} in 90 days for {spent}, {won or 'none'} converted" if n else
            f"{spent} in 90 days and no lead names it")
    out = {"drop": (m, ch, name, f"{name}: {what}; stop it and move the budget to {keep[1]}")}
    km = min(m + 2, MEETINGS - 1)
    n, won, cost = last_90(*keep, days[km])
    per_lead = f" at {_money(cost / n)} a lead" if n and cost else ""
    out["keep"] = (km, *keep, f"{keep[1]}: {_leads(n)} in 90 days{per_lead}, {won} converted; keep it funded, it "
                              f"takes over the budget of {name}")
    return out


def _leads(n: int) -> str:
    return f"{n} lead{'' if n == 1 else 's'}"


def _valid(frames, bad, entity) -> pd.DataFrame:
    df = frames[entity]
    return df[~df[df.columns[0]].isin(bad.get(entity, set()))]


# --- follow-ups and rows --------------------------------------------------

def _follow_ups(rng, tl, notes: list[Note], days: np.ndarray) -> None:
    """A follow-up on every `fix` and `drop`; those due by the end date mostly closed. The first
    review's project action was reported back on, the fourth's was not (overdue at the end date),
    and the dropped campaign's never was (its ads kept running)."""
    for n in notes:
        if n.decision in ("fix", "drop"):
            n.follow_up_by = n.noted_on + FOLLOW_UP_DAYS[n.about] * DAY
    for i in (0, 3):
        action = [n for n in notes if n.noted_on == days[i] and n.about == "action"]
        if action:
            action[0].closes, action[0].stays_open = i == 0, i == 3
    for n in notes:
        if n.decision == "drop":
            n.stays_open = True
    due = [n for n in notes if not np.isnat(n.follow_up_by) and n.follow_up_by <= tl.end]
    for n, r in zip(due, rng.random(len(due)), strict=True):
        if n.closes or (r < P_CLOSED and not n.stays_open):
            lo, hi = n.noted_on + DAY, min(n.follow_up_by + 2 * DAY, tl.end)
            n.closed_on = min(random_weekday(rng, np.array([lo]), np.array([hi]))[0], hi)


def _frame(rng, tl: Timeline, notes: list[Note]) -> pd.DataFrame:
    n = len(notes)
    noted = np.array([x.noted_on for x in notes], dtype="datetime64[D]")
    closed = np.array([x.closed_on for x in notes], dtype="datetime64[D]")
    # typed in after the meeting; a closed one last touched when it was closed
    touched = np.where(np.isnat(closed), noted, closed)
    updated = np.minimum(at_time(rng, touched, mean_hour=12.0, sd_hours=2.0) + hours(rng.exponential(3, n)), tl.cap)
    out = pd.DataFrame({
        "note_id": [f"RN-{i:04d}" for i in range(1, n + 1)], "noted_on": noted,
        "metric": [x.metric for x in notes], "subject": [x.subject for x in notes],
        "owner": [x.owner for x in notes], "decision": [x.decision for x in notes], "note": [x.note for x in notes],
        "follow_up_by": np.array([x.follow_up_by for x in notes], dtype="datetime64[D]"), "closed_on": closed,
        "updated_at": updated,
    })
    return out[COLUMNS]

