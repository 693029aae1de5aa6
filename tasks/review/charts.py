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


def xmr_chart(weekly: pd.DataFrame, *, title: str, unit: str, mean: float, lower: float, upper: float,
              colour: str, words: dict[str, str]) -> dict:
    """The 13 weekly values (date, value) with the mean and the natural process limits; the
    latest point in `colour` (good, bad or neutral)."""
    scale = 100 if unit == "ratio" else 1
    data = weekly.assign(value=shown(weekly["value"], unit))
    x = {"field": "date", "type": "temporal", "title": None, "axis": {"format": "%m-%d", "labelAngle": 0, "tickCount": 6}}
    y = {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False},
         "axis": {"format": AXIS_FORMAT[unit]}}
    tooltip = [tip("date", "temporal", words["date"], "%Y-%m-%d"),
               tip("value", "quantitative", words["value"], TOOLTIP_FORMAT[unit])]
    bounds = [{"value": lower * scale, "kind": words["limits"], "dash": 1},
              {"value": mean * scale, "kind": words["mean"], "dash": 0},
              {"value": upper * scale, "kind": words["limits"], "dash": 1}]
    return spec({
        "title": title, "width": 300, "height": 130,
        "layer": [
            {"data": {"values": bounds}, "mark": {"type": "rule", "color": NEUTRAL},
             "encoding": {"y": {"field": "value", "type": "quantitative"},
                          "strokeDash": {"condition": {"test": "datum.dash == 1", "value": [4, 3]}, "value": [1, 0]},
                          "tooltip": [tip("kind", "nominal", " "),
                                      tip("value", "quantitative", words["value"], TOOLTIP_FORMAT[unit])]}},
            {"data": {"values": records(data)},
             "mark": {"type": "line", "color": LINE, "point": {"color": LINE, "size": 30}},
             "encoding": {"x": x, "y": y, "tooltip": tooltip}},
            {"data": {"values": records(data.tail(1))},
             "mark": {"type": "point", "filled": True, "size": 110, "color": colour, "opacity": 1},
             "encoding": {"x": x, "y": y, "tooltip": tooltip}},
        ]})


def trend_grid(frame: pd.DataFrame, panels: list[tuple[str, str, str]], *, date_format: str, columns: int = 5,
               words: dict[str, str]) -> dict:
    """Small multiples, one per metric: `frame` has metric, date, value (shown units);
    `panels` lists (metric, title, unit) in the order to draw them; a metric with no value is left out."""
    charts = []
    for metric, title, unit in panels:
        data = frame[frame["metric"] == metric][["date", "value"]].dropna()
        if data.empty:
            continue
        x = {"field": "date", "type": "temporal", "title": None,
             "axis": {"format": date_format, "labelAngle": 0, "tickCount": 4, "labelFontSize": 9}}
        y = {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False},
             "axis": {"format": AXIS_FORMAT[unit], "tickCount": 4, "labelFontSize": 9}}
        encoding = {"x": x, "y": y, "tooltip": [tip("date", "temporal", words["date"], "%Y-%m-%d"),
                                                 tip("value", "quantitative", words["value"], TOOLTIP_FORMAT[unit])]}
        charts.append({"title": {"text": title, "fontSize": 11}, "width": 165, "height": 70,
                       "data": {"values": records(data)},
                       "layer": [{"mark": {"type": "line", "color": LINE, "strokeWidth": 1.5}, "encoding": encoding},
                                 {"mark": {"type": "point", "color": LINE, "filled": True, "size": 14},
                                  "encoding": encoding}]})
    return spec({"concat": charts, "columns": columns, "spacing": 18})


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
    """Active projects: budget burn (%) against schedule slip (days), coloured by health."""
    return spec({
        "data": {"values": records(projects)}, "width": 520, "height": 230,
        "mark": {"type": "circle", "size": 45, "opacity": 0.75},
        "encoding": {
            "x": {"field": "burn", "type": "quantitative", "title": f"{words['budget_burn']} (%)"},
            "y": {"field": "schedule_slip_days", "type": "quantitative", "title": words["slip"]},
            "color": _health_colour(colours, words["health"]),
            "tooltip": [tip("project_id", "nominal", words["project"]), tip("account_id", "nominal", words["account"]),
                        tip("health", "nominal", words["health"]),
                        tip("burn", "quantitative", f"{words['budget_burn']} (%)", ".1f"),
                        tip("cost_variance", "quantitative", f"{words['cost_variance']} ({currency})", ",.0f"),
                        tip("schedule_slip_days", "quantitative", words["slip"]),
                        tip("milestones_overdue", "quantitative", words["overdue"])]}})


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


