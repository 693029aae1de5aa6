"""The charts of a project's page (tasks/review/project/), as Vega-Lite specifications in the style of
tasks/review/charts.py (whose helpers they use): each takes a tidy frame whose labels are already in
the page's language and returns a finished spec with its data inline. A caller draws one only over
data: the page says "no data" in words rather than show an empty chart."""
from __future__ import annotations

import pandas as pd

from tasks.review.charts import AMBER, BAD, GOOD, LINE, NEUTRAL, PLAN, records, spec, tip

WIDTH = 640
HEALTH_NONE = "#d0d7de"  # a date without a health: the project was not active


def _date_x(title: str | None = None, field: str = "date") -> dict:
    return {"field": field, "type": "temporal", "title": title,
            "axis": {"format": "%Y-%m-%d", "labelAngle": 0, "tickCount": 6, "labelOverlap": True}}


def burn_and_elapsed(lines: pd.DataFrame, strip: pd.DataFrame, *, series: list[str], drawn: list[str],
                     health: list[str], words: dict[str, str]) -> dict:
    """Budget burn and schedule elapsed (%) at every published date (lines: date, series, value;
    `series`: the burn's label, then the elapsed share's; `drawn`: those with values), under a strip
    of the health of each date (strip: date, until, health, a label of `health`: red, amber, green,
    then none). Dashed: 90% (above it a burn is amber) and 100% (above it the project is over
    budget: red)."""
    colours = dict(zip(series, [BAD, LINE], strict=True))
    top = max(100.0, float(lines["value"].max()) if lines["value"].notna().any() else 100.0)
    x = _date_x()
    band = {"mark": {"type": "rect"}, "height": 16, "width": WIDTH, "data": {"values": records(strip)},
            "encoding": {"x": {**x, "axis": None}, "x2": {"field": "until"},
                         "color": {"field": "health", "type": "nominal", "title": words["health"], "sort": health,
                                   "scale": {"domain": health, "range": [BAD, AMBER, "#2da44e", HEALTH_NONE]},
                                   "legend": {"orient": "top", "direction": "horizontal"}},
                         "tooltip": [tip("date", "temporal", words["date"], "%Y-%m-%d"),
                                     tip("health", "nominal", words["health"])]}}
    refs = [{"value": 90, "what": words["amber_burn"]}, {"value": 100, "what": words["budget"]}]
    chart = {"width": WIDTH, "height": 220, "layer": [
        {"data": {"values": refs}, "mark": {"type": "rule", "color": NEUTRAL, "strokeDash": [4, 3]},
         "encoding": {"y": {"field": "value", "type": "quantitative"},
                      "tooltip": [tip("what", "nominal", " "), tip("value", "quantitative", "%", ".0f")]}},
        {"data": {"values": records(lines)}, "mark": {"type": "line", "strokeWidth": 2, "interpolate": "linear"},
         "encoding": {"x": x, "y": {"field": "value", "type": "quantitative", "title": "%",
                                    "scale": {"domain": [0, top], "nice": True}},
                      "color": {"field": "series", "type": "nominal", "title": None, "sort": drawn,
                                "scale": {"domain": drawn, "range": [colours[s] for s in drawn]},
                                "legend": {"orient": "top"}},
                      "tooltip": [tip("date", "temporal", words["date"], "%Y-%m-%d"), tip("series", "nominal", " "),
                                  tip("value", "quantitative", "%", ".1f")]}},
    ]}
    return spec({"vconcat": [band, chart], "spacing": 4, "resolve": {"scale": {"color": "independent"}}})


def weekly_stack(frame: pd.DataFrame, field: str, *, by: str, order: list[str], title: str, fmt: str,
                 words: dict[str, str]) -> dict:
    """Weekly bars of `field` stacked by `by` in `order`, a bar per week from its Monday to its Sunday
    (frame: week_start, week_end, by, field). The stack is laid out here (each part from `lo` to `hi`):
    Vega-Lite does not stack a bar that spans x to x2."""
    f = frame.assign(_rank=frame[by].map({v: i for i, v in enumerate(order)}).fillna(len(order)))
    f = f.sort_values(["week_start", "_rank"], kind="stable")
    f["hi"] = f.groupby("week_start")[field].cumsum()
    f["lo"] = f["hi"] - f[field]
    return spec({
        "data": {"values": records(f[["week_start", "week_end", by, field, "lo", "hi"]])}, "width": WIDTH,
        "height": 180, "mark": {"type": "bar"},
        "encoding": {
            "x": _date_x(field="week_start"), "x2": {"field": "week_end"},
            "y": {"field": "hi", "type": "quantitative", "title": title, "axis": {"format": "~s"}},
            "y2": {"field": "lo"},
            "color": {"field": by, "type": "nominal", "title": words[by], "sort": order,
                      "scale": {"domain": order, "scheme": "tableau10"}},
            "tooltip": [tip("week_start", "temporal", words["week"], "%Y-%m-%d"), tip(by, "nominal", words[by]),
                        tip(field, "quantitative", title, fmt)]}})


