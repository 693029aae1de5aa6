""""What changed": the review_signals rows of D that carry a rule (METRICS.md), each with its rule
in words and its chart; every other analysed metric listed as no signal.

The pack decides nothing here: the warehouse's review_signals says what moved beyond its usual
variation. Only the weekly flows and the weekly change of six levels are analysed; the 30- and
90-day windows and the rates are context (their trends are under "Headline figures")."""
from __future__ import annotations

import pandas as pd

from schemas.review import DIRECTIONS, review_metric
from schemas.tables import SIGNAL_SERIES, SIGNAL_WEEKS, WEEKLY_CHANGE
from tasks.review import charts
from tasks.review.data import weekly_dates
from tasks.review.sections.common import Context, Raw, Section, esc, para, table, tone
from tasks.review.text import fmt_change, fmt_value, missing, unit_label

NEWS = {"good": "good_news", "bad": "bad_news", "neutral": "neutral_news"}


def signal_tone(metric: str, side: object) -> str:
    """good, bad or neutral: a signal's side read by its metric's direction (a level's weekly change
    up is good when more of the level is better)."""
    return tone(review_metric(metric).direction, {"up": 1, "down": -1}.get(str(side)))


def rule_words(ctx: Context, rule: object, side: object) -> str:
    """A rule of review_signals in words: "3 of the last 4 weeks above the upper midway"."""
    return ctx.words(f"rule_{rule}_{'up' if side == 'up' else 'down'}")


def shown_value(ctx: Context, metric: str, series: str, value: object) -> str:
    """v_0 and the centre as the page writes them: a weekly change is signed."""
    unit = review_metric(metric).unit
    return fmt_change(value, unit, ctx.currency, ctx.lang) if series == WEEKLY_CHANGE else \
        fmt_value(value, unit, ctx.currency)


def limits(ctx: Context, r) -> str:
    if missing(r.lower_limit) or r.lower_limit == r.upper_limit:
        return ctx.words("no_limits")  # every baseline week the same: nothing to judge by
    # written as the row's value and centre are (a weekly change signed)
    return f"{shown_value(ctx, r.metric, r.series, r.lower_limit)} … {shown_value(ctx, r.metric, r.series, r.upper_limit)}"


def answer(ctx: Context, metric: str) -> tuple[str, Raw]:
    """Who answers for a signal (the month's owner of its metric in the plan) and what the review
    week's notes on the metric say; none yet: "awaiting <owner>" (or "no owner")."""
    owner = ctx.plan.owner(metric, ctx.data.as_of)
    notes = ctx.notes.on_metric(metric, ctx.data.as_of)
    if notes.empty:
        awaiting = ctx.words("awaiting", owner=owner) if owner else ctx.words("awaiting_no_owner")
        return owner or "–", Raw(f'<span class="awaiting">{esc(awaiting)}</span>')
    said = "".join(f'<div class="note"><b>{esc(n.owner)}</b> ({n.noted_on:%m-%d}): {esc(n.note)}'
                   + (f' <span class="decision">{esc(ctx.words("decision_" + str(n.decision)))}</span>'
                      if isinstance(n.decision, str) else "") + "</div>" for n in notes.itertuples())
    return owner or "–", Raw(said)


def what_changed(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    parts = [para(w("signals_rule"))]
    if d.signals.empty:
        return Section("what-changed", w("what_changed"), "".join(parts) + para(w("no_signals_table")))
    order = {m: i for i, m in enumerate(SIGNAL_SERIES)}
    rows = d.signals.assign(_order=d.signals["metric"].map(order).fillna(len(order))).sort_values(
        ["_order", "metric"], kind="stable")
    restated = set(d.restatements.loc[d.restatements["as_of_date"].isin(pd.to_datetime(weekly_dates(d.as_of))),
                                      "metric"]) if not d.restatements.empty else set()
    flagged, calm = rows[rows["rule"].notna()], rows[rows["rule"].isna()]

    def label(metric: str) -> str:
        m = review_metric(metric)
        return m.label(ctx.lang) + (f" ({w('restated_history')})" if metric in restated else "")

    parts.append(f"<h3>{esc(w('signals'))}</h3>")
    if flagged.empty:
        parts.append(para(w("no_signals"), "calm"))
    else:
        body, verdicts, figures = [], [], []
        for r in flagged.itertuples():
            verdict = signal_tone(r.metric, r.side)
            body.append([label(r.metric), w(f"series_{r.series}"), shown_value(ctx, r.metric, r.series, r.value),
                         shown_value(ctx, r.metric, r.series, r.centre), limits(ctx, r),
                         rule_words(ctx, r.rule, r.side),
                         Raw(f'<span class="badge {verdict}">{esc(w(NEWS[verdict]))}</span>'),
                         DIRECTIONS[review_metric(r.metric).direction][ctx.lang], *answer(ctx, r.metric)])
            verdicts.append(verdict)
            figures.append(signal_chart(ctx, r, verdict))
        parts.append(table([w("metric"), w("series"), w("this_week"), w("centre"), w("limits"), w("rule"), " ",
                            w("direction"), w("owner"), w("notes_this_week")], body, "signals", verdicts, numeric=(2, 3),
                           row_data=[{"metric": r.metric, "rule": r.rule} for r in flagged.itertuples()]))
        parts.append(f'<div class="grid">{"".join(figures)}</div>')
    parts.append(f"<h3>{esc(w('inside_limits'))}</h3>")
    parts.append(table([w("metric"), w("series"), w("this_week"), w("centre"), w("limits")], [
        [label(r.metric), w(f"series_{r.series}"), shown_value(ctx, r.metric, r.series, r.value),
         shown_value(ctx, r.metric, r.series, r.centre), limits(ctx, r)]
        for r in calm.itertuples()], "compact", numeric=(2, 3)))
    return Section("what-changed", w("what_changed"), "".join(parts))


def signal_chart(ctx: Context, signal, verdict: str) -> str:
    """The weekly values v_12 (or v_11) … v_0 with the centre, the limits and the midways of D: v_k
    of D is the value review_signals holds for D − 7k (a date not published leaves a gap)."""
    w, m = ctx.words, review_metric(signal.metric)
    history = ctx.data.signal_history
    weeks = history[history["metric"] == signal.metric][["as_of_date", "value"]].rename(columns={"as_of_date": "date"})
    # only the dates of the series (a missing one is a gap, not room for an older week): v_12 would
    # need x_13, so the change series has 12 values
    n = SIGNAL_WEEKS - 1 if signal.series == WEEKLY_CHANGE else SIGNAL_WEEKS
    weeks = weeks[weeks["date"].isin(pd.to_datetime(weekly_dates(ctx.data.as_of, n)))].sort_values("date")
    title = f"{m.label(ctx.lang)}, {w(f'series_{signal.series}')} ({unit_label(m, ctx.lang, ctx.currency)})"
    colour = {"good": charts.GOOD, "bad": charts.BAD, "neutral": charts.NEUTRAL}[verdict]
    # a weekly flow's target is for the week's own value; a level's is not for its weekly change
    plan = None
    if signal.series != WEEKLY_CHANGE and ctx.plan.has(signal.metric) and not weeks.empty:
        plan = ctx.plan.at(signal.metric, weeks["date"]).rename(columns={"target": "value"})[["date", "value"]]
    return ctx.chart(f"signal-{signal.metric}", charts.xmr_chart(
        weeks, title=title, unit=m.unit, centre=signal.centre, lower=signal.lower_limit, upper=signal.upper_limit,
        colour=colour, words=ctx.chart_words("centre", "midway", "plan"), plan=plan))
