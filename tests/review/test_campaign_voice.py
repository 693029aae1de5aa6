"""The review pack's "Campaigns: keep or drop" and "Customer voice" sections on small hand-built
tables whose order and marks are worked out by hand, and on a warehouse with no campaign and no
feedback file (a short text, never an empty chart)."""
from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
from collections import Counter
from pathlib import Path

import altair
import jsonschema
import numpy as np
import pandas as pd
import pytest
import vl_convert
from builders import dataset

from schemas.config import Settings
from schemas.tables import CAMPAIGN_DAILY, FUNNEL_BY_CHANNEL_DAILY, PORTFOLIO_DAILY, PROJECT_DAILY
from tasks import pipeline
from tasks.review import build_pack
from tasks.review.data import ReviewData, read_review_data
from tasks.review.sections import (
    Context,
    campaign_order,
    campaigns,
    customer_responses_180d,
    customer_voice,
    negative_nps_projects,
)
from tasks.review.text import Words

D = dt.date(2026, 3, 31)
VEGA_LITE = json.loads((Path(altair.__file__).parent / "vegalite" / "v6" / "schema" / "vega-lite-schema.json")
                       .read_text(encoding="utf-8"))


def frame(table, records: list[dict]) -> pd.DataFrame:
    """Rows of a published table at D: every column, those not given null."""
    out = pd.DataFrame([{c: None for c in table.names} | {"as_of_date": pd.Timestamp(D)} | r for r in records],
                       columns=table.names)
    return out


def campaign(channel: str, name: str, leads: int, won: int, spend: float, won_amount: float = 0.0) -> dict:
    """A campaign_daily row with its ratios as the mart computes them (null over 0)."""
    return {"channel": channel, "campaign": name, "leads_90d": leads, "qualified_90d": leads, "converted_90d": won,
            "won_90d": won, "cohort_won_amount": won_amount, "spend_90d": spend,
            "cost_per_lead_90d": spend / leads if leads else None, "cost_per_win_90d": spend / won if won else None,
            "return_on_spend_90d": won_amount / spend if spend else None}


def channel(name: str, spend: float, won: int) -> dict:
    return {"channel": name, "leads_90d": 10, "qualified_90d": 5, "converted_90d": 3, "won_90d": won,
            "spend_90d": spend, "cost_per_lead_90d": spend / 10, "cost_per_win_90d": spend / won if won else None}


# paid ads spent 1000 + 3000 + 1000 + 0 for 0 + 2 + 2 + 0 wins: 5000 / 4 = 1250 a win; events 4000 + 2000
# for 1 win: 6000 a win; the website spent nothing for its win: a cost per win of 0, nothing to weigh
CAMPAIGNS = [
    campaign("paid_ads", "A", 4, 0, 1000.0),
    campaign("paid_ads", "B", 8, 2, 3000.0, 9000.0),  # 1500 a win: 1.2 × its channel's
    campaign("paid_ads", "C", 6, 2, 1000.0, 1500.0),  # 500: 0.4 ×
    campaign("paid_ads", "D", 5, 0, 0.0),  # leads, no spend, no win
    campaign("event", "E", 2, 0, 4000.0),  # the largest spend that won nothing
    campaign("event", "F", 3, 1, 2000.0, 12000.0),  # 2000 a win: 1/3 of its channel's 6000
    campaign("content", "A2", 4, 0, 1000.0),  # ties with paid_ads A: same spend, same leads, content first
    campaign("website", "G", 3, 1, 0.0, 800.0),
    campaign("website", "H", 10, 0, 0.0),
]
FUNNEL = [channel("paid_ads", 5000.0, 4), channel("event", 6000.0, 1), channel("content", 1000.0, 0),
          channel("website", 0.0, 1)]
# spent and won nothing (largest spend first, then most leads, then channel); then cost per win against the
# channel's, dearest first; then the rest: most won, then most leads
EXPECTED_ORDER = ["E", "A2", "A", "B", "C", "F", "G", "H", "D"]


def review_data(*, campaigns_: list[dict] = CAMPAIGNS, funnel: list[dict] = FUNNEL, projects: list[dict] = (),
                portfolio: pd.DataFrame | None = None) -> ReviewData:
    if portfolio is None:
        days = pd.date_range(D - dt.timedelta(days=400), D)
        portfolio = pd.DataFrame({c.name: np.nan for c in PORTFOLIO_DAILY.columns}, index=range(len(days)))
        portfolio["as_of_date"] = days
        portfolio["feedback_responses_90d"] = 12.0
        portfolio["nps_90d"] = np.linspace(-10, 30, len(days))
        portfolio["team_score_avg_90d"] = 7.5
    empty = pd.DataFrame()
    return ReviewData(as_of=D, portfolio=portfolio, changes=empty, funnel=frame(FUNNEL_BY_CHANNEL_DAILY, list(funnel)),
                      campaigns=frame(CAMPAIGN_DAILY, list(campaigns_)), projects=frame(PROJECT_DAILY, list(projects)),
                      projects_week_ago=empty, effort=empty, latest_run=None, week_ago_run=None, quarantine=empty,
                      restatements=empty)