def campaign_spend(frame: pd.DataFrame, *, order: list[str], marks: list[str], colours: list[str], currency: str,
                   words: dict[str, str]) -> dict:
    """Horizontal bars of spend per campaign (frame: label, channel, campaign, spend_90d, leads_90d,
    won_90d, mark), coloured by its mark (`marks`, in `colours`), in `order`."""
    return spec({
        "data": {"values": records(frame)}, "width": 460, "height": {"step": 16},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": 260}},
            "x": {"field": "spend_90d", "type": "quantitative", "title": f"{words['spend']} ({currency})",
                  "axis": {"format": "~s"}},
            "color": {"field": "mark", "type": "nominal", "title": words["mark"], "sort": marks,
                      "scale": {"domain": marks, "range": colours}, "legend": {"orient": "bottom"}},
            "tooltip": [tip("channel", "nominal", words["channel"]), tip("campaign", "nominal", words["campaign"]),
                        tip("spend_90d", "quantitative", f"{words['spend']} ({currency})", ",.0f"),
                        tip("leads_90d", "quantitative", words["leads"], ",.0f"),
                        tip("won_90d", "quantitative", words["won"], ",.0f"),
                        tip("mark", "nominal", words["mark"])]}})


def campaign_cost(frame: pd.DataFrame, *, order: list[str], currency: str, words: dict[str, str]) -> dict:
    """Cost per win per campaign (bars; amber above its channel's) with its channel's as a tick
    (frame: label, channel, campaign, cost_per_win_90d, channel_cost_per_win, relative, above)."""
    y = {"field": "label", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": 260}}
    title = f"{words['cost_per_win']} ({currency})"
    tooltip = [tip("channel", "nominal", words["channel"]), tip("campaign", "nominal", words["campaign"]),
               tip("cost_per_win_90d", "quantitative", title, ",.0f"),
               tip("channel_cost_per_win", "quantitative", f"{words['channel_cost_per_win']} ({currency})", ",.0f"),
               tip("relative", "quantitative", words["vs_channel"], ".2f")]
    return spec({
        "data": {"values": records(frame)}, "width": 460, "height": {"step": 18},
        "layer": [
            {"mark": {"type": "bar"}, "encoding": {
                "y": y, "x": {"field": "cost_per_win_90d", "type": "quantitative", "title": title,
                              "axis": {"format": "~s"}},
                "color": {"condition": {"test": "datum.above", "value": AMBER}, "value": LINE},
                "tooltip": tooltip}},
            {"mark": {"type": "tick", "color": "#24292f", "thickness": 2}, "encoding": {
                "y": y, "x": {"field": "channel_cost_per_win", "type": "quantitative"}, "tooltip": tooltip}},
        ]})


def nps_trend(frame: pd.DataFrame, *, title: str, date_format: str, words: dict[str, str]) -> dict:
    """Customer NPS over time (frame: date, value, responses) with a rule at 0."""
    x = {"field": "date", "type": "temporal", "title": None,
         "axis": {"format": date_format, "labelAngle": 0, "tickCount": 6}}
    y = {"field": "value", "type": "quantitative", "title": None, "axis": {"format": AXIS_FORMAT["nps"]}}
    encoding = {"x": x, "y": y, "tooltip": [tip("date", "temporal", words["date"], "%Y-%m-%d"),
                                            tip("value", "quantitative", "NPS", TOOLTIP_FORMAT["nps"]),
                                            tip("responses", "quantitative", words["responses"], ",.0f")]}
    return spec({
        "title": title, "width": 520, "height": 150,
        "layer": [
            {"data": {"values": [{"zero": 0}]}, "mark": {"type": "rule", "color": NEUTRAL, "strokeDash": [4, 3]},
             "encoding": {"y": {"field": "zero", "type": "quantitative"}}},
            {"data": {"values": records(frame)}, "mark": {"type": "line", "color": LINE,
                                                          "point": {"color": LINE, "size": 30}},
             "encoding": encoding},
        ]})
