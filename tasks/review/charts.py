"""The pack's charts as Vega-Lite specifications, written as plain JSON-able dicts (Vega-Lite's
own format: https://vega.github.io/vega-lite/docs/). Each function takes a tidy frame whose labels
are already in the page's language and returns a finished spec with its data inline; the page
draws them with the inlined vega-embed. tests/review/ validates every spec of a pack against the
Vega-Lite schema that Altair ships, so a typo fails a test, not the meeting.

(Altair builds the same specs, but validates on every call: 13 s for the pack's small multiples.)

Values are shown in the unit of schemas/review.py, ratios as percentages (× 100)."""
from __future__ import annotations

import math

import pandas as pd

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier: nothing is fetched
GOOD, BAD, NEUTRAL, LINE = "#1a7f37", "#cf222e", "#6e7781", "#0969da"
AMBER = "#d4a72c"
HEALTH_COLOURS = ["#cf222e", "#d4a72c", "#2da44e"]  # red, amber, green
# the font is the page's, per language (tasks/review/page.py passes it to vega-embed)
CONFIG = {"view": {"stroke": None}, "axis": {"labelFontSize": 11, "titleFontSize": 11,
                                                           "gridColor": "#eaeef2"},
          "title": {"fontSize": 13, "anchor": "start"}, "legend": {"labelFontSize": 11, "titleFontSize": 11}}

# d3 formats, per unit of schemas/review.py (ratios are shown × 100)
AXIS_FORMAT = {"money": "~s", "count": "~s", "hours": "~s", "ratio": ".1~f", "days": ".1~f", "nps": "+.1~f",
               "score": ".2~f"}
TOOLTIP_FORMAT = {"money": ",.0f", "count": ",.0f", "hours": ",.1f", "ratio": ".1f", "days": ".1f", "nps": "+.1f",
                  "score": ".2f"}


def shown(values: pd.Series, unit: str) -> pd.Series:
    """Values in the unit the charts show: ratios as percentages."""
    return values.astype("float64") * (100 if unit == "ratio" else 1)


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows for a spec's inline data: dates as ISO text, NaN as null, numpy scalars as Python."""
    out = []
    for row in frame.to_dict("records"):
        rec = {}
        for k, v in row.items():
            if isinstance(v, pd.Timestamp):
                v = v.strftime("%Y-%m-%d")
            elif hasattr(v, "item"):
                v = v.item()
            if isinstance(v, float) and math.isnan(v):
                v = None
            rec[k] = v
        out.append(rec)
    return out


def spec(body: dict) -> dict:
    """A top-level spec: the schema's identifier and the page's look."""
    return {"$schema": SCHEMA, **body, "config": CONFIG}


def tip(field: str, kind: str, title: str, fmt: str | None = None) -> dict:
    t = {"field": field, "type": kind, "title": title}
    if fmt:
        t["format"] = fmt
    return t


def xmr_chart(weekly: pd.DataFrame, *, title: str, unit: str, centre: float, lower: float, upper: float,
              colour: str, words: dict[str, str], plan: pd.DataFrame | None = None) -> dict:
    """A signal's weekly values (date, value) with its centre, limits (dashed) and midways (dotted),
    as review_signals holds them; the latest point in `colour` (good, bad or neutral); with `plan`
    (date, value), the target of each week's month, dashed in the plan's colour."""
    scale = 100 if unit == "ratio" else 1
    data = weekly.assign(value=shown(weekly["value"], unit))
    x = {"field": "date", "type": "temporal", "title": None, "axis": {"format": "%m-%d", "labelAngle": 0, "tickCount": 6}}
    y = {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False},
         "axis": {"format": AXIS_FORMAT[unit]}}
    tooltip = [tip("date", "temporal", words["date"], "%Y-%m-%d"),
               tip("value", "quantitative", words["value"], TOOLTIP_FORMAT[unit])]
    half = (upper - centre) / 2  # the midways: centre ± 1.33 × mR, half-way to the limits
    bounds = [{"value": v * scale, "kind": kind, "dash": dash} for v, kind, dash in (
        (lower, words["limits"], "limit"), (centre - half, words["midway"], "midway"), (centre, words["centre"], "centre"),
        (centre + half, words["midway"], "midway"), (upper, words["limits"], "limit"))]
    dashes = {"limit": [5, 3], "midway": [1, 3], "centre": [1, 0]}
    return spec({
        "title": title, "width": 300, "height": 130,
        "layer": [
            {"data": {"values": bounds}, "mark": {"type": "rule", "color": NEUTRAL},
             "encoding": {"y": {"field": "value", "type": "quantitative"},
                          "strokeDash": {"field": "dash", "type": "nominal", "legend": None,
                                         "scale": {"domain": list(dashes), "range": list(dashes.values())}},
                          "tooltip": [tip("kind", "nominal", " "),
                                      tip("value", "quantitative", words["value"], TOOLTIP_FORMAT[unit])]}},
            {"data": {"values": records(data)},
             "mark": {"type": "line", "color": LINE, "point": {"color": LINE, "size": 30}},
             "encoding": {"x": x, "y": y, "tooltip": tooltip}},
            {"data": {"values": records(data.tail(1))},
             "mark": {"type": "point", "filled": True, "size": 110, "color": colour, "opacity": 1},
             "encoding": {"x": x, "y": y, "tooltip": tooltip}},
            *([{"data": {"values": records(plan.assign(value=shown(plan["value"], unit)))},
                "mark": {"type": "line", "color": PLAN, "strokeDash": [5, 3], "interpolate": "step-after"},
                "encoding": {"x": x, "y": y, "tooltip": [tip("date", "temporal", words["date"], "%Y-%m-%d"),
                                                         tip("value", "quantitative", words["plan"],
                                                             TOOLTIP_FORMAT[unit])]}}]
              if plan is not None and plan["value"].notna().any() else []),
        ]})


