"""The sections of the review pack, in the order the meeting reads them. Each builder takes the
pack's `Context` (the data read as of D, the words of the page's language, the currency) and
returns a `Section`: a title and its HTML, with the charts it registered on the context.

To add a section, write a builder and put it in SECTIONS where the page should show it."""
from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from schemas.review import (
    AREAS,
    CHANNELS,
    DIRECTIONS,
    ENTITIES,
    FUNNEL_STAGES,
    HEALTH,
    METRICS,
    PHASES,
    ROLES,
    ReviewMetric,
    review_metric,
    value_label,
)
from tasks.review import charts
from tasks.review.data import (
    DAILY_DAYS,
    EFFORT_WEEKS,
    RESTATED_SINCE_DAYS,
    ReviewData,
    entity_counts,
    month_ends,
    weekly_dates,
)
from tasks.review.text import Words, fmt_change, fmt_pct, fmt_times, fmt_value, missing, unit_label
from tasks.review.xmr import MIN_BASELINE, XmR, xmr

MAX_RESTATEMENT_ROWS = 40
MAX_REASONS = 10


@dataclass
class Context:
    data: ReviewData
    words: Words
    currency: str
    charts: dict[str, dict] = field(default_factory=dict)  # chart id → Vega-Lite spec, in page order

    @property
    def lang(self) -> str:
        return self.words.lang

    def chart(self, chart_id: str, spec: dict, caption: str = "") -> str:
        """Register a chart; its container, to put in the section's HTML (ids `chart-…`, apart from
        the sections' own)."""
        element = f"chart-{chart_id}"
        assert element not in self.charts, f"two charts {element}"
        self.charts[element] = spec
        return (f'<figure class="chart-figure">{f"<figcaption>{esc(caption)}</figcaption>" if caption else ""}'
                f'<div class="chart" id="{element}" data-chart="{chart_id}"></div></figure>')

    def chart_words(self, *keys: str) -> dict[str, str]:
        return {k: self.words(k) for k in ("date", "value", "limits", "mean", *keys)}


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    html: str


# --- small HTML helpers -----------------------------------------------------------------------

