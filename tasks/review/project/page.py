"""A project's page as of D (专项盘点): one self-contained HTML page made like the pack (the same
`render`, styles and Content-Security-Policy, its words in English or Chinese), in the order a project
manager reads it:

- At a glance: name, account, state and health at D, and which of METRICS.md's health conditions hold,
  with the numbers; since when the project has had that colour.
- Budget and schedule: budget burn against the share of start → planned end passed, at every published
  date, under the health of each date.
- Milestones: due, completed, overdue at D (overdue first).
- Effort: hours and labour cost per week by role and by phase, and role × phase over the whole project.
- Products and usage: its licences, active users and seat utilisation over time, the favourite product.
- Deal and sales cycle.
- What the customer said: every response, newest first, comments in full; the NPS of 180 days.
- Notes and decisions: the review notes about it, open follow-ups first.

Every expectation of tests/review/test_project_page.py is worked out by hand."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from schemas.review import HEALTH, PHASES, ROLES, value_label
from schemas.tables import HEALTH_AMBER_BURN, HEALTH_RED_OVERDUE, HEALTH_RED_SLIP_DAYS
from tasks.review import charts, project_charts
from tasks.review.page import render
from tasks.review.project.data import ProjectData
from tasks.review.sections.common import Raw, Section, esc, para, table, when
from tasks.review.sections.delivery import HEALTH_RANK
from tasks.review.text import TEXT as _KEYS
from tasks.review.text import Words, fmt_change, fmt_value, missing

# the health rule's thresholds (schemas/tables.py, from METRICS.md's project_daily `health`)
RED_OVERDUE, RED_SLIP_DAYS, AMBER_BURN = HEALTH_RED_OVERDUE, HEALTH_RED_SLIP_DAYS, HEALTH_AMBER_BURN
# the page's own styles (the pack's STYLE is in the head): comments kept as written
STYLE = """<style>
td.comment { white-space: pre-wrap; max-width: 640px; }
table.facts th { width: 190px; }
p.reasons { font-size: 15px; margin: 8px 0; }
a.back { font-size: 13px; }
</style>"""


@dataclass(frozen=True)
class Reason:
    """A health condition that holds at D: the measure it reads (budget, milestones, slip), the colour
    it gives, and its sentence."""

    measure: str
    colour: str
    text: str


def health_reasons(row: pd.Series, words: Words, currency: str, planned_end: object = None) -> list[Reason]:
    """The conditions of METRICS.md's health that hold on a project_daily row, one per measure (the
    strongest: cost over budget rather than a burn above 90% as well; a slip of 20 days is red, not
    amber too), red first."""
    out = []
    cv, burn = _number(row.get("cost_variance")), _number(row.get("budget_burn"))
    cost, budget = row.get("total_cost_to_date"), row.get("budget_cost")
    money = {"cost": fmt_value(cost, "money", currency), "budget": fmt_value(budget, "money", currency),
             "burn": fmt_value(burn, "ratio", currency)}
    if cv is not None and cv > 0:
        out.append(Reason("budget", "red", words("proj_over_budget", over=fmt_value(cv, "money", currency), **money)))
    elif burn is not None and burn > AMBER_BURN:
        out.append(Reason("budget", "amber", words("proj_burn_high", **money)))
    overdue = _number(row.get("milestones_overdue"))
    if overdue is not None and overdue >= RED_OVERDUE:
        out.append(Reason("milestones", "red", words("proj_overdue_many", n=f"{overdue:,.0f}")))
    elif overdue == 1:
        out.append(Reason("milestones", "amber", words("proj_overdue_one")))
    slip = _number(row.get("schedule_slip_days"))
    if slip is not None and slip > 0:
        end = "–" if missing(planned_end) or planned_end is pd.NaT else when(planned_end)
        out.append(Reason("slip", "red" if slip > RED_SLIP_DAYS else "amber",
                          words("proj_slip_long" if slip > RED_SLIP_DAYS else "proj_slip_short", n=f"{slip:,.0f}",
                                end=end)))
    return sorted(out, key=lambda r: HEALTH_RANK[r.colour])


def rule_checks(row: pd.Series) -> dict[str, str | None]:
    """Each measure of the health rule on its own: the colour its condition gives (green when none
    holds; None without a value), for the table of the rule: cost variance (red above 0), budget
    burn (amber above 90%), milestones overdue (amber at 1, red from 2), slip (amber above 0 days,
    red above 14)."""
    cv, burn = _number(row.get("cost_variance")), _number(row.get("budget_burn"))
    overdue, slip = _number(row.get("milestones_overdue")), _number(row.get("schedule_slip_days"))
    return {"cost_variance": None if cv is None else "red" if cv > 0 else "green",
            "budget_burn": None if burn is None else "amber" if burn > AMBER_BURN else "green",
            "milestones_overdue": None if overdue is None else
            "red" if overdue >= RED_OVERDUE else "amber" if overdue == 1 else "green",
            "schedule_slip_days": None if slip is None else
            "red" if slip > RED_SLIP_DAYS else "amber" if slip > 0 else "green"}


def _number(v: object) -> float | None:
    if missing(v) or v is pd.NA:
        return None
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def elapsed_over_time(directory: pd.DataFrame, dates: pd.Series) -> pd.Series:
    """The share of the schedule (start → planned end) passed at each date, from 0 to 1: what the
    pack's `schedule_elapsed` (tasks/review/sections/delivery.py) gives at one date, at many dates of
    one project (the same rule: 1 past the planned end; a schedule of no days all passed once started;
    null without dates)."""
    dates = pd.to_datetime(pd.Series(dates)).reset_index(drop=True)
    if directory.empty:
        return pd.Series(np.nan, index=dates.index, dtype="float64")
    start = pd.to_datetime(directory["start_date"].iloc[0])
    end = pd.to_datetime(directory["planned_end_date"].iloc[0])
    if pd.isna(start) or pd.isna(end):
        return pd.Series(np.nan, index=dates.index, dtype="float64")
    passed = (dates - start).dt.days.astype("float64")
    length = float((end - start).days)
    share = passed / length if length > 0 else (passed >= 0).astype("float64")
    return share.clip(0, 1)


def since(daily: pd.DataFrame) -> tuple[pd.Timestamp, int, object]:
    """The first published date of the run of dates ending at D with D's health, how many published
    dates that run holds, and the health of the date before it: None if that date has none (the
    project was not active), "" if the run starts at the project's first published date."""
    health = [None if missing(h) else str(h) for h in daily["health"]]
    last, k = health[-1], len(health) - 1
    while k > 0 and health[k - 1] == last:
        k -= 1
    return daily["as_of_date"].iloc[k], len(health) - k, (health[k - 1] if k > 0 else "")


