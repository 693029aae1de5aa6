""""Data quality": what the runs quarantined, against a week before."""
from __future__ import annotations

import pandas as pd

from schemas.review import ENTITIES, value_label
from tasks.review import charts
from tasks.review.data import entity_counts
from tasks.review.sections.common import Context, Raw, Section, esc, para, table, when
from tasks.review.text import fmt_change, fmt_value, missing

MAX_REASONS = 10


def data_quality(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    if d.latest_run is None:
        return Section("quality", w("quality"), para(w("no_run", date=when(d.as_of))))
    now, then = entity_counts(d.latest_run), entity_counts(d.week_ago_run)
    before = then.set_index("entity")["quarantined"] if not then.empty else pd.Series(dtype="float64")
    finished = d.latest_run.get("finished_at")
    parts = [para(w("quality_note", date=when(d.as_of), run=str(d.latest_run["run_id"])[:8],
                    when=str(finished)[:16] if finished is not None else "–", week_ago=when(d.week_ago),
                    run_before=str(d.week_ago_run["run_id"])[:8] if d.week_ago_run else w("no_run_before")))]
    runs = [w("run_latest"), w("run_week_ago")]
    bars = [{"entity": value_label(ENTITIES, r.entity, ctx.lang), "run": runs[0], "quarantined": r.quarantined}
            for r in now.itertuples()]
    bars += [{"entity": value_label(ENTITIES, r.entity, ctx.lang), "run": runs[1], "quarantined": r.quarantined}
             for r in then.itertuples()]
    order = [value_label(ENTITIES, e, ctx.lang) for e in now["entity"]]
    parts.append(ctx.chart("quality", charts.quality_chart(pd.DataFrame(bars), entities=order,
                                                           runs=runs if not then.empty else runs[:1],
                                                           words=ctx.chart_words("quarantined", "entity")),
                           w("quality_chart")))
    rows = []
    for r in now.itertuples():
        b = before.get(r.entity)
        share = (r.quarantined / r.read) if r.read else None
        change = None if b is None or missing(b) else r.quarantined - b
        rows.append([value_label(ENTITIES, r.entity, ctx.lang), fmt_value(r.read, "count", ""),
                     fmt_value(r.quarantined, "count", ""), fmt_value(share, "ratio", "") if share is not None else "–",
                     fmt_value(b, "count", ""), fmt_change(change, "count", "", ctx.lang)])
    parts.append(table([w("entity"), w("read"), w("quarantined"), w("share"), w("run_week_ago"), w("change")], rows,
                       "compact", numeric=(1, 2, 3, 4, 5)))
    parts.append(f"<h3>{esc(w('reasons'))}</h3>")
    q = d.quarantine
    if q.empty:
        parts.append(para(w("no_quarantine")))
    else:
        parts.append(para(w("reasons_note", run=", ".join(sorted({str(r)[:8] for r in q["run_id"]})))))
        top = (q.sort_values("record_id").groupby(["entity", "rule"])["record_id"]
               .agg(rows="size", examples=lambda s: ", ".join(map(str, s.drop_duplicates().head(3))))
               .reset_index().sort_values(["rows", "entity", "rule"], ascending=[False, True, True]).head(MAX_REASONS))
        parts.append(table([w("entity"), w("rule"), w("rows"), w("examples")], [
            [value_label(ENTITIES, r.entity, ctx.lang), Raw(f"<code>{esc(r.rule)}</code>"),
             fmt_value(r.rows, "count", ""), r.examples] for r in top.itertuples()], "compact", numeric=(2,)))
    return Section("quality", w("quality"), "".join(parts))
