""""Decisions and follow-ups": the review's memory (table review_notes). What this week's review
noted, every follow-up still open (overdue first), and every decision on a campaign with the
campaign's figures when it was decided and now: a campaign decided `drop` that still spends is
flagged with what it spent since; one decided `keep` shows how its costs moved since."""
from __future__ import annotations

import pandas as pd

from schemas.review import CHANNELS, review_metric, value_label
from tasks.review.plan import campaign_of
from tasks.review.sections.common import Context, Raw, Section, esc, para, table, when
from tasks.review.text import fmt_pct, fmt_value, missing


def about(ctx: Context, note) -> Raw:
    """What a note is about, as the meeting names it: a metric by its label, a campaign
    `channel/campaign` by its channel's label, a project by its name; anything else as written."""
    parts = []
    if isinstance(note.metric, str):
        parts.append(esc(review_metric(note.metric).label(ctx.lang)))
    subject, campaign = note.subject, campaign_of(note.subject)
    if isinstance(subject, str) and subject:
        if campaign:
            parts.append(esc(f"{value_label(CHANNELS, campaign[0], ctx.lang)} · {campaign[1]}"))
        elif subject in ctx.names.projects:
            parts.append(ctx.names.project(subject))
        else:
            parts.append(esc(subject))
    return Raw(" — ".join(parts) or "–")


def decision(ctx: Context, value: object) -> Raw:
    if not isinstance(value, str):
        return Raw("–")
    return Raw(f'<span class="decision">{esc(ctx.words("decision_" + value))}</span>')


def fmt_move(then: object, now: object) -> str:
    """How a cost moved since a decision: +30% (– without both)."""
    if missing(then) or missing(now) or float(then) == 0:  # type: ignore[arg-type]
        return "–"
    return fmt_pct(float(now) / float(then) - 1)  # type: ignore[arg-type]


def decisions(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    if ctx.notes.empty:
        return Section("decisions", w("decisions"), para(w("no_notes")))
    parts = [para(w("decisions_note", date=when(d.as_of)))]
    week = ctx.notes.of_week(d.as_of)
    parts.append(f"<h3>{esc(w('notes_of_week', first=when(d.as_of - pd.Timedelta(days=6)), last=when(d.as_of)))}</h3>")
    if week.empty:
        parts.append(para(w("no_notes_this_week")))
    else:
        parts.append(table([w("noted_on"), w("owner"), w("about"), w("decision"), w("note"), w("follow_up_by")], [
            [when(n.noted_on), n.owner, about(ctx, n), decision(ctx, n.decision), n.note,
             when(n.follow_up_by) if not pd.isna(n.follow_up_by) else "–"] for n in week.itertuples()],
            "compact notes"))
    parts.append(f"<h3>{esc(w('open_follow_ups', date=when(d.as_of)))}</h3>")
    follow = ctx.notes.open_follow_ups(d.as_of)
    if follow.empty:
        parts.append(para(w("no_open_follow_ups"), "calm"))
    else:
        due = [Raw(f'{esc(when(n.follow_up_by))} <span class="badge bad">'
                   f'{esc(w("overdue_by", n=(pd.Timestamp(d.as_of) - n.follow_up_by).days))}</span>')
               if n.overdue else when(n.follow_up_by) for n in follow.itertuples()]
        parts.append(table([w("follow_up_by"), w("owner"), w("about"), w("note"), w("noted_on")], [
            [due[i], n.owner, about(ctx, n), n.note, when(n.noted_on)] for i, n in enumerate(follow.itertuples())],
            "compact notes", ["red" if o else "" for o in follow["overdue"]],
            row_data=[{"note": n.note_id, "overdue": str(bool(n.overdue)).lower()} for n in follow.itertuples()]))
    parts += campaign_decisions(ctx)
    return Section("decisions", w("decisions"), "".join(parts))


def campaign_decisions(ctx: Context) -> list[str]:
    """Every decision on a campaign noted by D: the campaign's figures on the decision's date and at
    D; `drop` with spend after the note is flagged "still spending"; `keep` shows the move."""
    w, d = ctx.words, ctx.data
    decided = ctx.notes.campaign_decisions(d.as_of)
    out = [f"<h3>{esc(w('campaign_decisions'))}</h3>"]
    if decided.empty:
        return out + [para(w("no_campaign_decisions"))]
    key = ["channel", "campaign"]
    now = d.campaigns.set_index(key) if not d.campaigns.empty else pd.DataFrame()
    then = d.decided.assign(as_of_date=pd.to_datetime(d.decided["as_of_date"])).set_index(["as_of_date", *key]) \
        if not d.decided.empty else pd.DataFrame()
    spend = d.spend_since
    rows, classes, marks = [], [], []
    money = lambda v: fmt_value(v, "money", ctx.currency)  # noqa: E731

    def figures(frame: pd.DataFrame, at: tuple) -> tuple[object, object, object]:
        if frame.empty or at not in frame.index:
            return None, None, None
        r = frame.loc[at]
        return r["cost_per_opportunity_90d"], r["cost_per_win_prior_90d"], r["spend_90d"]

    for n in decided.itertuples():
        before = figures(then, (n.noted_on, n.channel, n.campaign))
        after = figures(now, (n.channel, n.campaign))
        since = spend[(spend["channel"] == n.channel) & (spend["campaign"] == n.campaign)
                      & (pd.to_datetime(spend["spend_date"]) > n.noted_on)] if not spend.empty else spend
        spent = float(pd.to_numeric(since["amount"]).sum()) if not since.empty else 0.0
        flag, cls = "", ""
        if n.decision == "drop" and spent > 0:
            flag = w("still_spending", amount=money(spent), date=when(n.noted_on))
            cls = "red"
        elif n.decision == "keep":
            flag = w("moved_since", opp=fmt_move(before[0], after[0]), win=fmt_move(before[1], after[1]))
        rows.append([Raw(esc(f"{value_label(CHANNELS, n.channel, ctx.lang)} · {n.campaign}")), decision(ctx, n.decision),
                     when(n.noted_on), n.owner,
                     *("–" if missing(b) and missing(a) else f"{money(b)} → {money(a)}"
                       for b, a in zip(before, after, strict=True)),
                     Raw(f'<span class="badge bad">{esc(flag)}</span>' if cls else esc(flag))])
        classes.append(cls)
        marks.append({"campaign": f"{n.channel}/{n.campaign}", "decision": n.decision,
                      "still-spending": f"{spent:.2f}" if n.decision == "drop" else ""})
    out.append(para(w("campaign_decisions_note")))
    out.append(table([w("campaign"), w("decision"), w("decided_on"), w("owner"), w("cpo_then_now"),
                      w("cpw_then_now"), w("spend_then_now"), w("since_decision")],
                     rows, "compact decisions", classes, numeric=range(4, 7), row_data=marks))
    return out