def favourite(daily: pd.DataFrame) -> tuple[object, pd.Series]:
    """top_product at D, and how many published dates each product was the top one (most first, then
    by name): of the dates that have a top product."""
    tops = daily["top_product"].dropna().astype(str)
    counts = tops.value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    at = daily["top_product"].iloc[-1]
    return (None if missing(at) else str(at)), counts


def milestone_rows(milestones: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The milestones as they stood at D with `status` (overdue, open, done) and `days` (overdue by,
    due in, or completed late by), overdue first (the longest overdue first), then open by due date,
    then completed by due date. METRICS.md: completed by D = completed_date <= D; overdue at D =
    due_date < D and not completed by D."""
    if milestones.empty:
        return milestones.assign(status=[], days=[])
    day = pd.Timestamp(as_of)
    m = milestones.copy()
    done = m["completed_date"].notna() & (m["completed_date"] <= day)
    overdue = ~done & m["due_date"].notna() & (m["due_date"] < day)
    m["status"] = np.where(done, "done", np.where(overdue, "overdue", "open"))
    m["days"] = np.where(done, (m["completed_date"] - m["due_date"]).dt.days,
                         np.where(overdue, (day - m["due_date"]).dt.days, (m["due_date"] - day).dt.days))
    m["_rank"] = m["status"].map({"overdue": 0, "open": 1, "done": 2})
    return m.sort_values(["_rank", "due_date", "milestone_id"], na_position="last", kind="stable",
                         ignore_index=True).drop(columns="_rank")


def note_rows(notes: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The notes noted by D, with `state` (overdue, open, closed, none: no follow-up asked): open
    follow-ups first (overdue ones first, then by due date), then every other note, newest first."""
    if notes.empty:
        return notes.assign(state=[])
    day = pd.Timestamp(as_of)
    n = notes[notes["noted_on"] <= day].copy()
    closed = n["closed_on"].notna() & (n["closed_on"] <= day)
    asked = n["follow_up_by"].notna()
    n["state"] = np.where(closed, "closed", np.where(~asked, "none",
                                                     np.where(n["follow_up_by"] < day, "overdue", "open")))
    open_ = n[n["state"].isin(["overdue", "open"])].assign(_rank=lambda f: (f["state"] == "open").astype(int))
    open_ = open_.sort_values(["_rank", "follow_up_by", "note_id"], kind="stable").drop(columns="_rank")
    rest = n[~n["state"].isin(["overdue", "open"])].sort_values(["noted_on", "note_id"], ascending=[False, True],
                                                                kind="stable")
    return pd.concat([open_, rest], ignore_index=True)


def score_kind(score: object) -> str:
    """promoter (9-10), passive (7-8) or detractor (0-6)."""
    s = float(score)  # type: ignore[arg-type]
    return "promoter" if s >= 9 else "passive" if s >= 7 else "detractor"


# --- the page ---------------------------------------------------------------------------------

@dataclass
class Sheet:
    """What the page's sections share: the data, the words, the currency and the charts so far."""

    data: ProjectData
    words: Words
    currency: str
    charts: dict[str, dict] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.words.lang

    def chart(self, chart_id: str, spec: dict, caption: str = "") -> str:
        """Register a chart, and its container (as the pack's: tasks/review/page.py draws it)."""
        element = f"chart-{chart_id}"
        assert element not in self.charts, f"two charts {element}"
        self.charts[element] = spec
        return (f'<figure class="chart-figure">{f"<figcaption>{esc(caption)}</figcaption>" if caption else ""}'
                f'<div class="chart" id="{element}" data-chart="{chart_id}"></div></figure>')

    def chart_words(self, *keys: str) -> dict[str, str]:
        """The words a chart function reads, by their key without `proj_`."""
        return {k.removeprefix("proj_"): self.words(k) for k in ("date", "value", *keys)}

    def absent(self, table_name: str, what: str) -> str:
        """The sentence of a table the warehouse does not have."""
        return para(self.words("proj_table_absent", what=what, table=table_name))


def colour_chip(health: object, lang: str) -> Raw:
    if missing(health):
        return Raw("–")
    label = HEALTH.get(str(health), {}).get(lang, str(health))
    return Raw(f'<span class="chip {esc(health)}"></span>{esc(label)}')


def named(name: object, ident: object) -> Raw:
    ident_html = f'<span class="id">{esc(ident)}</span>'
    return Raw(f"{esc(name)} {ident_html}" if not missing(name) else ident_html)


def summary(s: Sheet, back: str | None) -> Section:
    w, d, at = s.words, s.data, s.data.at
    directory = d.directory.iloc[0] if not d.directory.empty else pd.Series(dtype=object)
    state = str(at["state"])
    parts = [STYLE]
    if back:
        parts.append(f'<p><a class="back" href="{esc(back)}">{esc(w("proj_back", date=when(d.as_of)))}</a></p>')
    planned_end = directory.get("planned_end_date")
    reasons = health_reasons(at, w, s.currency, planned_end)
    health = at["health"]
    if missing(health):
        parts.append(para(w("proj_no_health", state=w(f"proj_state_{state}") if f"proj_state_{state}" in _KEYS
                            else state), "reasons"))
    else:
        label = HEALTH.get(str(health), {}).get(s.lang, str(health))
        first, n, before = since(d.daily)
        held = [r for r in reasons if r.colour == health]
        also = [r for r in reasons if r.colour != health]
        if held:
            text = w("proj_because", colour=label, date=when(d.as_of), reasons="; ".join(r.text for r in held))
        elif health == "green":
            text = w("proj_green", date=when(d.as_of))
        else:  # the warehouse's colour, by rules this page does not find on its figures
            text = w("proj_no_reason", colour=label, date=when(d.as_of))
        if also:
            text += " " + w("proj_also", colour=HEALTH[also[0].colour][s.lang].lower(),
                            reasons="; ".join(r.text for r in also))
        parts.append(f'<p class="reasons"><span class="chip {esc(health)}"></span>{esc(text)}</p>')
        before_text = (w("proj_since_first") if before == "" else w("proj_no_colour") if before is None else
                       w("proj_since_before", colour=HEALTH.get(str(before), {}).get(s.lang, str(before)).lower()))
        parts.append(para(w("proj_since", colour=label, date=when(first), n=n, before=before_text)))
    pace = _pace(s, elapsed_over_time(d.directory, d.daily["as_of_date"].iloc[-1:]).iloc[0])
    if pace:
        parts.append(para(pace))
    parts.append(attention(s))
    facts = [
        (w("project"), named(d.name, d.project_id)),
        (w("account"), named(d.account_name, at.get("account_id"))),
        (w("proj_state"), w(f"proj_state_{state}") if f"proj_state_{state}" in _KEYS else state),
        (w("health"), colour_chip(health, s.lang)),
        (w("proj_start"), _day(directory.get("start_date"))),
        (w("proj_planned_end"), _day(directory.get("planned_end_date"))),
        (w("proj_actual_end"), _day(directory.get("actual_end_date"))),
        (w("proj_deal"), _or_dash(directory.get("deal_id"))),
        (w("proj_status_now"), w(f"proj_status_{directory.get('status')}")
         if f"proj_status_{directory.get('status')}" in _KEYS else _or_dash(directory.get("status"))),
        (w("proj_segment"), " / ".join(str(at.get(k)) for k in ("region", "industry") if not missing(at.get(k)))
         or "–"),
    ]
    parts.append(_facts(facts))
    parts.append(f"<h3>{esc(w('proj_rules'))}</h3>")
    parts.append(para(w("proj_rules_note")))
    checks = rule_checks(at) if state == "active" else dict.fromkeys(rule_checks(at))  # health: active only
    rows = [[w("cost_variance"), fmt_change(at.get("cost_variance"), "money", s.currency, s.lang), "–", "> 0"],
            [w("budget_burn"), fmt_value(at.get("budget_burn"), "ratio", s.currency), "> 90%", "–"],
            [w("overdue"), fmt_value(at.get("milestones_overdue"), "count", s.currency), "= 1", "≥ 2"],
            [w("slip"), fmt_value(at.get("schedule_slip_days"), "count", s.currency), "> 0", "> 14"]]
    parts.append(table([w("proj_measure"), w("proj_at_d", date=when(d.as_of)), w("proj_amber_when"),
                        w("proj_red_when"), w("proj_reaches")],
                       [[*r, colour_chip(c, s.lang)] for r, c in zip(rows, checks.values(), strict=True)],
                       "compact", [c if c in ("red", "amber") else "" for c in checks.values()], numeric=(1,),
                       row_data=[{"measure": m, "reaches": c or "none"} for m, c in checks.items()]))
    return Section("summary", w("proj_summary"), "".join(parts))


def attention(s: Sheet) -> str:
    """What to act on this week, from the sections below, in a few lines: the milestones overdue (the
    longest first) and the next one due, the follow-ups open, the customer's latest word."""
    w, d, day = s.words, s.data, pd.Timestamp(s.data.as_of)
    lines = []
    m = milestone_rows(d.milestones, d.as_of)
    late, coming = m[m["status"] == "overdue"], m[m["status"] == "open"]
    if not late.empty:
        worst = late.sort_values("days", ascending=False, kind="stable").iloc[0]
        lines.append(w("proj_att_overdue", n=len(late), name=worst["name"], days=int(worst["days"])))
    if not coming.empty and not pd.isna(coming["due_date"].iloc[0]):
        lines.append(w("proj_att_next", name=coming["name"].iloc[0], date=when(coming["due_date"].iloc[0])))
    n = note_rows(d.notes, d.as_of)
    if n["state"].isin(["overdue", "open"]).any():
        lines.append(w("proj_att_follow_ups", open=int(n["state"].isin(["overdue", "open"]).sum()),
                       overdue=int((n["state"] == "overdue").sum())))
    r = d.responses[d.responses["submitted_date"] <= day] if not d.responses.empty else d.responses
    r = r[r["respondent"] == "customer"].sort_values(["submitted_date", "feedback_id"], ascending=[False, True])
    if not r.empty:
        x = r.iloc[0]
        comment = "" if missing(x["comment"]) else " ".join(str(x["comment"]).split())
        comment = comment if len(comment) <= 160 else comment[:159] + "…"
        lines.append(w("proj_att_said", date=when(x["submitted_date"]), score=int(x["score"]),
                       kind=w(f"proj_{score_kind(x['score'])}"), comment=comment or "–"))
    if not lines:
        return ""
    return (f"<h3>{esc(w('proj_attention'))}</h3><ul class=\"attention\">"
            + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>")


def _pace(s: Sheet, elapsed: float) -> str:
    """Budget burn against the share of the schedule passed at D, in a sentence: the two compared, as
    the pack's Delivery chart compares them (nothing without a budget or dates)."""
    burn = _number(s.data.at.get("budget_burn"))
    if burn is None or missing(elapsed):
        return ""
    gap = round(100 * (burn - elapsed), 1)
    key = "proj_pace_faster" if gap > 0 else "proj_pace_slower" if gap < 0 else "proj_pace_even"
    return s.words(key, burn=fmt_value(burn, "ratio", s.currency), elapsed=fmt_value(elapsed, "ratio", s.currency),
                   gap=f"{abs(gap):.1f}")


def budget(s: Sheet) -> Section:
    w, d, at = s.words, s.data, s.data.at
    parts = [para(w("delivery_terms"))]
    elapsed = elapsed_over_time(d.directory, d.daily["as_of_date"])
    parts.append(_facts([
        (w("proj_budget"), fmt_value(at.get("budget_cost"), "money", s.currency)),
        (w("proj_cost_to_date"), w("proj_cost_split", total=fmt_value(at.get("total_cost_to_date"), "money", s.currency),
                                   labour=fmt_value(at.get("labour_cost_to_date"), "money", s.currency),
                                   expenses=fmt_value(at.get("expenses_to_date"), "money", s.currency))),
        (w("budget_burn"), fmt_value(at.get("budget_burn"), "ratio", s.currency)),
        (w("elapsed"), fmt_value(elapsed.iloc[-1], "ratio", s.currency)),
        (w("cost_variance"), fmt_change(at.get("cost_variance"), "money", s.currency, s.lang)),
        (w("slip"), fmt_value(at.get("schedule_slip_days"), "count", s.currency)),
        (w("hours"), fmt_value(at.get("hours_to_date"), "hours", s.currency)),
    ]))
    burn = pd.to_numeric(d.daily["budget_burn"], errors="coerce") * 100
    series = [w("budget_burn"), w("elapsed")]
    lines = pd.concat([pd.DataFrame({"date": d.daily["as_of_date"], "series": series[0], "value": burn}),
                       pd.DataFrame({"date": d.daily["as_of_date"], "series": series[1], "value": elapsed * 100})],
                      ignore_index=True).dropna(subset=["value"])
    if lines.empty:
        parts.append(para(w("proj_no_burn")))
    else:
        health = [*(HEALTH[h][s.lang] for h in HEALTH), w("proj_state_none")]
        until = d.daily["as_of_date"].shift(-1).fillna(d.daily["as_of_date"].iloc[-1] + pd.Timedelta(days=1))
        strip = pd.DataFrame({"date": d.daily["as_of_date"], "until": until,
                              "health": [HEALTH[h][s.lang] if not missing(h) and h in HEALTH else health[-1]
                                         for h in d.daily["health"]]})
        parts.append(s.chart("burn", project_charts.burn_and_elapsed(
            lines, strip, series=series, drawn=sorted(set(lines["series"]), key=series.index), health=health,
            words=s.chart_words("health", "proj_amber_burn", "proj_budget")), w("proj_burn_chart")))
        if burn.isna().all():
            parts.append(para(w("proj_no_budget")))
    return Section("budget", w("proj_budget_schedule"), "".join(parts))


def milestones(s: Sheet) -> Section:
    w, d = s.words, s.data
    if "project_milestones" in d.absent:
        return Section("milestones", w("proj_milestones"), s.absent("project_milestones", w("proj_milestones")))
    m = milestone_rows(d.milestones, d.as_of)
    if m.empty:
        return Section("milestones", w("proj_milestones"), para(w("proj_no_milestones")))
    counts = m["status"].value_counts()
    parts = [para(w("proj_milestones_note", n=len(m), done=int(counts.get("done", 0)),
                    overdue=int(counts.get("overdue", 0)), open=int(counts.get("open", 0)), date=when(d.as_of)))]
    published = _number(d.at.get("milestones_overdue"))
    if published is not None and published != counts.get("overdue", 0):
        parts.append(para(w("proj_milestones_differ", n=f"{published:,.0f}", date=when(d.as_of))))

    def status(r) -> Raw:
        if r.status == "overdue":
            return Raw(f'<span class="badge bad">{esc(w("proj_overdue_by", n=int(r.days)))}</span>')
        if r.status == "open":
            return Raw(f'<span class="badge neutral">{esc(w("proj_due_in", n=int(r.days)))}</span>'
                       if not missing(r.days) else "–")
        late = int(r.days) if not missing(r.days) else 0
        return Raw(f'<span class="badge good">{esc(w("proj_done_late", n=late) if late > 0 else w("proj_done"))}'
                   "</span>")

    parts.append(table([w("proj_milestone"), w("phase"), w("proj_due"), w("proj_completed"), w("proj_at_d",
                                                                                              date=when(d.as_of))],
                       [[named(r.name, r.milestone_id), value_label(PHASES, r.phase, s.lang), _day(r.due_date),
                         _day(r.completed_date) if r.status == "done" else "–", status(r)] for r in m.itertuples()],
                       "milestones", ["red" if x == "overdue" else "" for x in m["status"]],
                       row_data=[{"milestone": r.milestone_id, "status": r.status} for r in m.itertuples()]))
    return Section("milestones", w("proj_milestones"), "".join(parts))


def effort(s: Sheet) -> Section:
    w, d = s.words, s.data
    monday = pd.Timestamp(d.as_of - dt.timedelta(days=d.as_of.weekday()))
    e = d.effort[d.effort["week_start"] <= monday] if not d.effort.empty else d.effort
    if e.empty:
        return Section("effort", w("effort"), para(w("proj_no_effort", date=when(d.as_of))))
    parts = [para(w("proj_effort_note", hours=fmt_value(e["hours"].sum(), "hours", s.currency),
                    cost=fmt_value(e["labour_cost"].sum(), "money", s.currency), weeks=e["week_start"].nunique(),
                    first=when(e["week_start"].min()), last=when(e["week_start"].max())))]
    roles = [*ROLES, *sorted(set(e["role"].astype(str)) - set(ROLES))]
    phases = [*PHASES, *sorted(set(e["phase"].astype(str)) - set(PHASES))]
    role_labels = [value_label(ROLES, r, s.lang) for r in roles if r in set(e["role"])]
    phase_labels = [value_label(PHASES, p, s.lang) for p in phases if p in set(e["phase"])]
    weeks = e.assign(role=[value_label(ROLES, r, s.lang) for r in e["role"]],
                     phase=[value_label(PHASES, p, s.lang) for p in e["phase"]])
    words = s.chart_words("role", "phase", "week")
    for field_, by, labels, key, fmt in (("hours", "role", role_labels, "proj_hours_chart", ",.1f"),
                                         ("labour_cost", "phase", phase_labels, "proj_cost_chart", ",.0f")):
        g = weeks.groupby(["week_start", by], as_index=False)[field_].sum()
        g = g.assign(week_end=g["week_start"] + pd.Timedelta(days=6))
        title = w(field_) + (f" ({s.currency})" if field_ == "labour_cost" else "")
        parts.append(s.chart(f"weekly-{field_}", project_charts.weekly_stack(
            g, field_, by=by, order=labels, title=title, fmt=fmt, words=words), w(key)))
    cells = weeks.groupby(["role", "phase"], as_index=False)[["hours", "labour_cost"]].sum()
    heat = s.chart_words("role", "phase")
    parts.append('<div class="grid">')
    parts.append(s.chart("heat-hours", charts.heatmap(cells, "hours", title=w("hours"), roles=role_labels,
                                                      phases=phase_labels, fmt=",.1f", scheme="blues", words=heat),
                         w("proj_heat_hours")))
    parts.append(s.chart("heat-cost", charts.heatmap(cells, "labour_cost", title=f"{w('labour_cost')} ({s.currency})",
                                                     roles=role_labels, phases=phase_labels, fmt=",.0f",
                                                     scheme="purples", words=heat), w("proj_heat_cost")))
    parts.append("</div>")
    return Section("effort", w("effort"), "".join(parts))


def products(s: Sheet) -> Section:
    w, d, at = s.words, s.data, s.data.at
    parts = []
    top, counts = favourite(d.daily)
    dated = int(d.daily["top_product"].notna().sum())
    if top is not None:
        times = int(counts.get(top, 0))
        others = ", ".join(w("proj_top_other", product=p, n=int(c)) for p, c in counts.items() if p != top)
        parts.append(f'<p class="reasons">{esc(w("proj_favourite", product=top, date=when(d.as_of), n=times, of=dated))}'
                     + (f" {esc(w('proj_favourite_others', others=others))}" if others else "") + "</p>")
    elif not counts.empty:
        parts.append(para(w("proj_no_top_now", date=when(d.as_of), product=counts.index[0], n=int(counts.iloc[0]),
                            of=dated)))
    else:
        parts.append(para(w("proj_no_top")))
    parts.append(_facts([
        (w("proj_products_live"), fmt_value(at.get("products_live"), "count", s.currency)),
        (w("proj_seats_live"), fmt_value(at.get("seats_live"), "count", s.currency)),
        (w("proj_active_users"), fmt_value(at.get("active_users"), "count", s.currency)),
        (w("proj_utilisation"), fmt_value(at.get("seat_utilization"), "ratio", s.currency)),
    ]))
    if "project_licenses" in d.absent:
        parts.append(s.absent("project_licenses", w("proj_licences")))
    elif d.licences.empty:
        parts.append(para(w("proj_no_licences")))
    else:
        day = pd.Timestamp(d.as_of)
        lic = d.licences.sort_values(["product", "start_date", "license_id"], kind="stable")

        def state(r) -> str:
            if missing(r.start_date) or r.start_date is pd.NaT or r.start_date > day:
                return w("proj_licence_later")
            if not pd.isna(r.end_date) and r.end_date < day:
                return w("proj_licence_ended")
            return w("proj_licence_live")

        def usage(r) -> str:
            if pd.isna(r.latest_usage_date):
                return "–"
            if r.latest_usage_date > day:
                return w("proj_usage_after")
            return f"{fmt_value(r.active_users_latest, 'count', s.currency)} ({when(r.latest_usage_date)})"

        parts.append(table([w("proj_product"), w("proj_licence"), w("proj_seats"), w("proj_start"), w("proj_end"),
                            w("proj_at_d", date=when(d.as_of)), w("proj_latest_usage")],
                           [[r.product, Raw(f'<span class="id">{esc(r.license_id)}</span>'),
                             fmt_value(r.seats, "count", s.currency), _day(r.start_date), _day(r.end_date), state(r),
                             usage(r)] for r in lic.itertuples()], "compact", numeric=(2,)))
    series = [w("proj_active_users"), w("proj_seats_live")]
    users = pd.to_numeric(d.daily["active_users"], errors="coerce")
    seats = pd.to_numeric(d.daily["seats_live"], errors="coerce")
    if (users.fillna(0) > 0).any() or (seats.fillna(0) > 0).any():
        share = pd.to_numeric(d.daily["seat_utilization"], errors="coerce") * 100
        frame = pd.concat([pd.DataFrame({"date": d.daily["as_of_date"], "series": series[0], "value": users,
                                         "utilisation": share}),
                           pd.DataFrame({"date": d.daily["as_of_date"], "series": series[1], "value": seats,
                                         "utilisation": np.nan})], ignore_index=True)
        parts.append(s.chart("usage", project_charts.users_and_seats(
            frame, series=series, words=s.chart_words("proj_users", "proj_utilisation")), w("proj_usage_chart")))
    else:
        parts.append(para(w("proj_no_usage")))
    return Section("products", w("proj_products"), "".join(parts))


def deal(s: Sheet) -> Section:
    w, d, at = s.words, s.data, s.data.at
    deal_id = d.directory["deal_id"].iloc[0] if not d.directory.empty else None
    cycle = _number(at.get("sales_cycle_days"))
    if missing(deal_id):
        text = w("proj_no_deal")
    elif cycle is None:
        text = w("proj_deal_open", deal=deal_id, date=when(d.as_of))
    else:
        text = w("proj_deal_won", deal=deal_id, days=f"{cycle:,.0f}")
    parts = [para(text, "reasons"), _facts([
        (w("proj_deal"), _or_dash(deal_id)),
        (w("proj_sales_cycle"), fmt_value(cycle, "count", s.currency) if cycle is not None else "–"),
        (w("proj_contract_value"), fmt_value(at.get("contract_value"), "money", s.currency)),
        (w("proj_margin"), fmt_value(at.get("margin_to_date"), "money", s.currency)),
        (w("proj_margin_pct"), fmt_value(at.get("margin_pct"), "ratio", s.currency)),
    ])]
    return Section("deal", w("proj_deal_title"), "".join(parts))


def voice(s: Sheet) -> Section:
    w, d, at = s.words, s.data, s.data.at
    n180 = _number(at.get("feedback_responses_180d")) or 0
    parts = [para(w("proj_nps", nps=fmt_value(at.get("nps_180d"), "nps", s.currency), n=f"{n180:,.0f}",
                    date=when(d.as_of)) if n180 else w("proj_no_nps", date=when(d.as_of)), "reasons"),
             para(w("proj_voice_note"))]
    if "feedback_responses" in d.absent:
        return Section("voice", w("proj_voice"), "".join(parts) + s.absent("feedback_responses", w("proj_responses")))
    r = d.responses[d.responses["submitted_date"] <= pd.Timestamp(d.as_of)] if not d.responses.empty else d.responses
    if r.empty:
        return Section("voice", w("proj_voice"), "".join(parts) + para(w("proj_no_responses", date=when(d.as_of))))
    r = r.sort_values(["submitted_date", "feedback_id"], ascending=[False, True], kind="stable", ignore_index=True)
    kinds = {k: w(f"proj_{k}") for k in ("promoter", "passive", "detractor")}
    tones = {"promoter": "good", "passive": "neutral", "detractor": "bad"}
    kind = [score_kind(x) if not missing(x) else None for x in r["score"]]
    counts = pd.Series(kind).value_counts()
    parts.append(para(w("proj_responses_note", n=len(r), promoters=int(counts.get("promoter", 0)),
                        passives=int(counts.get("passive", 0)), detractors=int(counts.get("detractor", 0)))))

    def respondent(x: object) -> str:
        return w(f"proj_respondent_{x}") if x in ("customer", "partner") else value_label(ROLES, x, s.lang)

    rows = []
    for x, k in zip(r.itertuples(), kind, strict=True):
        score = Raw("–") if k is None else Raw(f'<span class="badge {tones[k]}" title="{esc(kinds[k])}">'
                                               f'{int(x.score)} · {esc(kinds[k])}</span>')
        comment = "–" if missing(x.comment) or not str(x.comment).strip() else str(x.comment)
        rows.append([when(x.submitted_date), respondent(x.respondent), score, comment])
    body = table([w("date"), w("proj_respondent"), w("proj_score"), w("proj_comment")], rows, "responses",
                 row_data=[{"feedback": x.feedback_id, "kind": k or ""} for x, k in zip(r.itertuples(), kind,
                                                                                         strict=True)])
    parts.append(_comment_cells(body))
    scored = r.assign(kind=[kinds[k] if k else None for k in kind], date=r["submitted_date"],
                      respondent=[respondent(x) for x in r["respondent"]],
                      comment=r["comment"].fillna("")).dropna(subset=["kind"])
    if not scored.empty:
        parts.append(s.chart("scores", project_charts.scores(scored, kinds=list(kinds.values()), words=s.chart_words(
            "proj_score", "proj_respondent", "proj_comment")), w("proj_scores_chart")))
    return Section("voice", w("proj_voice"), "".join(parts))


def _comment_cells(table_html: str) -> str:
    """The last cell of each body row holds a comment: kept as written (line breaks too)."""
    head, _, body = table_html.partition("<tbody>")
    rows = body.split("</tr>")
    out = []
    for row in rows:
        i = row.rfind("<td>")
        out.append(row if i < 0 else row[:i] + '<td class="comment">' + row[i + 4:])
    return head + "<tbody>" + "</tr>".join(out)


def notes(s: Sheet) -> Section:
    w, d = s.words, s.data
    parts = [para(w("proj_notes_note", project=d.project_id))]
    if "review_notes" in d.absent:
        return Section("notes", w("proj_notes"), "".join(parts) + s.absent("review_notes", w("proj_notes")))
    n = note_rows(d.notes, d.as_of)
    if n.empty:
        return Section("notes", w("proj_notes"), "".join(parts) + para(w("proj_no_notes", date=when(d.as_of))))
    day = pd.Timestamp(d.as_of)

    def state(r) -> Raw:
        if r.state == "overdue":
            return Raw(f'<span class="badge bad">{esc(w("overdue_by", n=(day - r.follow_up_by).days))}</span>')
        if r.state == "open":
            return Raw(f'<span class="badge neutral">{esc(w("proj_open_due", date=when(r.follow_up_by)))}</span>')
        if r.state == "closed":
            return Raw(f'<span class="badge good">{esc(w("proj_closed_on", date=when(r.closed_on)))}</span>')
        return Raw("–")

    def decision(x: object) -> Raw:
        if missing(x):
            return Raw("–")
        key = f"decision_{x}"
        return Raw(f'<span class="decision">{esc(w(key) if key in _KEYS else x)}</span>')

    parts.append(table([w("noted_on"), w("owner"), w("decision"), w("note"), w("follow_up_by"), w("proj_follow_up")],
                       [[when(r.noted_on), _or_dash(r.owner), decision(r.decision), _or_dash(r.note),
                         _day(r.follow_up_by), state(r)] for r in n.itertuples()], "notes",
                       ["red" if x == "overdue" else "" for x in n["state"]],
                       row_data=[{"note": r.note_id, "state": r.state} for r in n.itertuples()]))
    return Section("notes", w("proj_notes"), "".join(parts))


SECTIONS = (budget, milestones, effort, products, deal, voice, notes)


def build_project_page(data: ProjectData, *, lang: str = "en", currency: str = "USD",
                       back: str | None = None) -> tuple[str, int]:
    """The page's HTML and how many charts it holds. `back`: a link to the pack (relative), if any."""
    words = Words(lang)
    sheet = Sheet(data, words, currency)
    sections = [summary(sheet, back), *(build(sheet) for build in SECTIONS)]
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    name = data.name or data.project_id
    title = words("proj_title", name=name, project=data.project_id, date=when(data.as_of)) if data.name else \
        words("proj_title_id", project=data.project_id, date=when(data.as_of))
    page = render(title=title, subtitle=words("proj_subtitle", date=when(data.as_of), currency=currency,
                                              warehouse=data.source, generated=generated),
                  sections=sections, chart_specs=sheet.charts, words=words)
    return page, len(sheet.charts)


# --- small helpers ------------------------------------------------------------------------------

def _day(v: object) -> str:
    return "–" if missing(v) or v is pd.NaT or pd.isna(v) else when(v)  # type: ignore[arg-type]


def _or_dash(v: object) -> str:
    return "–" if missing(v) or (isinstance(v, str) and not v.strip()) else str(v)


def _facts(rows: list[tuple[str, object]]) -> str:
    body = "".join(f"<tr><th>{esc(k)}</th><td>{v if isinstance(v, Raw) else esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="facts"><tbody>{body}</tbody></table>'
