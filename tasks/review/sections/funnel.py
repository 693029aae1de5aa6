""""Funnel and channels": what each channel's leads became, and what they cost."""
from __future__ import annotations

import numpy as np

from schemas.review import CHANNELS, FUNNEL_STAGES, value_label
from tasks.review import charts
from tasks.review.sections.common import Context, Section, para, table, when
from tasks.review.text import fmt_times, fmt_value


def funnel(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    if d.funnel.empty:
        return Section("funnel", w("funnel"), para(w("no_data")))
    f = d.funnel.assign(channel=[value_label(CHANNELS, c, ctx.lang) for c in d.funnel["channel"]])
    f = f.sort_values("leads_90d", ascending=False, kind="stable")
    channels = list(f["channel"])
    stages = {s: v[ctx.lang] for s, v in FUNNEL_STAGES.items()}
    long = f.melt(id_vars="channel", value_vars=list(stages), var_name="stage", value_name="count")
    leads = f.set_index("channel")["leads_90d"].astype("float64")
    long["share"] = long["count"].astype("float64") / long["channel"].map(leads).replace(0, np.nan)
    long["stage"] = long["stage"].map(stages)
    parts = [para(w("funnel_note", date=when(d.as_of)))]
    parts.append(ctx.chart("funnel", charts.funnel_chart(long, stages=list(stages.values()), channels=channels,
                                                         words=ctx.chart_words("channel", "stage", "leads")),
                           w("funnel_chart")))
    parts.append(ctx.chart("spend", charts.channel_bars(f, [("spend_90d", w("spend"))], channels=channels,
                                                        currency=ctx.currency, words=ctx.chart_words("channel")),
                           w("spend_chart")))
    # the young cohort is judged on its opportunities, the matured one on its wins (few young leads
    # have had the time to win); a cost with no value in any channel has no bar to draw
    kinds = (("cost_per_opportunity_90d", "cost_per_opportunity"), ("cost_per_win_prior_90d", "cost_per_win_matured"))
    costs = [(c, w(k)) for c, k in kinds if f[c].notna().any()]
    if costs:
        parts.append(ctx.chart("cost", charts.channel_bars(f, costs, channels=channels, currency=ctx.currency,
                                                           words=ctx.chart_words("channel")), w("cost_chart")))
    if len(costs) < len(kinds):
        parts.append(para(w("no_cost", what=", ".join(w(k) for c, k in kinds if f[c].isna().all()))))
    money = lambda v: fmt_value(v, "money", ctx.currency)  # noqa: E731
    count = lambda v: fmt_value(v, "count", ctx.currency)  # noqa: E731
    parts.append(table(
        [w("channel"), *stages.values(), w("opportunities"), w("spend"), w("cost_per_lead"), w("cost_per_opportunity"),
         w("leads_matured"), w("won_matured"), w("cost_per_win_matured"), w("return_on_spend_matured")],
        [[r.channel, count(r.leads_90d), count(r.qualified_90d), count(r.converted_90d), count(r.won_90d),
          count(r.opportunities_90d), money(r.spend_90d), money(r.cost_per_lead_90d),
          money(r.cost_per_opportunity_90d), count(r.leads_prior_90d), count(r.won_prior_90d),
          money(r.cost_per_win_prior_90d), fmt_times(r.return_on_spend_prior_90d)] for r in f.itertuples()],
        "compact", numeric=range(1, 13)))
    return Section("funnel", w("funnel"), "".join(parts))