def rows_of(section_html: str) -> list[list[str]]:
    """The text of each body row of the section's tables, in order."""
    out = []
    for body in re.findall(r"<tbody>(.*?)</tbody>", section_html, re.S):
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            out.append([html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in cells])
    return out


def assert_valid(spec: dict) -> None:
    errors = [f"{list(e.path)}: {e.message[:200]}" for e in jsonschema.Draft7Validator(VEGA_LITE).iter_errors(spec)]
    assert errors == []


def drawn_marks(spec: dict) -> Counter:
    """The mark items Vega draws of the spec, offline (vl-convert's SVG): how many of each kind
    (bar, tick, line, point, rule…); a mark layer without data draws only its empty container."""
    svg = vl_convert.vegalite_to_svg(spec, vl_version="v6_4")
    return Counter(k for k in re.findall(r'role="graphics-symbol" aria-roledescription="([^"]+)"', svg)
                   if not k.endswith("container"))


# --- Campaigns: keep or drop -----------------------------------------------------------------

def test_campaigns_that_spent_and_won_nothing_come_first_then_by_cost_per_win_against_the_channel():
    data = review_data()
    c = campaign_order(data.campaigns, data.funnel)
    assert list(c["campaign"]) == EXPECTED_ORDER
    by = c.set_index("campaign")
    assert list(by["group"][EXPECTED_ORDER]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert by.loc["B", "channel_cost_per_win"] == 1250.0 and by.loc["B", "relative"] == pytest.approx(1.2)
    assert by.loc["C", "relative"] == pytest.approx(0.4) and by.loc["F", "relative"] == pytest.approx(1 / 3)
    assert set(c.loc[c["spent_won_nothing"], "campaign"]) == {"E", "A2", "A"}
    assert set(c.loc[c["above"], "campaign"]) == {"B"}  # only B costs more a win than its channel
    assert np.isnan(by.loc["G", "relative"])  # a channel that spent nothing has no cost per win to compare


def test_the_campaigns_section_marks_rows_and_charts_spend_and_cost_per_win():
    ctx = Context(review_data(), Words("en"), "USD")
    section = campaigns(ctx)
    assert section.title == "Campaigns: keep or drop"
    rows = rows_of(section.html)
    assert [r[1] for r in rows] == EXPECTED_ORDER
    assert rows[0] == ["Events", "E", "2", "0", "USD 4,000", "–", "USD 6,000", "–", "0.00×", "spent, won nothing"]
    assert rows[3] == ["Paid ads", "B", "8", "2", "USD 3,000", "USD 1,500", "USD 1,250", "1.20×", "3.00×",
                       "cost per win above its channel's"]
    assert rows[4][-1] == "" and rows[5][7:] == ["0.33×", "6.00×", ""]
    assert "3 campaigns with nothing to weigh" in section.html  # G, H, D folded away
    assert "The table marks; it does not decide." in section.html
    assert set(ctx.charts) == {"chart-campaign-spend", "chart-campaign-cost"}
    spend, cost = ctx.charts["chart-campaign-spend"], ctx.charts["chart-campaign-cost"]
    # the bars of every campaign that spent something (not D, G, H), in the table's order
    assert [r["campaign"] for r in spend["data"]["values"]] == ["E", "A2", "A", "B", "C", "F"]
    assert [r["campaign"] for r in cost["data"]["values"]] == ["B", "C", "F"]
    assert [r["above"] for r in cost["data"]["values"]] == [True, False, False]
    assert_valid(spend)
    assert_valid(cost)
    # drawn offline as the page draws them: a bar per campaign, and a tick for each one's channel
    assert drawn_marks(spend)["bar"] == 6
    assert (drawn_marks(cost)["bar"], drawn_marks(cost)["tick"]) == (3, 3)


def test_campaigns_in_chinese():
    ctx = Context(review_data(), Words("zh"), "USD")
    section = campaigns(ctx)
    assert section.title == "运营活动：保留还是放弃"
    rows = rows_of(section.html)
    assert rows[0][0] == "活动" and rows[0][-1] == "有投入、无赢单" and rows[3][-1] == "单笔赢单成本高于所在渠道"
    assert "本表只做标记，不做决定。" in section.html


def test_no_campaign_is_a_sentence_and_no_win_draws_no_cost_chart():
    ctx = Context(review_data(campaigns_=[]), Words("en"), "USD")
    section = campaigns(ctx)
    assert "No campaign has a lead created or spend dated in the 90 days to 2026-03-31." in section.html
    assert ctx.charts == {} and "<table" not in section.html
    # campaigns that spent but won nothing: their spend is charted, the cost per win is not
    ctx = Context(review_data(campaigns_=[campaign("paid_ads", "A", 4, 0, 1000.0), campaign("website", "H", 3, 0, 0.0)],
                              funnel=[channel("paid_ads", 1000.0, 0)]), Words("en"), "USD")
    section = campaigns(ctx)
    assert list(ctx.charts) == ["chart-campaign-spend"]
    assert "No campaign&#x27;s cohort has a win" in section.html
    # leads alone: no spend and no win, nothing to chart
    ctx = Context(review_data(campaigns_=[campaign("website", "H", 3, 0, 0.0)]), Words("en"), "USD")
    section = campaigns(ctx)
    assert ctx.charts == {} and "No campaign spent anything in the 90 days" in section.html


# --- Customer voice --------------------------------------------------------------------------

PROJECTS = [
    {"project_id": "P1", "account_id": "A1", "state": "active", "feedback_responses_180d": 2, "nps_180d": -50.0},
    {"project_id": "P2", "account_id": "A2", "state": "delivered", "feedback_responses_180d": 1, "nps_180d": -100.0},
    {"project_id": "P3", "account_id": "A3", "state": "active", "feedback_responses_180d": 4, "nps_180d": -50.0},
    {"project_id": "P4", "account_id": "A4", "state": "active", "feedback_responses_180d": 5, "nps_180d": 20.0},
    {"project_id": "P5", "account_id": "A5", "state": "active", "feedback_responses_180d": 0, "nps_180d": None},
    {"project_id": "P6", "account_id": None, "state": "cancelled", "feedback_responses_180d": 3, "nps_180d": 0.0},
]


def test_projects_with_a_negative_nps_are_listed_worst_first():
    negative = negative_nps_projects(frame(PROJECT_DAILY, PROJECTS))
    # −100 first; the two at −50: the one with more responses (surer) first; 0, +20 and none are not negative
    assert list(negative["project_id"]) == ["P2", "P3", "P1"]
    ctx = Context(review_data(projects=PROJECTS), Words("en"), "USD")
    section = customer_voice(ctx)
    assert section.title == "Customer voice"
    rows = rows_of(section.html)
    assert rows[:3] == [["Customer responses (90 d)", "12", "–", "–", "count"],
                        ["Customer NPS (90 d)", "+30.0", "–", "–", "NPS points"],
                        ["Team score (90 d)", "7.50", "–", "–", "score 0–10"]]
    assert rows[3:] == [["P2", "A2", "1", "-100.0"], ["P3", "A3", "4", "-50.0"], ["P1", "A1", "2", "-50.0"]]
    assert "Projects with a negative NPS (180 d) at 2026-03-31, worst first" in section.html
    # the NPS trend: six weeks of daily values and twelve month-ends, each a drawn line
    assert list(ctx.charts) == ["chart-nps-daily", "chart-nps-monthly"]
    daily, monthly = (ctx.charts[k]["layer"][1]["data"]["values"] for k in ("chart-nps-daily", "chart-nps-monthly"))
    assert len(daily) == 42 and daily[-1]["date"] == "2026-03-31" and daily[-1]["responses"] == 12
    assert [v["date"] for v in monthly][:2] == ["2025-04-30", "2025-05-31"] and len(monthly) == 12
    for chart_id, points in (("chart-nps-daily", 42), ("chart-nps-monthly", 12)):
        assert_valid(ctx.charts[chart_id])
        marks = drawn_marks(ctx.charts[chart_id])
        assert (marks["point"], marks["line mark"], marks["rule mark"]) == (points, 1, 1)  # the rule at NPS 0


def test_no_negative_project_is_said_calmly_in_both_languages():
    fine = [p for p in PROJECTS if p["project_id"] in ("P4", "P5", "P6")]
    section = customer_voice(Context(review_data(projects=fine), Words("en"), "USD"))
    assert "No project has a negative NPS over the last 180 days (2 with responses)." in section.html
    section = customer_voice(Context(review_data(projects=fine), Words("zh"), "USD"))
    assert section.title == "客户之声" and "最近 180 天内没有 NPS 为负的项目（2 个项目有回复）。" in section.html


def test_no_customer_response_in_180_days_is_a_sentence_not_an_empty_chart():
    days = pd.date_range(D - dt.timedelta(days=400), D)
    portfolio = pd.DataFrame({c.name: np.nan for c in PORTFOLIO_DAILY.columns}, index=range(len(days)))
    portfolio["as_of_date"] = days
    portfolio["feedback_responses_90d"] = 0.0  # NPS and the team score stay null: nothing to average
    silent = [{"project_id": "P5", "account_id": "A5", "state": "active", "feedback_responses_180d": 0}]
    ctx = Context(review_data(portfolio=portfolio, projects=silent), Words("en"), "USD")
    section = customer_voice(ctx)
    assert "No customer responses in the last 180 days." in section.html
    assert ctx.charts == {} and "chart" not in section.html
    assert rows_of(section.html)[1] == ["Customer NPS (90 d)", "–", "–", "–", "NPS points"]
    # responses 100 days ago: in the 180 days (those of the 90 days to D − 90), so not silent
    portfolio.loc[portfolio["as_of_date"] == pd.Timestamp(D - dt.timedelta(days=90)), "feedback_responses_90d"] = 3.0
    assert customer_responses_180d(portfolio, D) == 3.0
    portfolio.loc[portfolio["as_of_date"] == pd.Timestamp(D - dt.timedelta(days=90)), "nps_90d"] = -33.3
    ctx = Context(review_data(portfolio=portfolio, projects=silent), Words("en"), "USD")
    section = customer_voice(ctx)
    assert "No customer responses in the last 180 days." not in section.html
    assert "No customer response of the last 180 days names a project." in section.html
    # D − 90 is 2025-12-31, a month-end: the monthly chart has its one point; no daily value to draw
    assert list(ctx.charts) == ["chart-nps-monthly"]
    assert ctx.charts["chart-nps-monthly"]["layer"][1]["data"]["values"] == [
        {"date": "2025-12-31", "value": -33.3, "responses": 3.0}]
    assert drawn_marks(ctx.charts["chart-nps-monthly"])["point"] == 1
    # an NPS on a date neither a month-end nor in the last six weeks: no value in either chart
    portfolio.loc[portfolio["as_of_date"] == pd.Timestamp(D - dt.timedelta(days=90)), "nps_90d"] = np.nan
    portfolio.loc[portfolio["as_of_date"] == pd.Timestamp(D - dt.timedelta(days=89)), "nps_90d"] = -33.3
    ctx = Context(review_data(portfolio=portfolio, projects=silent), Words("en"), "USD")
    section = customer_voice(ctx)
    assert "No customer response in the 90 days to any date charted: no NPS trend to draw." in section.html
    assert ctx.charts == {}


def test_a_warehouse_without_campaigns_or_feedback_makes_a_whole_pack(tmp_path):
    """No marketing spend, no lead and no feedback file: both sections say so, and every chart of the
    pack still has data (the browser test fails on a chart that draws no mark)."""
    drop = tmp_path / "drop"
    drop.mkdir()
    raw = dataset(deals=[{"deal_id": "D1", "stage": "won", "closed_at": "2026-03-20T00:00:00Z"}])
    for name, table in raw.items():
        if name != "feedback":  # feedback is optional: no file at all
            table.to_csv(drop / f"{name}.csv", index=False)
    settings = Settings(sources={"files": {"path": str(drop)}}, warehouse=f"sqlite:///{tmp_path / 'w.db'}",
                        reports_dir=str(tmp_path / "reports"))
    wh = pipeline.open_warehouse(settings)
    try:
        result = pipeline.backfill(settings, D - dt.timedelta(days=3), D, warehouse=wh,
                                   log=logging.getLogger("review-empty"), run_id="empty")
        assert result.status == "completed", result.message
        data = read_review_data(wh, D)
    finally:
        wh.dispose()
    assert data.campaigns.empty
    said = {"en": ("No campaign has a lead created or spend dated", "No customer responses in the last 180 days."),
            "zh": ("没有任何活动有新线索或投入", "最近 180 天内没有客户回复。")}
    for lang, expected in said.items():
        page, _ = build_pack(data, lang=lang, source="test")
        for text in expected:
            assert text in page
        specs = json.loads(re.search(r"const specs = (\{.*?\});\n", page, re.S).group(1).replace("<\\/", "</"))
        assert not [k for k in specs if "campaign" in k or "nps" in k]
        for chart_id, spec in specs.items():
            assert '"values":[{' in json.dumps(spec, separators=(",", ":")), f"{chart_id} has no data"
