""""Campaigns: keep or drop": each campaign judged on its two cohorts (METRICS.md, campaign_daily)
against its channel (funnel_by_channel_daily, the same measures over the whole channel).

- Early signal, the young cohort (leads of the last 90 days, most too young to have won): the
  opportunities they opened and the cost per opportunity against the channel's.
- Late signal, the matured cohort (leads 90 to 179 days old, past most sales cycles): its wins, its
  cost per win and its return on spend against the channel's.

A campaign is "spent, won nothing" only when its matured cohort had leads and spend and won
nothing; one with no matured lead is too young to judge on wins; spend without a lead in either
cohort is overhead (tooling, retargeting), listed apart; `unknown` is unattributed: listed apart,
never best nor worst. `judge_campaigns` holds these rules for the page and for the demo's text."""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.review import CHANNELS, value_label
from schemas.tables import CAMPAIGN_DAILY
from tasks.review import charts
from tasks.review.sections.common import Context, Raw, Section, esc, para, table, when
from tasks.review.text import fmt_times, fmt_value

UNATTRIBUTED = "unknown"  # the campaign of leads and spend that name none (SOURCES.md)

# the late signal of a judged campaign, in the order the page lists them
SPENT_WON_NOTHING, ABOVE_CHANNEL, WITHIN_CHANNEL, TOO_YOUNG, NO_SPEND = (
    "spent_won_nothing", "above_channel", "within_channel", "too_young", "no_spend")
LATE_ORDER = (SPENT_WON_NOTHING, ABOVE_CHANNEL, WITHIN_CHANNEL, TOO_YOUNG, NO_SPEND)
JUDGED, OVERHEAD = "judged", "overhead"  # and UNATTRIBUTED: what a row is


def judge_campaigns(campaigns: pd.DataFrame, funnel: pd.DataFrame) -> pd.DataFrame:
    """campaign_daily at D beside its channel's costs, with what the page says of each row:

    - `kind`: `unknown` (unattributed), `overhead` (spend, no lead in either cohort) or `judged`;
    - `early_relative`: cost per opportunity / the channel's (null without both);
    - `late`, for judged rows: `too_young` (no matured lead), `no_spend` (matured leads, no spend
      on them), `spent_won_nothing` (matured leads and spend, no win), else `above_channel` or
      `within_channel` by `late_relative` = matured cost per win / the channel's (> 1: above);
    - ordered: judged rows by LATE_ORDER (spent-won-nothing by spend, largest first; above and
      within by late_relative, dearest first; too young by their spend; no spend by their leads),
      then overhead by spend, then unattributed; ties by channel and campaign."""
    # a column the rows lack (a warehouse of an older version) is missing on every row
    c = campaigns.reindex(columns=list(dict.fromkeys([*campaigns.columns, *CAMPAIGN_DAILY.names])))
    numbers = [n for n in CAMPAIGN_DAILY.names if n not in ("as_of_date", "channel", "campaign")]
    for column in numbers:
        c[column] = pd.to_numeric(c[column], errors="coerce").astype("float64")
    by_channel = funnel.set_index("channel") if not funnel.empty else pd.DataFrame(columns=numbers)
    for column in ("cost_per_opportunity_90d", "cost_per_win_prior_90d", "return_on_spend_prior_90d"):
        c[f"channel_{column}"] = pd.to_numeric(c["channel"].map(by_channel[column]), errors="coerce").astype("float64")
    c["early_relative"] = c["cost_per_opportunity_90d"] / c["channel_cost_per_opportunity_90d"].where(
        c["channel_cost_per_opportunity_90d"] > 0)
    c["late_relative"] = c["cost_per_win_prior_90d"] / c["channel_cost_per_win_prior_90d"].where(
        c["channel_cost_per_win_prior_90d"] > 0)
    leads = c["leads_90d"].fillna(0) + c["leads_prior_90d"].fillna(0)
    c["kind"] = np.select([c["campaign"] == UNATTRIBUTED, leads == 0], [UNATTRIBUTED, OVERHEAD], JUDGED)
    matured, spent, won = c["leads_prior_90d"] > 0, c["spend_prior_90d"] > 0, c["won_prior_90d"] > 0
    c["late"] = np.select(
        [~matured, ~spent, ~won, c["late_relative"] > 1], [TOO_YOUNG, NO_SPEND, SPENT_WON_NOTHING, ABOVE_CHANNEL],
        WITHIN_CHANNEL)
    c["late"] = c["late"].where(c["kind"] == JUDGED)
    spend = c["spend_90d"].fillna(0) + c["spend_prior_90d"].fillna(0)
    c["_group"] = np.select([c["kind"] == OVERHEAD, c["kind"] == UNATTRIBUTED], [len(LATE_ORDER), len(LATE_ORDER) + 1],
                            c["late"].map({k: i for i, k in enumerate(LATE_ORDER)}).fillna(0))
    c["_key"] = np.select([c["late"] == SPENT_WON_NOTHING, c["late"].isin([ABOVE_CHANNEL, WITHIN_CHANNEL]),
                           c["late"] == NO_SPEND], [c["spend_prior_90d"], c["late_relative"], leads], spend)
    c = c.sort_values(["_group", "_key", "channel", "campaign"], ascending=[True, False, True, True], kind="stable",
                      ignore_index=True)
    return c.drop(columns=["_group", "_key"])


MARKS = {SPENT_WON_NOTHING: "bad", ABOVE_CHANNEL: "amber", TOO_YOUNG: "neutral"}