class Raw(str):
    """HTML that a table cell takes as it is (everything else is escaped)."""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], cls: str = "", row_classes: Sequence[str] = (),
          numeric: Sequence[int] = ()) -> str:
    head = "".join(f'<th{" class=num" if i in numeric else ""}>{esc(h)}</th>' for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        rc = row_classes[r] if r < len(row_classes) and row_classes[r] else ""
        cells = "".join(f'<td{" class=num" if i in numeric else ""}>{c if isinstance(c, Raw) else esc(c)}</td>'
                        for i, c in enumerate(row))
        body.append(f'<tr{f" class={chr(34)}{rc}{chr(34)}" if rc else ""}>{cells}</tr>')
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def para(text: str, cls: str = "note") -> str:
    return f'<p class="{cls}">{esc(text)}</p>'


def short_run(run_id: object) -> Raw:
    """A run id as the page shows it: its first 8 characters, the whole on hover."""
    if missing(run_id):
        return Raw("–")
    text = str(run_id)
    return Raw(f'<span class="run" title="{esc(text)}">{esc(text[:8])}</span>')


def tone(direction: str, change: object) -> str:
    """good, bad or neutral: a change read by the metric's direction."""
    if missing(change) or direction == "neutral" or float(change) == 0:  # type: ignore[arg-type]
        return "neutral"
    up = float(change) > 0  # type: ignore[arg-type]
    return "good" if up == (direction == "higher") else "bad"


def metric_order(columns: Sequence[str]) -> list[str]:
    """The portfolio metrics: declared ones in their declared order, then any other column."""
    present = [c for c in columns if c != "as_of_date"]
    return [m for m in METRICS if m in present] + [c for c in present if c not in METRICS]


def when(day: dt.date | pd.Timestamp) -> str:
    return pd.Timestamp(day).strftime("%Y-%m-%d")


# --- What changed -----------------------------------------------------------------------------

def what_changed(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    days = weekly_dates(d.as_of)
    by_date = d.portfolio.set_index("as_of_date")
    restated = set(d.restatements.loc[d.restatements["as_of_date"].isin(pd.to_datetime(days)), "metric"]) \
        if not d.restatements.empty else set()
    results: list[tuple[ReviewMetric, XmR]] = []
    for name in metric_order(d.portfolio.columns):
        weekly = by_date[name].reindex(pd.to_datetime(days)).astype("float64")
        results.append((review_metric(name), xmr(weekly.to_numpy())))
    signals = [(m, x) for m, x in results if x.enough and x.signal]
    calm = [(m, x) for m, x in results if x.enough and not x.signal]
    short = [(m, x) for m, x in results if not x.enough]

    def distance(x: XmR) -> float:  # how far outside, in moving ranges
        bound = x.upper if x.signal == "above" else x.lower
        return abs(x.latest - bound) / (x.mean_moving_range or 1)

    parts = [para(w("xmr_rule", min=MIN_BASELINE, restated=w("restated")))]
    parts.append(f"<h3>{esc(w('signals'))}</h3>")
    if not signals:
        parts.append(para(w("no_signals"), "calm"))
    rows, classes, figures = [], [], []
    for m, x in sorted(signals, key=lambda mx: -distance(mx[1])):
        change = x.change
        verdict = tone(m.direction, 1 if x.signal == "above" else -1)
        news = {"good": "good_news", "bad": "bad_news", "neutral": "neutral_news"}[verdict]
        label = m.label(ctx.lang) + (f" ({w('restated_history')})" if m.name in restated else "")
        rows.append([label, fmt_value(x.latest, m.unit, ctx.currency), fmt_change(change, m.unit, ctx.currency, ctx.lang),
                     f"{fmt_value(x.lower, m.unit, ctx.currency)} … {fmt_value(x.upper, m.unit, ctx.currency)}",
                     Raw(f'<span class="badge {verdict}">{esc(w("verdict", where=w(x.signal), news=w(news)))}</span>'),
                     DIRECTIONS[m.direction][ctx.lang]])
        classes.append(verdict)
        weekly = pd.DataFrame({"date": pd.to_datetime(days),
                               "value": by_date[m.name].reindex(pd.to_datetime(days)).astype("float64").to_numpy()})
        colour = {"good": charts.GOOD, "bad": charts.BAD, "neutral": charts.NEUTRAL}[verdict]
        figures.append(ctx.chart(f"xmr-{m.name}", charts.xmr_chart(
            weekly.dropna(), title=f"{m.label(ctx.lang)} ({unit_label(m, ctx.lang, ctx.currency)})", unit=m.unit,
            mean=x.mean, lower=x.lower, upper=x.upper, colour=colour, words=ctx.chart_words())))
    if rows:
        parts.append(table([w("metric"), w("value"), w("change"), w("limits"), " ", w("direction")], rows,
                           "signals", classes, numeric=(1, 2)))
        parts.append(f'<div class="grid">{"".join(figures)}</div>')
    parts.append(f"<h3>{esc(w('inside_limits'))}</h3>")
    parts.append(table([w("metric"), w("value"), w("change"), w("limits"), " "], [
        [m.label(ctx.lang) + (f" ({w('restated_history')})" if m.name in restated else ""),
         fmt_value(x.latest, m.unit, ctx.currency), fmt_change(x.change, m.unit, ctx.currency, ctx.lang),
         f"{fmt_value(x.lower, m.unit, ctx.currency)} … {fmt_value(x.upper, m.unit, ctx.currency)}", w("no_signal")]
        for m, x in calm], "compact", numeric=(1, 2)))
    if short:
        parts.append(f"<h3>{esc(w('not_enough'))}</h3>")
        parts.append(para("; ".join(f"{m.label(ctx.lang)} ({w('weeks_of', n=x.baseline + (not math.isnan(x.latest)))})"
                                    for m, x in short)))
    return Section("what-changed", w("what_changed"), "".join(parts))


# --- Headline figures -------------------------------------------------------------------------

def headline(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    changes = d.changes.set_index("metric") if not d.changes.empty else pd.DataFrame()
    latest = d.portfolio[d.portfolio["as_of_date"] == pd.Timestamp(d.as_of)].iloc[0]
    restated = set(d.restatements.loc[d.restatements["as_of_date"].isin(
        [pd.Timestamp(d.as_of), pd.Timestamp(d.week_ago)]), "metric"]) if not d.restatements.empty else set()
    names = metric_order(d.portfolio.columns)
    parts = [para(w("headline_note"))]
    for area, labels in AREAS.items():
        rows, classes = [], []
        for name in names:
            m = review_metric(name)
            if m.area != area:
                continue
            if name in changes.index:
                c = changes.loc[name]
                value, before, change, pct = c["value"], c["value_7d_ago"], c["change"], c["change_pct"]
            else:  # not in review_changes (a column newer than the table): the value alone
                value, before, change, pct = latest[name], None, None, None
            t = tone(m.direction, change)
            mark = Raw(f' <span class="restated-mark" title="{esc(w("restated_history"))}">†</span>'
                       if name in restated else "")
            rows.append([Raw(esc(m.label(ctx.lang)) + mark), fmt_value(value, m.unit, ctx.currency),
                         fmt_value(before, m.unit, ctx.currency),
                         Raw(f'<span class="{t}">{esc(fmt_change(change, m.unit, ctx.currency, ctx.lang))}</span>'),
                         Raw(f'<span class="{t}">{esc(fmt_pct(pct))}</span>'), DIRECTIONS[m.direction][ctx.lang],
                         unit_label(m, ctx.lang, ctx.currency)])
            classes.append(t)
        if rows:
            parts.append(f"<h3>{esc(labels[ctx.lang])}</h3>")
            parts.append(table([w("metric"), w("value"), w("week_ago_value"), w("change"), w("change_pct"),
                                w("direction"), w("unit")], rows, "headline", classes, numeric=(1, 2, 3, 4)))
    panels = [(n, f"{review_metric(n).label(ctx.lang)} ({unit_label(review_metric(n), ctx.lang, ctx.currency)})",
               review_metric(n).unit) for n in names]
    long = _long(d.portfolio, names)
    daily = long[long["date"] > pd.Timestamp(d.as_of - dt.timedelta(days=DAILY_DAYS))]
    if daily["value"].notna().any():
        parts.append(ctx.chart("trend-daily", charts.trend_grid(daily, panels, date_format="%m-%d",
                                                                words=ctx.chart_words()), w("daily_chart")))
    monthly = long[long["date"].isin(pd.to_datetime(month_ends(d.as_of)))]
    if monthly["value"].notna().any():
        parts.append(ctx.chart("trend-monthly", charts.trend_grid(monthly, panels, date_format="%Y-%m",
                                                                  words=ctx.chart_words()), w("monthly_chart")))
    return Section("headline", w("headline"), "".join(parts))


def _long(portfolio: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """metric, date, value (in the charts' units) of every published date."""
    frames = [pd.DataFrame({"metric": n, "date": portfolio["as_of_date"],
                            "value": charts.shown(portfolio[n], review_metric(n).unit)}) for n in names]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["metric", "date", "value"])


# --- Funnel and channels ----------------------------------------------------------------------

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
    # a cost with no value in any channel (no lead, or no win, in the cohort) has no bar to draw
    costs = [(c, w(k)) for c, k in (("cost_per_lead_90d", "cost_per_lead"), ("cost_per_win_90d", "cost_per_win"))
             if f[c].notna().any()]
    if costs:
        parts.append(ctx.chart("cost", charts.channel_bars(f, costs, channels=channels, currency=ctx.currency,
                                                           words=ctx.chart_words("channel")), w("cost_chart")))
    if len(costs) < 2:
        parts.append(para(w("no_cost", what=", ".join(w(k) for c, k in (("cost_per_lead_90d", "cost_per_lead"),
                                                                          ("cost_per_win_90d", "cost_per_win"))
                                                           if f[c].isna().all()))))
    money = lambda v: fmt_value(v, "money", ctx.currency)  # noqa: E731
    count = lambda v: fmt_value(v, "count", ctx.currency)  # noqa: E731
    parts.append(table(
        [w("channel"), *stages.values(), w("spend"), w("cost_per_lead"), w("cost_per_win")],
        [[r.channel, count(r.leads_90d), count(r.qualified_90d), count(r.converted_90d), count(r.won_90d),
          money(r.spend_90d), money(r.cost_per_lead_90d), money(r.cost_per_win_90d)] for r in f.itertuples()],
        "compact", numeric=range(1, 8)))
    return Section("funnel", w("funnel"), "".join(parts))


# --- Campaigns: keep or drop -----------------------------------------------------------------

CAMPAIGN_NUMBERS = ("leads_90d", "qualified_90d", "converted_90d", "won_90d", "cohort_won_amount", "spend_90d",
                    "cost_per_lead_90d", "cost_per_win_90d", "return_on_spend_90d")


def campaign_order(campaigns: pd.DataFrame, funnel: pd.DataFrame) -> pd.DataFrame:
    """campaign_daily at D beside its channel's cost per win (funnel_by_channel_daily), in the order
    the page lists them, with what it marks:

    - group 0: spent and won nothing (spend_90d > 0, won_90d = 0), largest spend first;
    - group 1: a cost per win to weigh against its channel's, by `relative` (cost_per_win_90d /
      the channel's cost_per_win_90d), dearest first;
    - group 2: the rest (no spend and no win, or a channel without a cost per win), most won, then
      most leads, first.

    Ties by channel and campaign. Adds channel_cost_per_win, relative, spent_won_nothing, above
    (relative > 1) and group."""
    c = campaigns.copy()
    for column in CAMPAIGN_NUMBERS:
        c[column] = pd.to_numeric(c[column], errors="coerce").astype("float64")
    per_channel = (funnel.set_index("channel")["cost_per_win_90d"] if not funnel.empty
                   else pd.Series(dtype="float64"))
    c["channel_cost_per_win"] = pd.to_numeric(c["channel"].map(per_channel), errors="coerce").astype("float64")
    c["relative"] = c["cost_per_win_90d"] / c["channel_cost_per_win"].where(c["channel_cost_per_win"] > 0)
    won, spend = c["won_90d"].fillna(0), c["spend_90d"].fillna(0)
    c["spent_won_nothing"] = (spend > 0) & (won == 0)
    c["above"] = (c["relative"] > 1).fillna(False).astype(bool)
    c["group"] = np.select([c["spent_won_nothing"], c["relative"].notna()], [0, 1], 2)
    c["_key"] = np.select([c["group"] == 0, c["group"] == 1], [spend, c["relative"]], won)
    c["_leads"] = c["leads_90d"].fillna(0)
    c = c.sort_values(["group", "_key", "_leads", "channel", "campaign"], ascending=[True, False, False, True, True],
                      kind="stable", ignore_index=True)
    return c.drop(columns=["_key", "_leads"])


def campaigns(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    parts = [para(w("campaigns_note", date=when(d.as_of), funnel=w("funnel")))]
    if d.campaigns.empty:
        return Section("campaigns", w("campaigns"), "".join(parts) + para(w("no_campaigns", date=when(d.as_of))))
    c = campaign_order(d.campaigns, d.funnel)
    parts.append(para(w("campaigns_reading")))
    c["channel_label"] = [value_label(CHANNELS, ch, ctx.lang) for ch in c["channel"]]
    c["label"] = [f"{ch} · {cp}" for ch, cp in zip(c["channel_label"], c["campaign"], strict=True)]
    marks = [w("spent_won_nothing"), w("above_channel"), w("other_campaign")]
    c["mark"] = np.select([c["spent_won_nothing"], c["above"]], marks[:2], marks[2])
    order = list(c["label"])
    spent = c[c["spend_90d"].fillna(0) > 0]
    if spent.empty:
        parts.append(para(w("no_campaign_spend")))
    else:
        parts.append(ctx.chart("campaign-spend", charts.campaign_spend(
            spent[["label", "channel_label", "campaign", "spend_90d", "leads_90d", "won_90d", "mark"]]
            .rename(columns={"channel_label": "channel"}), order=order, marks=marks,
            colours=[charts.BAD, charts.AMBER, charts.LINE], currency=ctx.currency,
            words=ctx.chart_words("spend", "mark", "channel", "campaign", "leads", "won")), w("campaign_spend_chart")))
    weighed = c[c["relative"].notna() & (c["cost_per_win_90d"] > 0)]
    if weighed.empty:
        parts.append(para(w("no_campaign_wins")))
    else:
        parts.append(ctx.chart("campaign-cost", charts.campaign_cost(
            weighed[["label", "channel_label", "campaign", "cost_per_win_90d", "channel_cost_per_win", "relative",
                     "above"]].rename(columns={"channel_label": "channel"}), order=order, currency=ctx.currency,
            words=ctx.chart_words("cost_per_win", "channel_cost_per_win", "vs_channel", "channel", "campaign")),
            w("campaign_cost_chart")))
    money = lambda v: fmt_value(v, "money", ctx.currency)  # noqa: E731
    count = lambda v: fmt_value(v, "count", ctx.currency)  # noqa: E731

    def row(r) -> list[object]:
        mark = ""
        if r.spent_won_nothing:
            mark = f'<span class="badge bad">{esc(w("spent_won_nothing"))}</span>'
        elif r.above:
            mark = f'<span class="badge amber">{esc(w("above_channel"))}</span>'
        return [r.channel_label, r.campaign, count(r.leads_90d), count(r.won_90d), money(r.spend_90d),
                money(r.cost_per_win_90d), money(r.channel_cost_per_win), fmt_times(r.relative),
                fmt_times(r.return_on_spend_90d), Raw(mark)]

    def row_class(r) -> str:
        return "red" if r.spent_won_nothing else "amber" if r.above else ""

    headers = [w("channel"), w("campaign"), w("leads"), w("won"), w("spend"), w("cost_per_win"),
               w("channel_cost_per_win"), w("vs_channel"), w("return_on_spend"), w("mark")]
    numeric = range(2, 9)
    weighed_rows, rest = c[c["group"] < 2], c[c["group"] == 2]
    if not weighed_rows.empty:
        parts.append(table(headers, [row(r) for r in weighed_rows.itertuples()], "campaigns",
                           [row_class(r) for r in weighed_rows.itertuples()], numeric=numeric))
    if not rest.empty:
        parts.append(f"<details><summary>{esc(w('campaigns_other', n=len(rest)))}</summary>"
                     + table(headers, [row(r) for r in rest.itertuples()], "campaigns", numeric=numeric)
                     + "</details>")
    return Section("campaigns", w("campaigns"), "".join(parts))


# --- Customer voice ---------------------------------------------------------------------------

VOICE_METRICS = ("feedback_responses_90d", "nps_90d", "team_score_avg_90d")


def customer_responses_180d(portfolio: pd.DataFrame, as_of: dt.date) -> float:
    """Customer responses in the 180 days to `as_of`: those of the 90 days to D and to D − 90 (W90(D)
    and W90(D − 90) are W180(D)); the first alone when D − 90 is not published."""
    by_date = portfolio.set_index("as_of_date")["feedback_responses_90d"] if "feedback_responses_90d" in portfolio \
        else pd.Series(dtype="float64")
    return float(sum(by_date.get(pd.Timestamp(day), 0) or 0 for day in (as_of, as_of - dt.timedelta(days=90))
                     if not missing(by_date.get(pd.Timestamp(day)))))


def negative_nps_projects(projects: pd.DataFrame) -> pd.DataFrame:
    """The projects of project_daily at D with a negative nps_180d: lowest NPS first, then the most
    responses (the surer), then by project id."""
    if projects.empty or "nps_180d" not in projects:
        return projects.iloc[0:0]
    nps = pd.to_numeric(projects["nps_180d"], errors="coerce")
    negative = projects[nps < 0].assign(nps_180d=nps[nps < 0])
    return negative.sort_values(["nps_180d", "feedback_responses_180d", "project_id"], ascending=[True, False, True],
                                kind="stable", ignore_index=True)


def customer_voice(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    parts = [para(w("voice_note"))]
    changes = d.changes.set_index("metric") if not d.changes.empty else pd.DataFrame()
    latest = d.portfolio[d.portfolio["as_of_date"] == pd.Timestamp(d.as_of)].iloc[0]
    rows, classes = [], []
    for name in VOICE_METRICS:
        if name not in d.portfolio.columns:
            continue
        m = review_metric(name)
        if name in changes.index:
            value, before, change = (changes.loc[name, k] for k in ("value", "value_7d_ago", "change"))
        else:
            value, before, change = latest[name], None, None
        t = tone(m.direction, change)
        rows.append([m.label(ctx.lang), fmt_value(value, m.unit, ctx.currency), fmt_value(before, m.unit, ctx.currency),
                     Raw(f'<span class="{t}">{esc(fmt_change(change, m.unit, ctx.currency, ctx.lang))}</span>'),
                     unit_label(m, ctx.lang, ctx.currency)])
        classes.append(t)
    if rows:
        parts.append(table([w("metric"), w("value"), w("week_ago_value"), w("change"), w("unit")], rows, "headline",
                           classes, numeric=(1, 2, 3)))
    with_responses = (d.projects[pd.to_numeric(d.projects["feedback_responses_180d"], errors="coerce") > 0]
                      if not d.projects.empty and "feedback_responses_180d" in d.projects else d.projects.iloc[0:0])
    if customer_responses_180d(d.portfolio, d.as_of) == 0 and with_responses.empty:
        return Section("voice", w("voice"), "".join(parts) + para(w("no_voice")))
    if "nps_90d" in d.portfolio.columns:
        trend = pd.DataFrame({"date": d.portfolio["as_of_date"],
                              "value": pd.to_numeric(d.portfolio["nps_90d"], errors="coerce").astype("float64"),
                              "responses": d.portfolio.get("feedback_responses_90d")}).dropna(subset=["value"])
    else:
        trend = pd.DataFrame(columns=["date", "value", "responses"])
    daily = trend[trend["date"] > pd.Timestamp(d.as_of - dt.timedelta(days=DAILY_DAYS))]
    monthly = trend[trend["date"].isin(pd.to_datetime(month_ends(d.as_of)))]
    title = f"{review_metric('nps_90d').label(ctx.lang)} ({unit_label(review_metric('nps_90d'), ctx.lang, ctx.currency)})"
    words = ctx.chart_words("responses")
    if not daily.empty:
        parts.append(ctx.chart("nps-daily", charts.nps_trend(daily, title=title, date_format="%m-%d", words=words),
                               w("nps_daily_chart")))
    if not monthly.empty:
        parts.append(ctx.chart("nps-monthly", charts.nps_trend(monthly, title=title, date_format="%Y-%m",
                                                               words=words), w("nps_monthly_chart")))
    if daily.empty and monthly.empty:
        parts.append(para(w("no_nps_trend")))
    parts.append(f"<h3>{esc(w('negative_projects', date=when(d.as_of)))}</h3>")
    negative = negative_nps_projects(d.projects)
    if with_responses.empty:
        parts.append(para(w("no_project_responses")))
    elif negative.empty:
        parts.append(para(w("no_negative_projects", n=len(with_responses)), "calm"))
    else:
        parts.append(table([w("project"), w("account"), w("responses_180d"), w("nps_180d")], [
            [r.project_id, r.account_id if not missing(r.account_id) else "–",
             fmt_value(r.feedback_responses_180d, "count", ctx.currency), fmt_value(r.nps_180d, "nps", ctx.currency)]
            for r in negative.itertuples()], "compact", numeric=(2, 3)))
    return Section("voice", w("voice"), "".join(parts))


# --- Delivery ---------------------------------------------------------------------------------

HEALTH_RANK = {"red": 0, "amber": 1, "green": 2}


def delivery(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    active = d.projects[d.projects["state"] == "active"].copy() if not d.projects.empty else d.projects
    if active.empty:
        return Section("delivery", w("delivery"), para(w("no_data")))
    colour = {h: v[ctx.lang] for h, v in HEALTH.items()}
    before = (d.projects_week_ago[d.projects_week_ago["state"] == "active"].set_index("project_id")["health"]
              if not d.projects_week_ago.empty else None)
    active["rank"] = active["health"].map(HEALTH_RANK).fillna(3)
    active = active.sort_values(["rank", "schedule_slip_days", "cost_variance"], ascending=[True, False, False],
                                kind="stable")
    parts = [para(w("delivery_note", date=when(d.as_of), week_ago=when(d.week_ago)))]
    if before is None:
        parts.append(para(w("no_week_ago", date=when(d.week_ago))))
    periods = [w("week_ago"), w("now")]
    counts = []
    for period, frame in ((periods[0], d.projects_week_ago), (periods[1], d.projects)):
        if frame.empty:
            continue
        c = frame[frame["state"] == "active"]["health"].value_counts()
        counts += [{"period": period, "health": colour[h], "projects": int(c.get(h, 0)), "rank": HEALTH_RANK[h]}
                   for h in HEALTH]
    parts.append(ctx.chart("health", charts.health_chart(pd.DataFrame(counts), periods=periods,
                                                         colours=list(colour.values()),
                                                         words=ctx.chart_words("projects", "health")),
                           w("health_chart")))
    burn = active.assign(burn=active["budget_burn"].astype("float64") * 100,
                         health=active["health"].map(colour).fillna("–"))
    burn = burn[["project_id", "account_id", "health", "burn", "cost_variance", "schedule_slip_days",
                 "milestones_overdue"]].dropna(subset=["burn", "schedule_slip_days"])
    if not burn.empty:  # projects without a budget have no burn to plot
        parts.append(ctx.chart("burn", charts.burn_chart(
            burn, colours=list(colour.values()), currency=ctx.currency,
            words=ctx.chart_words("budget_burn", "slip", "health", "project", "account", "cost_variance", "overdue")),
            w("burn_chart")))

    def row(r) -> list[object]:
        was = None if before is None else before.get(r.project_id)
        changed = before is not None and (was is None or was != r.health)
        marker = ""
        if changed:
            text = w("new_project") if was is None or missing(was) else w("was", colour=colour.get(was, was))
            marker = f' <span class="changed">◆ {esc(text)}</span>'
        chip = f'<span class="chip {esc(r.health)}"></span>{esc(colour.get(r.health, r.health))}'
        return [Raw(esc(r.project_id) + marker), r.account_id if not missing(r.account_id) else "–", Raw(chip),
                fmt_value(r.budget_burn, "ratio", ctx.currency), fmt_value(r.cost_variance, "money", ctx.currency),
                fmt_value(r.schedule_slip_days, "count", ctx.currency),
                fmt_value(r.milestones_overdue, "count", ctx.currency)]

    headers = [w("project"), w("account"), w("health"), w("budget_burn"), w("cost_variance"), w("slip"), w("overdue")]
    urgent = active[active["health"].isin(["red", "amber"])]
    green = active[~active["health"].isin(["red", "amber"])]
    parts.append(table(headers, [row(r) for r in urgent.itertuples()], "projects",
                       [str(h) for h in urgent["health"]], numeric=(3, 4, 5, 6)))
    if not green.empty:
        parts.append(f"<details><summary>{esc(w('green_projects', n=len(green)))}</summary>"
                     + table(headers, [row(r) for r in green.itertuples()], "projects",
                             [str(h) for h in green["health"]], numeric=(3, 4, 5, 6)) + "</details>")
    return Section("delivery", w("delivery"), "".join(parts))


# --- Effort -----------------------------------------------------------------------------------

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


# --- Data quality -----------------------------------------------------------------------------

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


# --- Restated figures -------------------------------------------------------------------------

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


# --- the page's sections, in order ------------------------------------------------------------

SectionBuilder = Callable[[Context], Section]

SECTIONS: list[SectionBuilder] = [
    what_changed,
    headline,
    funnel,
    campaigns,
    customer_voice,
    delivery,
    effort,
    data_quality,
    restated,
]
