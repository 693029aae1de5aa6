""""Headline figures": every portfolio metric with its week-over-week change, coloured only where
review_signals has a signal for it, and the 6-12 charts of the weekly business review: per metric,
the last 6 weeks and the last 12 month-ends, each beside the same a year before (lighter)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.review import AREAS, DIRECTIONS, MONTHLY_OF_WEEKLY, review_metric
from schemas.tables import WEEKLY_CHANGE
from tasks.review import charts
from tasks.review.data import MONTHS, WEEKS, YEAR, month_ends, weekly_dates
from tasks.review.plan import vs_plan
from tasks.review.sections.common import Context, Raw, Section, esc, metric_order, para, table
from tasks.review.sections.what_changed import rule_words, signal_tone
from tasks.review.text import fmt_change, fmt_pct, fmt_share, fmt_value, missing, unit_label

METRIC_HEADERS = ("metric", "value", "week_ago_value", "change", "change_pct", "signal", "direction", "unit")
PLAN_HEADERS = ("plan", "vs_plan", "owner")  # after change_pct, when the warehouse has a plan


def signal_words(ctx: Context, signal: pd.Series) -> str:
    """A signal beside a metric's value: a level's signal is about its weekly change, so it says so."""
    words = rule_words(ctx, signal["rule"], signal["side"])
    return f"{ctx.words('series_weekly_change')}: {words}" if signal["series"] == WEEKLY_CHANGE else words


def metric_table(ctx: Context, names: list[str]) -> str:
    """The figures of `names` as of D against a week before (review_changes). A row is coloured
    only by a signal of review_signals (good or bad by the metric's direction): one week's change
    alone is noise more often than news, so its sign colours nothing."""
    w, d = ctx.words, ctx.data
    changes = d.changes.set_index("metric") if not d.changes.empty else pd.DataFrame()
    latest = d.portfolio[d.portfolio["as_of_date"] == pd.Timestamp(d.as_of)].iloc[0]
    restated = set(d.restatements.loc[d.restatements["as_of_date"].isin(
        [pd.Timestamp(d.as_of), pd.Timestamp(d.week_ago)]), "metric"]) if not d.restatements.empty else set()
    signals = d.signals[d.signals["rule"].notna()].set_index("metric") if not d.signals.empty else pd.DataFrame()
    rows, classes = [], []
    planned = not ctx.plan.empty
    for name in names:
        m = review_metric(name)
        if name in changes.index:
            c = changes.loc[name]
            value, before, change, pct = c["value"], c["value_7d_ago"], c["change"], c["change_pct"]
        else:  # not in review_changes (a column newer than the table): the value alone
            value, before, change, pct = latest[name], None, None, None
        signal = signals.loc[name] if name in signals.index else None
        t = "neutral" if signal is None else signal_tone(name, signal["side"])
        mark = Raw(f' <span class="restated-mark" title="{esc(w("restated_history"))}">†</span>'
                   if name in restated else "")
        row = [Raw(esc(m.label(ctx.lang)) + mark), fmt_value(value, m.unit, ctx.currency),
               fmt_value(before, m.unit, ctx.currency), fmt_change(change, m.unit, ctx.currency, ctx.lang),
               fmt_pct(pct)]
        if planned:
            row += plan_cells(ctx, name, value)
        rows.append(row + [
            Raw(f'<span class="{t}">{esc(signal_words(ctx, signal))}</span>') if signal is not None else "–",
            DIRECTIONS[m.direction][ctx.lang], unit_label(m, ctx.lang, ctx.currency)])
        # a signal on a metric neither good nor bad in itself is marked all the same
        classes.append("flagged" if signal is not None and t == "neutral" else t)
    headers = [*METRIC_HEADERS[:5], *(PLAN_HEADERS if planned else ()), *METRIC_HEADERS[5:]]
    return table([w(h) for h in headers], rows, "headline", classes,
                 numeric=(1, 2, 3, 4, 5, 6) if planned else (1, 2, 3, 4), row_data=[{"metric": n} for n in names])


def plan_cells(ctx: Context, name: str, value: object) -> list[object]:
    """The month's target of a metric, the value against it (value − target, value / target) and
    who answers for it; "no plan" where the metric has no target this month."""
    m, w = review_metric(name), ctx.words
    target, owner = ctx.plan.target(name, ctx.data.as_of), ctx.plan.owner(name, ctx.data.as_of)
    if np.isnan(target):
        return [w("no_plan"), "–", owner or "–"]
    gap, share = vs_plan(float(value) if not missing(value) else np.nan, target)
    return [fmt_value(target, m.unit, ctx.currency),
            f"{fmt_change(gap, m.unit, ctx.currency, ctx.lang)} · {fmt_share(share)}", owner or w("no_owner")]


def headline(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    names = metric_order(d.portfolio.columns)
    parts = [para(w("headline_note"))]
    if ctx.plan.empty:
        parts.append(para(w("no_plan_at_all")))
    for area, labels in AREAS.items():
        in_area = [n for n in names if review_metric(n).area == area]
        if in_area:
            parts.append(f"<h3>{esc(labels[ctx.lang])}</h3>")
            parts.append(metric_table(ctx, in_area))
            parts.append(six_twelve(ctx, [n for n in in_area if n not in MONTHLY_OF_WEEKLY], f"six-twelve-{area}"))
    return Section("headline", w("headline"), "".join(parts))


def six_twelve(ctx: Context, names: list[str], chart_id: str) -> str:
    """The 6-12 charts of `names`: each metric's value at the last 6 weekly dates (a weekly flow is
    the week's total there) and at the last 12 month-ends (a weekly flow's longer window, declared
    in schemas/review.py: a week is not a month), with the same week and month a year before
    drawn lighter at the same place. What is not published is left out; nothing if nothing is."""
    w, d = ctx.words, ctx.data
    by_date = d.portfolio.set_index("as_of_date")
    weeks = pd.to_datetime(weekly_dates(d.as_of, WEEKS))
    ends = month_ends(d.as_of, 2 * MONTHS)
    months, months_before = pd.to_datetime(ends[MONTHS:]), pd.to_datetime(ends[:MONTHS])
    year = w("this_year"), w("year_before")
    frames, panels, planned = [], [], False
    for name in names:
        m = review_metric(name)
        monthly = m.monthly or name
        for part, column, dates, before in (("weeks", name, weeks, weeks - pd.Timedelta(days=YEAR)),
                                            ("months", monthly, months, months_before)):
            if column not in by_date:
                continue
            for period, at in zip(year, (dates, before), strict=True):
                frames.append(pd.DataFrame({"metric": name, "part": part, "period": period, "x": dates, "date": at,
                                            "value": charts.shown(by_date[column].reindex(at), m.unit).to_numpy()}))
            if ctx.plan.has(column):  # the target of each date's month: a dashed line per month
                planned = True
                target = ctx.plan.at(column, dates)["target"]
                frames.append(pd.DataFrame({"metric": name, "part": part, "period": w("plan"), "x": dates,
                                            "date": dates, "value": charts.shown(target, m.unit).to_numpy()}))
        month_title = w("month_ends") if not m.monthly else w("month_ends_of", window=review_metric(monthly).label(ctx.lang))
        panels.append((name, f"{m.label(ctx.lang)} ({unit_label(m, ctx.lang, ctx.currency)})", m.unit,
                       w("last_weeks"), month_title))
    frame = pd.concat(frames, ignore_index=True).dropna(subset=["value"]) if frames else pd.DataFrame()
    if frame.empty:
        return ""
    periods = [*year, w("plan")] if planned else list(year)
    return ctx.chart(chart_id, charts.six_twelve(frame, panels, periods=periods, words=ctx.chart_words()),
                     w("six_twelve_chart"))