def campaigns(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    parts = [para(w("campaigns_note", date=when(d.as_of), funnel=w("funnel")))]
    if d.campaigns.empty:
        return Section("campaigns", w("campaigns"), "".join(parts) + para(w("no_campaigns", date=when(d.as_of))))
    c = judge_campaigns(d.campaigns, d.funnel)
    parts.append(para(w("campaigns_reading")))
    c["channel_label"] = [value_label(CHANNELS, ch, ctx.lang) for ch in c["channel"]]
    c["label"] = [f"{ch} · {cp}" for ch, cp in zip(c["channel_label"], c["campaign"], strict=True)]
    judged, overhead, unattributed = (c[c["kind"] == k] for k in (JUDGED, OVERHEAD, UNATTRIBUTED))
    money = lambda v: fmt_value(v, "money", ctx.currency)  # noqa: E731
    count = lambda v: fmt_value(v, "count", ctx.currency)  # noqa: E731

    def times(v: float) -> Raw:  # a cost above its channel's reads amber
        return Raw(f'<span class="{"amber-text" if v > 1 else ""}">{esc(fmt_times(v))}</span>')

    def mark(late: object) -> Raw:
        if late not in MARKS:
            return Raw("")
        return Raw(f'<span class="badge {MARKS[late]}">{esc(w(str(late)))}</span>')

    headers = [w("campaign"), w("leads_young"), w("opportunities"), w("cost_per_opportunity"), w("vs_channel"),
               w("leads_matured"), w("won_matured"), w("spend_matured"), w("cost_per_win_matured"), w("vs_channel"),
               w("return_on_spend_matured"), w("mark")]

    def judged_table(rows_: pd.DataFrame) -> str:
        return table(headers, [
            [r.label, count(r.leads_90d), count(r.opportunities_90d), money(r.cost_per_opportunity_90d),
             times(r.early_relative), count(r.leads_prior_90d), count(r.won_prior_90d), money(r.spend_prior_90d),
             money(r.cost_per_win_prior_90d), times(r.late_relative), fmt_times(r.return_on_spend_prior_90d),
             mark(r.late)] for r in rows_.itertuples()], "campaigns",
            [{"bad": "red", "amber": "amber"}.get(MARKS.get(str(r.late), ""), "") for r in rows_.itertuples()],
            numeric=range(1, 11), row_data=[{"channel": r.channel, "campaign": r.campaign, "late": r.late}
                                            for r in rows_.itertuples()])

    if not judged.empty:
        parts.append(f"<h3>{esc(w('campaigns_judged'))}</h3>")
        parts += _charts(ctx, judged)
        # campaigns that spent nothing in either cohort cost nothing to keep: folded away
        free = (judged["spend_90d"].fillna(0) + judged["spend_prior_90d"].fillna(0)) == 0
        if (~free).any():
            parts.append(judged_table(judged[~free]))
        if free.any():
            parts.append(f"<details><summary>{esc(w('campaigns_free', n=int(free.sum())))}</summary>"
                         + judged_table(judged[free]) + "</details>")
    if not overhead.empty:
        parts.append(f"<h3>{esc(w('campaigns_overhead'))}</h3>")
        parts.append(para(w("campaigns_overhead_note")))
        parts.append(table([w("channel"), w("campaign"), w("spend"), w("spend_matured")],
                           [[r.channel_label, r.campaign, money(r.spend_90d), money(r.spend_prior_90d)]
                            for r in overhead.itertuples()], "compact", numeric=(2, 3)))
    if not unattributed.empty:
        parts.append(f"<h3>{esc(w('campaigns_unattributed'))}</h3>")
        parts.append(para(w("campaigns_unattributed_note")))
        parts.append(table([w("channel"), w("leads_young"), w("opportunities"), w("spend"), w("leads_matured"),
                            w("won_matured"), w("spend_matured")],
                           [[r.channel_label, count(r.leads_90d), count(r.opportunities_90d), money(r.spend_90d),
                             count(r.leads_prior_90d), count(r.won_prior_90d), money(r.spend_prior_90d)]
                            for r in unattributed.itertuples()], "compact", numeric=range(1, 7)))
    return Section("campaigns", w("campaigns"), "".join(parts))


def _charts(ctx: Context, judged: pd.DataFrame) -> list[str]:
    """Each judged campaign's cost per opportunity (young cohort) and matured cost per win against
    its channel's: a bar and a tick; campaigns without the cost have no bar."""
    w, out = ctx.words, []
    order = list(judged["label"])
    for chart_id, cost, channel_cost, title, caption in (
            ("campaign-opportunity", "cost_per_opportunity_90d", "channel_cost_per_opportunity_90d",
             "cost_per_opportunity", "campaign_opportunity_chart"),
            ("campaign-win", "cost_per_win_prior_90d", "channel_cost_per_win_prior_90d", "cost_per_win_matured",
             "campaign_win_chart")):
        rows = judged[judged[cost] > 0]
        if rows.empty:
            out.append(para(w(f"no_{caption}")))
            continue
        frame = pd.DataFrame({"label": rows["label"], "channel": rows["channel_label"], "campaign": rows["campaign"],
                              "cost": rows[cost], "channel_cost": rows[channel_cost],
                              "relative": rows[cost] / rows[channel_cost].where(rows[channel_cost] > 0)})
        frame["above"] = (frame["relative"] > 1).fillna(False).astype(bool)
        out.append(ctx.chart(chart_id, charts.campaign_cost(
            frame, order=[o for o in order if o in set(frame["label"])], currency=ctx.currency,
            words={**ctx.chart_words("channel", "campaign", "vs_channel"), "cost": w(title),
                   "channel_cost": w("channel_cost", what=w(title))}), w(caption)))
    return out