def users_and_seats(frame: pd.DataFrame, *, series: list[str], words: dict[str, str]) -> dict:
    """Active users and live seats at every published date (frame: date, series, value, utilisation %
    as `utilisation`): the two as lines above, the seat utilisation below."""
    x = _date_x()
    counts = frame.dropna(subset=["value"])
    share = frame[frame["series"] == series[0]].dropna(subset=["utilisation"])
    panels = [{"width": WIDTH, "height": 150, "data": {"values": records(counts[["date", "series", "value"]])},
               "mark": {"type": "line", "strokeWidth": 2, "interpolate": "step-after"},
               "encoding": {"x": {**x, "axis": {**x["axis"], "labels": share.empty}},
                            "y": {"field": "value", "type": "quantitative", "title": words["users"]},
                            "color": {"field": "series", "type": "nominal", "title": None, "sort": series,
                                      "scale": {"domain": series, "range": [LINE, NEUTRAL]},
                                      "legend": {"orient": "top"}},
                            "tooltip": [tip("date", "temporal", words["date"], "%Y-%m-%d"),
                                        tip("series", "nominal", " "), tip("value", "quantitative", words["value"],
                                                                           ",.0f")]}}]
    if not share.empty:
        panels.append({"width": WIDTH, "height": 90, "data": {"values": records(share[["date", "utilisation"]])},
                       "mark": {"type": "line", "strokeWidth": 2, "color": GOOD, "interpolate": "step-after"},
                       "encoding": {"x": x, "y": {"field": "utilisation", "type": "quantitative",
                                                  "title": f"{words['utilisation']} (%)"},
                                    "tooltip": [tip("date", "temporal", words["date"], "%Y-%m-%d"),
                                                tip("utilisation", "quantitative", f"{words['utilisation']} (%)",
                                                    ".1f")]}})
    return spec({"vconcat": panels, "spacing": 6} if len(panels) > 1 else panels[0])


def scores(frame: pd.DataFrame, *, kinds: list[str], words: dict[str, str]) -> dict:
    """Every response's score by its date (frame: date, score, kind, a label of `kinds`: promoter,
    passive, detractor; respondent, comment), with the bands of the three kinds behind."""
    # the bands in light tints of the kinds' colours, by value (no scale, no legend of their own)
    bands = [{"from": 8.5, "to": 10, "fill": "#e6f4ea"}, {"from": 6.5, "to": 8.5, "fill": "#fbf3dc"},
             {"from": 0, "to": 6.5, "fill": "#fdecea"}]
    colour = {"field": "kind", "type": "nominal", "title": None, "sort": kinds,
              "scale": {"domain": kinds, "range": [GOOD, PLAN, BAD]}, "legend": {"orient": "top"}}
    return spec({"width": WIDTH, "height": 150, "layer": [
        {"data": {"values": bands}, "mark": {"type": "rect"},
         "encoding": {"y": {"field": "from", "type": "quantitative"}, "y2": {"field": "to"},
                      "color": {"field": "fill", "type": "nominal", "scale": None}}},
        {"data": {"values": records(frame[["date", "score", "kind", "respondent", "comment"]])},
         "mark": {"type": "point", "filled": True, "size": 70, "opacity": 0.9},
         "encoding": {"x": _date_x(), "y": {"field": "score", "type": "quantitative", "title": words["score"],
                                            "scale": {"domain": [0, 10]}},
                      "color": colour,
                      "tooltip": [tip("date", "temporal", words["date"], "%Y-%m-%d"),
                                  tip("respondent", "nominal", words["respondent"]), tip("score", "quantitative",
                                                                                         words["score"]),
                                  tip("comment", "nominal", words["comment"])]}},
    ]})