YEAR_BEFORE = "#b6bec7"  # the same week or month a year before: drawn lighter
PLAN = "#bf8700"  # the target: dashed


def six_twelve(frame: pd.DataFrame, panels: list[tuple[str, str, str, str, str]], *, periods: list[str],
               columns: int = 3, words: dict[str, str]) -> dict:
    """The weekly business review's 6-12 charts, one panel per metric: its weeks beside its months.
    `frame` has metric, part (weeks or months), period (this year, a year before and, with a plan,
    the plan: `periods`), x (where the point is drawn: this year's date), date (the value's own
    date) and value (shown units); `panels` lists (metric, title, unit, weeks title, months title)
    in order. The plan is dashed."""
    colour = {"field": "period", "type": "nominal", "title": None, "sort": periods,
              "scale": {"domain": periods, "range": [LINE, YEAR_BEFORE, PLAN][:len(periods)]},
              "legend": {"orient": "top"}}
    # the same field, title and legend as the colour: Vega-Lite merges them into one legend, the plan
    # drawn dashed in it (a legend of its own would conflict)
    dash = {"field": "period", "type": "nominal", "title": None, "sort": periods, "legend": {"orient": "top"},
            "scale": {"domain": periods, "range": [[1, 0], [1, 0], [5, 3]][:len(periods)]}}
    out = []
    for metric, title, unit, weeks_title, months_title in panels:
        halves = []
        for part, part_title, date_format in (("weeks", weeks_title, "%m-%d"), ("months", months_title, "%b")):
            data = frame[(frame["metric"] == metric) & (frame["part"] == part)]
            if data.empty:
                continue
            # a tick at each week or month-end drawn, not at the dates the scale finds round
            ticks = [{"year": d.year, "month": d.month, "date": d.day} for d in sorted(set(data["x"]))]
            encoding = {
                "x": {"field": "x", "type": "temporal", "title": None,
                      "axis": {"format": date_format, "labelAngle": 0, "values": ticks, "labelFontSize": 9,
                               "labelOverlap": "parity", "grid": False}},
                "y": {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False},
                      "axis": {"format": AXIS_FORMAT[unit], "tickCount": 4, "labelFontSize": 9}},
                "color": colour,
                "tooltip": [tip("period", "nominal", " "), tip("date", "temporal", words["date"], "%Y-%m-%d"),
                            tip("value", "quantitative", words["value"], TOOLTIP_FORMAT[unit])]}
            halves.append({"title": {"text": part_title, "fontSize": 10, "fontWeight": "normal"},
                           "width": 110 if part == "weeks" else 150, "height": 70,
                           "data": {"values": records(data[["period", "x", "date", "value"]])},
                           "layer": [{"mark": {"type": "line", "strokeWidth": 1.5},
                                      "encoding": {**encoding, "strokeDash": dash}},
                                     {"mark": {"type": "point", "filled": True, "size": 18}, "encoding": encoding}]})
        if halves:
            out.append({"title": {"text": title, "fontSize": 11}, "hconcat": halves, "spacing": 6})
    return spec({"concat": out, "columns": columns, "spacing": 22})


