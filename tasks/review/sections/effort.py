""""Effort": hours and labour cost by role and phase over the last weeks."""
from __future__ import annotations

import datetime as dt

from schemas.review import PHASES, ROLES, value_label
from tasks.review import charts
from tasks.review.data import EFFORT_WEEKS
from tasks.review.sections.common import Context, Section, para, when


def effort(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    monday = d.as_of - dt.timedelta(days=d.as_of.weekday())
    first = monday - dt.timedelta(days=7 * (EFFORT_WEEKS - 1))
    parts = [para(w("effort_note", first=when(first), last=when(monday)))]
    if d.effort.empty:
        return Section("effort", w("effort"), "".join(parts) + para(w("no_data")))
    cells = d.effort.groupby(["role", "phase"], as_index=False)[["hours", "labour_cost"]].sum()
    roles = [value_label(ROLES, r, ctx.lang) for r in [*ROLES, *sorted(set(cells["role"]) - set(ROLES))]]
    phases = [value_label(PHASES, p, ctx.lang) for p in [*PHASES, *sorted(set(cells["phase"]) - set(PHASES))]]
    cells["role"] = [value_label(ROLES, r, ctx.lang) for r in cells["role"]]
    cells["phase"] = [value_label(PHASES, p, ctx.lang) for p in cells["phase"]]
    words = ctx.chart_words("role", "phase")
    parts.append(ctx.chart("effort-hours", charts.heatmap(cells, "hours", title=w("hours"), roles=roles, phases=phases,
                                                          fmt=",.1f", scheme="blues", words=words), w("hours_chart")))
    parts.append(ctx.chart("effort-cost", charts.heatmap(cells, "labour_cost", title=f"{w('labour_cost')} ({ctx.currency})",
                                                         roles=roles, phases=phases, fmt=",.0f", scheme="purples",
                                                         words=words), w("cost_heatmap")))
    return Section("effort", w("effort"), "".join(parts))
