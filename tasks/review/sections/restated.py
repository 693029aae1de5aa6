""""Restated figures": published figures a later run changed."""
from __future__ import annotations

import datetime as dt

from schemas.review import review_metric
from tasks.review.data import RESTATED_SINCE_DAYS
from tasks.review.sections.common import Context, Section, esc, para, short_run, table, when
from tasks.review.text import fmt_change, fmt_value

MAX_RESTATEMENT_ROWS = 40


def restated(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    since = d.as_of - dt.timedelta(days=RESTATED_SINCE_DAYS)
    parts = [para(w("restated_note", date=when(d.as_of), since=when(since)))]
    r = d.restatements
    if r.empty:
        return Section("restated", w("restated"), "".join(parts) + para(w("no_restatements"), "calm"))
    r = r.assign(change=r["new_value"] - r["old_value"])
    summary = []
    for name, g in r.groupby("metric", sort=False):
        m = review_metric(str(name))
        big = g.loc[g["change"].abs().fillna(-1).idxmax()]
        summary.append([m.label(ctx.lang), fmt_value(len(g), "count", ""),
                        f"{when(g['as_of_date'].min())} … {when(g['as_of_date'].max())}",
                        f"{when(big['as_of_date'])}: {fmt_value(big['old_value'], m.unit, ctx.currency)} → "
                        f"{fmt_value(big['new_value'], m.unit, ctx.currency)}"])
    parts.append(table([w("metric"), w("dates"), w("from_to"), w("largest")], summary, "compact", numeric=(1,)))
    detail = r.sort_values(["as_of_date", "metric"], ascending=[False, True]).head(MAX_RESTATEMENT_ROWS)
    rows = []
    for x in detail.itertuples():
        m = review_metric(x.metric)
        rows.append([when(x.as_of_date), m.label(ctx.lang), fmt_value(x.old_value, m.unit, ctx.currency),
                     fmt_value(x.new_value, m.unit, ctx.currency), fmt_change(x.change, m.unit, ctx.currency, ctx.lang),
                     short_run(x.first_run_id), short_run(x.run_id), str(x.restated_at)[:16]])
    more = para(w("more_rows", n=len(r) - len(detail))) if len(r) > len(detail) else ""
    parts.append(f"<details><summary>{esc(w('restated_detail', n=len(r)))}</summary>"
                 + table([w("as_of_date"), w("metric"), w("old_value"), w("new_value"), w("change"), w("first_run"),
                          w("restating_run"), w("restated_at")], rows, "compact", numeric=(2, 3, 4))
                 + more + "</details>")
    return Section("restated", w("restated"), "".join(parts))