def funnel_chart(funnel: pd.DataFrame, *, stages: list[str], channels: list[str], words: dict[str, str]) -> dict:
    """One small funnel per channel: `funnel` has channel, stage (labels), count, share (of leads)."""
    y = {"field": "stage", "type": "nominal", "sort": stages, "title": None}
    x = {"field": "count", "type": "quantitative", "title": None, "axis": {"format": "~s", "tickCount": 3}}
    return spec({
        "data": {"values": records(funnel)},
        "facet": {"field": "channel", "type": "nominal", "sort": channels, "title": None,
                  "header": {"labelFontSize": 12}},
        "columns": 4,
        "spec": {"width": 170, "height": 90, "layer": [
            {"mark": {"type": "bar", "color": LINE},
             "encoding": {"y": y, "x": x,
                          "opacity": {"field": "stage", "type": "nominal", "sort": stages, "legend": None,
                                      "scale": {"range": [1, 0.8, 0.6, 0.45]}},
                          "tooltip": [tip("channel", "nominal", words["channel"]),
                                      tip("stage", "nominal", words["stage"]),
                                      tip("count", "quantitative", words["leads"], ",.0f"),
                                      tip("share", "quantitative", "%", ".1%")]}},
            {"mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 10, "color": "#24292f"},
             "encoding": {"y": y, "x": {"field": "count", "type": "quantitative"},
                          "text": {"field": "count", "type": "quantitative", "format": ",.0f"}}},
        ]},
        "resolve": {"scale": {"x": "independent"}},
    })


def channel_bars(frame: pd.DataFrame, fields: list[tuple[str, str]], *, channels: list[str], currency: str,
                 words: dict[str, str]) -> dict:
    """Horizontal bars per channel, one panel per (field, title) of `frame` (channel, fields…)."""
    data = records(frame[["channel", *(f for f, _ in fields)]])
    panels = [{"width": 300, "height": 190, "mark": {"type": "bar", "color": LINE}, "encoding": {
        "y": {"field": "channel", "type": "nominal", "sort": channels, "title": None},
        "x": {"field": field, "type": "quantitative", "title": f"{title} ({currency})", "axis": {"format": "~s"}},
        "tooltip": [tip("channel", "nominal", words["channel"]),
                    tip(field, "quantitative", f"{title} ({currency})", ",.0f")]}} for field, title in fields]
    body = {"hconcat": panels, "spacing": 40} if len(panels) > 1 else panels[0]
    return spec({"data": {"values": data}, **body})


def _health_colour(colours: list[str], title: str) -> dict:
    return {"field": "health", "type": "nominal", "title": title, "sort": colours,
            "scale": {"domain": colours, "range": HEALTH_COLOURS}}


def health_chart(counts: pd.DataFrame, *, periods: list[str], colours: list[str], words: dict[str, str]) -> dict:
    """Stacked bars of projects per health (counts: period, health, projects, rank), in health order."""
    return spec({
        "data": {"values": records(counts)}, "width": 520, "height": 80, "mark": "bar",
        "encoding": {
            "y": {"field": "period", "type": "nominal", "sort": periods, "title": None},
            "x": {"field": "projects", "type": "quantitative", "title": words["projects"], "stack": "zero"},
            "color": _health_colour(colours, words["health"]),
            "order": {"field": "rank", "type": "quantitative"},
            "tooltip": [tip("period", "nominal", " "), tip("health", "nominal", words["health"]),
                        tip("projects", "quantitative", words["projects"])]}})


def burn_chart(projects: pd.DataFrame, *, colours: list[str], currency: str, words: dict[str, str]) -> dict:
    """Active projects: budget burn (%) against the share of the schedule passed (%), coloured by
    health, with the diagonal where the two are equal: above it a project spends faster than it
    goes (frame: project, health, burn, elapsed, cost_variance, schedule_slip_days, milestones_overdue)."""
    top = max(100.0, float(projects[["burn", "elapsed"]].max().max()))
    return spec({
        "width": 520, "height": 260,
        "layer": [
            {"data": {"values": [{"elapsed": 0, "burn": 0}, {"elapsed": 100, "burn": 100}]},
             "mark": {"type": "line", "color": NEUTRAL, "strokeDash": [4, 3]},
             "encoding": {"x": {"field": "elapsed", "type": "quantitative"},
                          "y": {"field": "burn", "type": "quantitative"}}},
            {"data": {"values": records(projects)}, "mark": {"type": "circle", "size": 45, "opacity": 0.75},
             "encoding": {
                 "x": {"field": "elapsed", "type": "quantitative", "title": f"{words['elapsed']} (%)",
                       "scale": {"domain": [0, 100]}},
                 "y": {"field": "burn", "type": "quantitative", "title": f"{words['budget_burn']} (%)",
                       "scale": {"domain": [0, top], "nice": True}},
                 "color": _health_colour(colours, words["health"]),
                 "tooltip": [tip("project", "nominal", words["project"]), tip("health", "nominal", words["health"]),
                             tip("burn", "quantitative", f"{words['budget_burn']} (%)", ".1f"),
                             tip("elapsed", "quantitative", f"{words['elapsed']} (%)", ".1f"),
                             tip("cost_variance", "quantitative", f"{words['cost_variance']} ({currency})", ",.0f"),
                             tip("schedule_slip_days", "quantitative", words["slip"]),
                             tip("milestones_overdue", "quantitative", words["overdue"])]}},
        ]})


