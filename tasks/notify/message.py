"""What a nightly run tells the team, as plain text with a short title.

A completed run: the review pack's link, and from the warehouse alone as of the run's last as-of
date D: the signals of review_signals at D (metric, value, rule in words, owner), the red projects
of project_daily at D (names from project_directory) and the open follow-ups of review_notes that
are overdue at D. A failed run: the flow, its dates and the one-line reason.

The words of the pack are reused (tasks/review/text.py: the rules, the series, the numbers as the
page writes them; schemas/review.py: the metrics' labels); the few of the message are below.
Tables a warehouse may not have yet (`targets`, `review_notes`: kept by the team, not computed by a
run) give nothing: no owner, no follow-up section.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from schemas.config import Settings
from schemas.review import review_metric
from schemas.tables import HEALTH_RED_OVERDUE, HEALTH_RED_SLIP_DAYS, WEEKLY_CHANGE
from tasks.report import RunResult
from tasks.review.data import frame, has_table
from tasks.review.plan import Notes, Plan
from tasks.review.text import TEXT, Words, fmt_change, fmt_value, missing
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.tables import TABLES

MAX_ITEMS = 20  # lines per list; the rest counted ("… and 12 more")

WORDS: dict[str, dict[str, str]] = {
    "title_completed": {"en": "opsmetrics: {flow} completed, as of {dates}",
                        "zh": "opsmetrics：{flow}已完成，数据截至 {dates}"},
    "title_failed": {"en": "opsmetrics: {flow} FAILED, as of {dates}", "zh": "opsmetrics：{flow}失败，数据日期 {dates}"},
    "completed": {"en": "The {flow} completed (run {run}): {message}.", "zh": "{flow}已完成（运行 {run}）：{message}。"},
    "failed": {"en": "The {flow} failed for the as-of dates {dates} (run {run}).",
               "zh": "{flow}失败，数据日期 {dates}（运行 {run}）。"},
    "reason": {"en": "Reason: {reason}", "zh": "原因：{reason}"},
    "unchanged": {"en": "Nothing of it was published: the tables are as the last good run left them (opsmetrics "
                        "status lists the dates published and the runs that failed).",
                  "zh": "本次运行没有发布任何数据：各表保持上一次成功运行后的状态"
                        "（opsmetrics status 列出已发布的日期与失败的运行）。"},
    "pack": {"en": "Review pack: {link}", "zh": "周度回顾：{link}"},
    "no_pack": {"en": "Review pack: not written (see the run's log)", "zh": "周度回顾：未生成（见运行日志）"},
    "msg_signals": {"en": "Signals as of {date} ({n}):", "zh": "截至 {date} 的信号（{n} 个）："},
    "signals_none": {"en": "Signals as of {date}: none.", "zh": "截至 {date} 的信号：无。"},
    "signals_missing": {"en": "Signals as of {date}: review_signals has no rows for this date.",
                        "zh": "截至 {date} 的信号：review_signals 中没有该日期的数据。"},
    "msg_owner": {"en": "owner: {owner}", "zh": "负责人：{owner}"},
    "red": {"en": "Red projects ({n}):", "zh": "红色项目（{n} 个）："},
    "red_none": {"en": "Red projects: none.", "zh": "红色项目：无。"},
    "over_budget": {"en": "over budget by {amount}", "zh": "超预算 {amount}"},
    "milestones": {"en": "{n} overdue milestones", "zh": "{n} 个里程碑逾期"},
    "msg_slip": {"en": "{n} days past its planned end", "zh": "超过计划结束日 {n} 天"},
    "follow_ups": {"en": "Overdue follow-ups ({n}):", "zh": "逾期未办的跟进事项（{n} 项）："},
    "follow_ups_none": {"en": "Overdue follow-ups: none.", "zh": "逾期未办的跟进事项：无。"},
    "due": {"en": "due {date} ({days} days overdue)", "zh": "应于 {date} 前跟进（已逾期 {days} 天）"},
    "due_1": {"en": "due {date} (1 day overdue)", "zh": "应于 {date} 前跟进（已逾期 1 天）"},
    "msg_decision": {"en": "decision: {decision}", "zh": "决定：{decision}"},
    "unreadable": {"en": "The signals, red projects and follow-ups could not be read: {reason}",
                   "zh": "无法读取信号、红色项目与跟进事项：{reason}"},
    "flow_nightly_refresh": {"en": "nightly refresh", "zh": "每日刷新"},
}


@dataclass(frozen=True)
class Message:
    title: str
    body: str


@dataclass(frozen=True)
class SignalLine:
    metric: str  # the column of portfolio_daily
    label: str  # as the pack names it ("Customers, weekly change")
    value: str  # v_0 as the pack writes it
    rule: str  # the rule in words
    owner: str | None  # targets.owner of the metric and D's month


@dataclass(frozen=True)
class RedProject:
    project_id: str
    name: str | None
    account: str | None
    why: tuple[str, ...]  # the parts of the health rule that make it red


@dataclass(frozen=True)
class FollowUp:
    subject: str
    metric: str | None  # the label of the metric it is about
    owner: str | None
    follow_up_by: dt.date
    decision: str | None


@dataclass(frozen=True)
class Findings:
    """What the message lists, as of D. None: the table is not in the warehouse (or has no row for D)."""

    as_of: dt.date
    signals: list[SignalLine] | None
    red_projects: list[RedProject]
    follow_ups: list[FollowUp] | None


class Text:
    """The message's words in one language, falling back on the pack's (tasks/review/text.py)."""

    def __init__(self, lang: str) -> None:
        self.lang, self.pack = lang, Words(lang)

    def __call__(self, key: str, **values: object) -> str:
        # the message's own keys never shadow the pack's (a test holds them apart)
        return WORDS[key][self.lang].format(**values) if key in WORDS else self.pack(key, **values)

    def decision(self, value: str) -> str:
        """A decision of review_notes as the pack words it (keep, drop, …), else as it is."""
        key = f"decision_{value}"
        return self.pack(key) if key in TEXT else value

    def flow(self, flow: str) -> str:
        key = f"flow_{flow}"
        return WORDS[key][self.lang] if key in WORDS else flow.replace("_", " ")


def dates(start: dt.date, end: dt.date) -> str:
    return str(end) if start == end else f"{start} … {end}"


# --- from the warehouse -----------------------------------------------------------------------

def read_findings(wh: Warehouse, as_of: dt.date, *, currency: str = "USD", lang: str = "en") -> Findings:
    """The signals, red projects and overdue follow-ups as of `as_of`, in one read-only transaction."""
    t = Text(lang)
    with wh.begin() as conn:
        signals = _signals(conn, wh, as_of, currency, t)
        red = _red_projects(conn, wh, as_of, currency, t)
        follow_ups = _follow_ups(conn, wh, as_of, t)
    return Findings(as_of, signals, red, follow_ups)


def _team_frame(conn: sa.Connection, wh: Warehouse, name: str) -> pd.DataFrame | None:
    """A table the team keeps (targets, review_notes: from optional sources), whole; None if the
    warehouse (of an older version) has no such table."""
    return frame(conn, sa.select(TABLES[name])) if has_table(conn, wh, name) else None


def _text(value: object) -> str | None:
    return None if missing(value) or value is pd.NaT or not str(value).strip() else str(value).strip()


def _signals(conn: sa.Connection, wh: Warehouse, as_of: dt.date, currency: str, t: Text) -> list[SignalLine] | None:
    rs = TABLES["review_signals"]
    if not has_table(conn, wh, rs.name):
        return None
    rows = conn.execute(sa.select(rs).where(rs.c.as_of_date == as_of)).mappings().all()
    if not rows:
        return None
    targets = _team_frame(conn, wh, "targets")
    plan = Plan.of(targets) if targets is not None else None
    out = []
    for r in sorted((r for r in rows if r["rule"] is not None), key=lambda r: r["metric"]):
        m = review_metric(r["metric"])
        weekly_change = r["series"] == WEEKLY_CHANGE
        label = m.label(t.lang) + (f", {t('series_weekly_change')}" if weekly_change else "")
        value = (fmt_change(r["value"], m.unit, currency, t.lang) if weekly_change
                 else fmt_value(r["value"], m.unit, currency))
        rule = t(f"rule_{r['rule']}_{'up' if r['side'] == 'up' else 'down'}")
        # the owner as the pack shows it (tasks/review/plan.py: D's month, else the latest before)
        owner = _text(plan.owner(r["metric"], as_of)) if plan is not None else None
        out.append(SignalLine(r["metric"], label, value, rule, owner))
    return out


def _red_projects(conn: sa.Connection, wh: Warehouse, as_of: dt.date, currency: str, t: Text) -> list[RedProject]:
    p, d = TABLES["project_daily"], TABLES["project_directory"]
    rows = conn.execute(sa.select(p.c.project_id, p.c.account_id, p.c.cost_variance, p.c.milestones_overdue,
                                  p.c.schedule_slip_days).where(p.c.as_of_date == as_of, p.c.health == "red")
                        ).mappings().all()
    names: dict[str, tuple[str | None, str | None]] = {}
    if rows and has_table(conn, wh, d.name):
        for r in conn.execute(sa.select(d.c.project_id, d.c.name, d.c.account_name).where(
                d.c.project_id.in_([r["project_id"] for r in rows]))).mappings():
            names[r["project_id"]] = (_text(r["name"]), _text(r["account_name"]))
    out = []
    for r in rows:
        # the parts of the health rule (schemas/tables.py, project_daily.health) that hold
        why = []
        if not missing(r["cost_variance"]) and r["cost_variance"] > 0:
            why.append(t("over_budget", amount=fmt_value(r["cost_variance"], "money", currency)))
        if not missing(r["milestones_overdue"]) and r["milestones_overdue"] >= HEALTH_RED_OVERDUE:
            why.append(t("milestones", n=int(r["milestones_overdue"])))
        if not missing(r["schedule_slip_days"]) and r["schedule_slip_days"] > HEALTH_RED_SLIP_DAYS:
            why.append(t("msg_slip", n=int(r["schedule_slip_days"])))
        name, account = names.get(r["project_id"], (None, None))
        out.append(RedProject(r["project_id"], name, account or _text(r["account_id"]), tuple(why)))
    return sorted(out, key=lambda x: ((x.name or x.project_id).lower(), x.project_id))


def _follow_ups(conn: sa.Connection, wh: Warehouse, as_of: dt.date, t: Text) -> list[FollowUp] | None:
    """The follow-ups of review_notes open at D and due before it: the pack's overdue ones
    (tasks/review/plan.py, Notes.open_follow_ups: noted by D, not closed by D)."""
    notes = _team_frame(conn, wh, "review_notes")
    if notes is None:
        return None
    due = Notes.of(notes).open_follow_ups(as_of)
    out = []
    for r in due[due["overdue"]].itertuples():
        metric = _text(r.metric)
        subject = _text(r.subject) or _text(r.note) or f"note {r.note_id}"
        out.append(FollowUp(subject, review_metric(metric).label(t.lang) if metric else None, _text(r.owner),
                            r.follow_up_by.date(), _text(r.decision)))
    return out


# --- the message ------------------------------------------------------------------------------

def pack_link(settings: Settings, as_of: dt.date) -> str | None:
    """The review pack of D: `notify.pack_url` plus its file name, else its file:// address; None
    when the run wrote none."""
    from tasks.review import pack_path

    path = Path(pack_path(settings.reports_dir, as_of)).absolute()
    if not path.is_file():
        return None
    base = settings.notify.pack_url if settings.notify else None
    return f"{base.rstrip('/')}/{path.name}" if base else path.as_uri()


def _listed(t: Text, lines: list[str]) -> list[str]:
    shown = [f"- {line}" for line in lines[:MAX_ITEMS]]
    if len(lines) > MAX_ITEMS:
        shown.append(f"  {t('more_rows', n=len(lines) - MAX_ITEMS)}")
    return shown


def completed_message(result: RunResult, findings: Findings | None, pack: str | None, *, lang: str = "en",
                      unreadable: str = "") -> Message:
    """The message of a completed run. `findings` None: they could not be read (`unreadable` says why)."""
    t = Text(lang)
    flow = t.flow(result.flow)
    lines = [t("completed", flow=flow, run=result.run_id, message=result.message.rstrip(".")),
             t("pack", link=pack) if pack else t("no_pack"), ""]
    if findings is None:
        lines.append(t("unreadable", reason=unreadable))
    else:
        day = str(findings.as_of)
        if findings.signals is None:
            lines.append(t("signals_missing", date=day))
        elif not findings.signals:
            lines += [t("signals_none", date=day) + " " + t("no_signals")]
        else:
            lines.append(t("msg_signals", date=day, n=len(findings.signals)))
            lines += _listed(t, [f"{s.label}: {s.value}, {s.rule}; "
                                 + (t("msg_owner", owner=s.owner) if s.owner else t("no_owner")) for s in findings.signals])
        lines.append("")
        if findings.red_projects:
            lines.append(t("red", n=len(findings.red_projects)))
            lines += _listed(t, [(f"{p.name} ({p.project_id})" if p.name else p.project_id)
                                 + (f", {p.account}" if p.account else "") + (f": {'; '.join(p.why)}" if p.why else "")
                                 for p in findings.red_projects])
        else:
            lines.append(t("red_none"))
        if findings.follow_ups is not None:
            lines.append("")
            if findings.follow_ups:
                lines.append(t("follow_ups", n=len(findings.follow_ups)))
                lines += _listed(t, [_follow_up(t, f, findings.as_of) for f in findings.follow_ups])
            else:
                lines.append(t("follow_ups_none"))
    return Message(t("title_completed", flow=flow, dates=dates(result.start, result.end)),
                   "\n".join(lines).rstrip() + "\n")


def _follow_up(t: Text, f: FollowUp, as_of: dt.date) -> str:
    parts = [f.subject + (f" ({f.metric})" if f.metric else ""),
             t("msg_owner", owner=f.owner) if f.owner else t("no_owner"),
             t("due" if (as_of - f.follow_up_by).days != 1 else "due_1", date=f.follow_up_by,
               days=(as_of - f.follow_up_by).days)]
    if f.decision:
        parts.append(t("msg_decision", decision=t.decision(f.decision)))
    return "; ".join(parts)


def failed_message(result: RunResult, *, lang: str = "en") -> Message:
    """The message of a failed run: the flow, its dates, the one-line reason."""
    t = Text(lang)
    flow, when = t.flow(result.flow), dates(result.start, result.end)
    body = "\n".join([t("failed", flow=flow, dates=when, run=result.run_id),
                      t("reason", reason=result.message or "unknown"), "", t("unchanged")])
    return Message(t("title_failed", flow=flow, dates=when), body + "\n")


def run_message(settings: Settings, result: RunResult, wh: Warehouse | None) -> Message:
    """The message of `result`: read from `wh` (as of the run's last date) for a completed run. What
    cannot be read is said in the message, which is sent all the same."""
    lang = settings.notify.lang if settings.notify else "en"
    if result.status != "completed":
        return failed_message(result, lang=lang)
    pack = findings = None
    why = ""
    try:
        pack = pack_link(settings, result.end)
        if wh is None:
            raise ValueError("no warehouse")
        findings = read_findings(wh, result.end, currency=settings.reporting_currency, lang=lang)
    except Exception as exc:
        from tasks.errors import one_line

        why = one_line(exc)
    return completed_message(result, findings, pack, lang=lang, unreadable=why)