def heatmap(frame: pd.DataFrame, field: str, *, title: str, roles: list[str], phases: list[str], fmt: str,
            scheme: str, words: dict[str, str]) -> dict:
    """Role × phase cells coloured by `field` (frame: role, phase, field), the value written in."""
    dark = float(frame[field].max() or 0) * 0.6  # cells darker than this get white text
    position = {"x": {"field": "phase", "type": "nominal", "sort": phases, "title": words["phase"],
                      "axis": {"labelAngle": 0}},
                "y": {"field": "role", "type": "nominal", "sort": roles, "title": words["role"]}}
    return spec({
        "data": {"values": records(frame[["role", "phase", field]])}, "width": 420, "height": 210,
        "layer": [
            {"mark": "rect", "encoding": {
                **position,
                "color": {"field": field, "type": "quantitative", "title": title, "scale": {"scheme": scheme},
                          "legend": {"format": "~s"}},
                "tooltip": [tip("role", "nominal", words["role"]), tip("phase", "nominal", words["phase"]),
                            tip(field, "quantitative", title, fmt)]}},
            {"mark": {"type": "text", "fontSize": 10}, "encoding": {
                **position,
                "text": {"field": field, "type": "quantitative", "format": ".3~s"},
                "color": {"condition": {"test": f"datum['{field}'] > {dark}", "value": "white"},
                          "value": "#24292f"}}},
        ]})


def quality_chart(frame: pd.DataFrame, *, entities: list[str], runs: list[str], words: dict[str, str]) -> dict:
    """Rows quarantined per entity, one bar per run (frame: entity, run, quarantined)."""
    return spec({
        "data": {"values": records(frame)}, "width": 520, "height": {"step": 22}, "mark": "bar",
        "encoding": {
            "y": {"field": "entity", "type": "nominal", "sort": entities, "title": None},
            "yOffset": {"field": "run", "type": "nominal", "sort": runs},
            "x": {"field": "quarantined", "type": "quantitative", "title": words["quarantined"]},
            "color": {"field": "run", "type": "nominal", "sort": runs, "title": None,
                      "scale": {"domain": runs, "range": [LINE, "#afb8c1"][:len(runs)]}},
            "tooltip": [tip("entity", "nominal", words["entity"]), tip("run", "nominal", " "),
                        tip("quarantined", "quantitative", words["quarantined"], ",.0f")]}})


def campaign_cost(frame: pd.DataFrame, *, order: list[str], currency: str, words: dict[str, str]) -> dict:
    """A cost per campaign (bars; amber above its channel's) with its channel's as a tick
    (frame: label, channel, campaign, cost, channel_cost, relative, above; words: cost, channel_cost)."""
    y = {"field": "label", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": 260}}
    title = f"{words['cost']} ({currency})"
    tooltip = [tip("channel", "nominal", words["channel"]), tip("campaign", "nominal", words["campaign"]),
               tip("cost", "quantitative", title, ",.0f"),
               tip("channel_cost", "quantitative", f"{words['channel_cost']} ({currency})", ",.0f"),
               tip("relative", "quantitative", words["vs_channel"], ".2f")]
    return spec({
        "data": {"values": records(frame)}, "width": 460, "height": {"step": 18},
        "layer": [
            {"mark": {"type": "bar"}, "encoding": {
                "y": y, "x": {"field": "cost", "type": "quantitative", "title": title, "axis": {"format": "~s"}},
                "color": {"condition": {"test": "datum.above", "value": AMBER}, "value": LINE},
                "tooltip": tooltip}},
            {"mark": {"type": "tick", "color": "#24292f", "thickness": 2}, "encoding": {
                "y": y, "x": {"field": "channel_cost", "type": "quantitative"}, "tooltip": tooltip}},
        ]})
