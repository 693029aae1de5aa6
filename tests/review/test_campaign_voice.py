"""The review pack's "Campaigns: keep or drop" (both cohorts, against the channel) and "Customer
voice" sections on small hand-built tables whose order and marks are worked out by hand, and on a
warehouse with no campaign and no feedback file (a short text, never an empty chart)."""
from __future__ import annotations

import datetime as dt
import json
import logging
import re

import numpy as np
import pandas as pd
import pytest
from builders import dataset

from opsmetrics.summary import campaign_lines
from review.pages import D, assert_valid, drawn_marks, frame, rows_of
from schemas.config import Settings
from schemas.tables import CAMPAIGN_DAILY, FUNNEL_BY_CHANNEL_DAILY, PORTFOLIO_DAILY, PROJECT_DAILY, PROJECT_DIRECTORY
from tasks import pipeline
from tasks.review import build_pack
from tasks.review.data import ReviewData, read_review_data
from tasks.review.sections import Context
from tasks.review.sections.campaigns import campaigns, judge_campaigns
from tasks.review.sections.voice import customer_responses_180d, customer_voice, project_nps
from tasks.review.text import Words


def campaign(channel: str, name: str, leads: int, opportunities: int, spend: float, leads_prior: int, won_prior: int,
             spend_prior: float, won_amount_prior: float = 0.0) -> dict:
    """A campaign_daily row of both cohorts, its ratios as the mart computes them (null over 0)."""
    return {"channel": channel, "campaign": name, "leads_90d": leads, "opportunities_90d": opportunities,
            "spend_90d": spend, "cost_per_opportunity_90d": spend / opportunities if opportunities else None,
            "leads_prior_90d": leads_prior, "won_prior_90d": won_prior, "spend_prior_90d": spend_prior,
            "won_amount_prior_90d": won_amount_prior,
            "cost_per_win_prior_90d": spend_prior / won_prior if won_prior else None,
            "return_on_spend_prior_90d": won_amount_prior / spend_prior if spend_prior else None}


def channel(name: str, spend: float, opportunities: int, spend_prior: float, won_prior: int) -> dict:
    return {"channel": name, "spend_90d": spend, "opportunities_90d": opportunities,
            "cost_per_opportunity_90d": spend / opportunities if opportunities else None,
            "spend_prior_90d": spend_prior, "won_prior_90d": won_prior,
            "cost_per_win_prior_90d": spend_prior / won_prior if won_prior else None}


CAMPAIGNS = [
    # matured leads and spend, no win: spent, won nothing
    campaign("paid_ads", "A", 4, 2, 1000.0, 5, 0, 2000.0),
    # 3600 / 2 = 1800 a matured win against its channel's 1650 (below): 1.0909… × ; 750 an opportunity
    campaign("paid_ads", "B", 8, 4, 3000.0, 6, 2, 3600.0, 9000.0),
    # 1000 / 2 = 500 a win: 500 / 1650 = 0.30303… × ; 600 / 3 = 200 an opportunity
    campaign("paid_ads", "C", 6, 3, 600.0, 4, 2, 1000.0, 1500.0),
    # young: spent 2500 with no lead 90 days old yet. Not a failure: too young to judge on wins
    campaign("paid_ads", "Y", 5, 1, 2500.0, 0, 0, 0.0),
    # the largest matured spend that won nothing
    campaign("event", "E", 2, 0, 500.0, 3, 0, 4000.0),
    # 2000 a win: 2000 / 6000 = 0.3333… × its channel's
    campaign("event", "F", 3, 2, 1000.0, 3, 1, 2000.0, 12000.0),
    # matured leads that cost nothing
    campaign("content", "N", 4, 1, 0.0, 2, 1, 0.0),
    # spend without a lead in either cohort: overhead (tooling)
    campaign("content", "T", 0, 0, 800.0, 0, 0, 700.0),
    # what names no campaign: unattributed, never judged (it would otherwise be "spent, won nothing")
    campaign("content", "unknown", 7, 2, 300.0, 5, 0, 400.0),
]
# the channels over all their campaigns: paid ads spent 1000 + 3000 + 600 + 2500 = 7100 for 2 + 4 + 3 + 1 = 10
# opportunities (710 each) and 2000 + 3600 + 1000 + 0 = 6600 on matured leads for 0 + 2 + 2 + 0 = 4 wins (1650
# each); events 500 + 1000 = 1500 for 2 (750) and 6000 for 1 win (6000); content 0 + 800 + 300 = 1100 for
# 1 + 0 + 2 = 3 (366.67) and 0 + 700 + 400 = 1100 for 1 win (1100)
FUNNEL = [channel("paid_ads", 7100.0, 10, 6600.0, 4), channel("event", 1500.0, 2, 6000.0, 1),
          channel("content", 1100.0, 3, 1100.0, 1)]
# judged: spent-won-nothing by matured spend (E 4000, A 2000); above the channel (B); within it, dearest
# first (F 0.333 > C 0.303); too young (Y); no matured spend (N); then overhead (T); then unattributed
EXPECTED_ORDER = ["E", "A", "B", "F", "C", "Y", "N", "T", "unknown"]


def review_data(*, campaigns_: list[dict] = CAMPAIGNS, funnel: list[dict] = FUNNEL, projects: list[dict] = (),
                directory: list[dict] = (), portfolio: pd.DataFrame | None = None) -> ReviewData:
    if portfolio is None:
        days = pd.date_range(D - dt.timedelta(days=400), D)
        portfolio = pd.DataFrame({c.name: np.nan for c in PORTFOLIO_DAILY.columns}, index=range(len(days)))
        portfolio["as_of_date"] = days
        portfolio["feedback_responses_90d"] = 12.0
        # -10 on D - 400 rising 0.1 a day to +30 on D
        portfolio["nps_90d"] = np.linspace(-10, 30, len(days))
        portfolio["team_score_avg_90d"] = 7.5
    empty = pd.DataFrame()
    return ReviewData(as_of=D, portfolio=portfolio, changes=empty, signals=empty, signal_history=empty,
                      funnel=frame(FUNNEL_BY_CHANNEL_DAILY, list(funnel)),
                      campaigns=frame(CAMPAIGN_DAILY, list(campaigns_)), projects=frame(PROJECT_DAILY, list(projects)),
                      projects_week_ago=empty, effort=empty, latest_run=None, week_ago_run=None, quarantine=empty,
                      restatements=empty, directory=pd.DataFrame(list(directory), columns=PROJECT_DIRECTORY.names))


# --- Campaigns: keep or drop -----------------------------------------------------------------

def test_campaigns_are_judged_on_both_cohorts_against_their_channel():
    data = review_data()
    c = judge_campaigns(data.campaigns, data.funnel)
    assert list(c["campaign"]) == EXPECTED_ORDER
    by = c.set_index("campaign")
    assert dict(by["kind"]) == {**{k: "judged" for k in "EABFCYN"}, "T": "overhead", "unknown": "unknown"}
    assert list(by["late"][list("EABFCYN")]) == ["spent_won_nothing", "spent_won_nothing", "above_channel",
                                                 "within_channel", "within_channel", "too_young", "no_spend"]
    assert by["late"][["T", "unknown"]].isna().all()  # overhead and unattributed are not judged
    # late: 1800 / 1650, 500 / 1650, 2000 / 6000; early: 750 / 710, 200 / 710, 2500 / 710, 500 / 750
    assert by.loc["B", "late_relative"] == pytest.approx(1800 / 1650)
    assert by.loc["C", "late_relative"] == pytest.approx(500 / 1650)
    assert by.loc["F", "late_relative"] == pytest.approx(1 / 3)
    assert by.loc["B", "early_relative"] == pytest.approx(750 / 710)
    assert by.loc["C", "early_relative"] == pytest.approx(200 / 710)
    assert by.loc["Y", "early_relative"] == pytest.approx(2500 / 710)
    assert by.loc["F", "early_relative"] == pytest.approx(500 / 750)
    assert np.isnan(by.loc["E", "early_relative"])  # no opportunity: no cost per opportunity


def test_a_young_campaign_is_never_a_failure():
    """Spend and leads, no win, but no lead is 90 days old: too young to judge, whatever it spent."""
    young = [campaign("paid_ads", "Y", 50, 0, 90000.0, 0, 0, 0.0)]
    c = judge_campaigns(frame(CAMPAIGN_DAILY, young), frame(FUNNEL_BY_CHANNEL_DAILY, FUNNEL))
    assert c["late"].tolist() == ["too_young"]
    section = campaigns(Context(review_data(campaigns_=young), Words("en"), "USD"))
    assert "spent, won nothing</span>" not in section.html and "too young to judge on wins" in section.html


def test_the_campaigns_section_marks_rows_and_charts_both_costs_against_the_channel():
    ctx = Context(review_data(), Words("en"), "USD")
    section = campaigns(ctx)
    assert section.title == "Campaigns: keep or drop"
    judged, free, overhead, unattributed = (rows_of(t) for t in re.findall(r"<table.*?</table>", section.html, re.S))
    assert [r[0] for r in judged] == ["Events · E", "Paid ads · A", "Paid ads · B", "Events · F",
                                      "Paid ads · C", "Paid ads · Y"]
    # N spent nothing in either cohort: it costs nothing to keep, folded away
    assert [r[0] for r in free] == ["Content · N"] and free[0][-1] == ""
    assert "1 campaigns with leads and no spend in either cohort: they cost nothing to keep" in section.html
    # B: 8 leads, 4 opportunities at 750 (1.06 × 710); 6 matured leads, 2 won, 3600 spent, 1800 a win
    # (1.09 × 1650), 9000 / 3600 = 2.50 back per unit spent
    assert judged[2] == ["Paid ads · B", "8", "4", "USD 750", "1.06×", "6", "2", "USD 3,600", "USD 1,800", "1.09×",
                         "2.50×", "cost per win above its channel's"]
    assert judged[0][-1] == judged[1][-1] == "spent, won nothing"
    assert judged[0][1:] == ["2", "0", "–", "–", "3", "0", "USD 4,000", "–", "–", "0.00×", "spent, won nothing"]
    assert judged[5] == ["Paid ads · Y", "5", "1", "USD 2,500", "3.52×", "0", "0", "USD 0", "–", "–", "–",
                         "too young to judge on wins"]
    assert judged[3][-1] == judged[4][-1] == ""
    assert overhead == [["Content", "T", "USD 800", "USD 700"]]
    assert unattributed == [["Content", "7", "2", "USD 300", "5", "0", "USD 400"]]
    assert 'data-campaign="Y" data-late="too_young"' in section.html
    assert "The table marks; it does not decide." in section.html
    assert set(ctx.charts) == {"chart-campaign-opportunity", "chart-campaign-win"}
    opportunity, win = ctx.charts["chart-campaign-opportunity"], ctx.charts["chart-campaign-win"]
    # a bar for each judged campaign with a cost (E has no opportunity, N spent nothing), in the table's order
    assert [r["campaign"] for r in opportunity["data"]["values"]] == ["A", "B", "F", "C", "Y"]
    assert [r["above"] for r in opportunity["data"]["values"]] == [False, True, False, False, True]
    assert [r["campaign"] for r in win["data"]["values"]] == ["B", "F", "C"]
    assert [r["channel_cost"] for r in win["data"]["values"]] == [1650.0, 6000.0, 1650.0]
    for spec, bars in ((opportunity, 5), (win, 3)):
        assert_valid(spec)
        # drawn offline as the page draws them: a bar per campaign, and a tick for each one's channel
        assert (drawn_marks(spec)["bar"], drawn_marks(spec)["tick"]) == (bars, bars)


def test_campaigns_in_chinese():
    ctx = Context(review_data(), Words("zh"), "USD")
    section = campaigns(ctx)
    assert section.title == "运营活动：保留还是放弃"
    judged = rows_of(re.findall(r"<table.*?</table>", section.html, re.S)[0])
    assert judged[0][0] == "活动 · E" and judged[0][-1] == "有投入、无赢单" and judged[2][-1] == "单笔赢单成本高于所在渠道"
    assert judged[5][-1] == "太新，无法按赢单判断"
    assert "本表只做标记，不做决定。" in section.html


def test_no_campaign_is_a_sentence_and_no_cost_draws_no_chart():
    ctx = Context(review_data(campaigns_=[]), Words("en"), "USD")
    section = campaigns(ctx)
    assert "No campaign has a lead created or spend dated in the 180 days to 2026-03-31." in section.html
    assert ctx.charts == {} and "<table" not in section.html
    # young campaigns with spend and opportunities: the cost per opportunity is charted, no cost per win
    ctx = Context(review_data(campaigns_=[campaign("paid_ads", "Y", 5, 1, 2500.0, 0, 0, 0.0)]), Words("en"), "USD")
    section = campaigns(ctx)
    assert list(ctx.charts) == ["chart-campaign-opportunity"]
    assert "No campaign&#x27;s matured cohort has both spend and a win" in section.html


def test_the_demo_names_best_and_worst_among_matured_campaigns_only():
    lines = campaign_lines(frame(CAMPAIGN_DAILY, CAMPAIGNS), frame(FUNNEL_BY_CHANNEL_DAILY, FUNNEL))
    # matured cohorts with spend and a win: C 500, B 1800, F 2000 a win; unknown and Y are never named
    assert lines[1].startswith("  best   paid_ads / C: 500 per win")
    assert lines[2].startswith("  worst  event / F: 2,000 per win")
    assert lines[3] == "  spent on matured leads without a win: 2 campaigns, the largest event / E (4,000)"
    assert "unknown" not in "\n".join(lines) and "/ Y" not in "\n".join(lines)


# --- Customer voice --------------------------------------------------------------------------

PROJECTS = [
    {"project_id": "P1", "account_id": "A1", "state": "active", "feedback_responses_180d": 2, "nps_180d": -50.0},
    {"project_id": "P2", "account_id": "A2", "state": "delivered", "feedback_responses_180d": 1, "nps_180d": -100.0},
    {"project_id": "P3", "account_id": "A3", "state": "active", "feedback_responses_180d": 4, "nps_180d": -50.0},
    {"project_id": "P4", "account_id": "A4", "state": "active", "feedback_responses_180d": 5, "nps_180d": 20.0},
    {"project_id": "P5", "account_id": "A5", "state": "active", "feedback_responses_180d": 0, "nps_180d": None},
    {"project_id": "P6", "account_id": None, "state": "cancelled", "feedback_responses_180d": 3, "nps_180d": 0.0},
    {"project_id": "P7", "account_id": "A7", "state": "active", "feedback_responses_180d": 6, "nps_180d": -33.3},
    {"project_id": "P8", "account_id": "A8", "state": "active", "feedback_responses_180d": 5, "nps_180d": -60.0},
]
DIRECTORY = [{"project_id": "P8", "name": "Beacon rollout", "account_id": "A8", "account_name": "Acme"}]


def test_a_project_nps_is_judged_only_over_enough_answers():
    judged, few = project_nps(frame(PROJECT_DAILY, PROJECTS), 5)
    # at least 5 answers and negative: P8 (-60) before P7 (-33.3); P4 (5, +20) is not negative
    assert list(judged["project_id"]) == ["P8", "P7"]
    # 1 to 4 answers, most first: P3 (4), P6 (3), P1 (2), P2 (1); P5 has none
    assert list(few["project_id"]) == ["P3", "P6", "P1", "P2"]
    # a looser setting judges more: -60 (P8), then the two at -50, the one with more answers (P3, 4) before
    # P1 (2), then -33.3 (P7); only P2 (1 answer) is too few
    judged, few = project_nps(frame(PROJECT_DAILY, PROJECTS), 2)
    assert list(judged["project_id"]) == ["P8", "P3", "P1", "P7"] and list(few["project_id"]) == ["P2"]


def test_the_voice_section_lists_judged_projects_with_names_and_folds_the_rest():
    ctx = Context(review_data(projects=PROJECTS, directory=DIRECTORY), Words("en"), "USD")
    section = customer_voice(ctx)
    assert section.title == "Customer voice"
    tables = [rows_of(t) for t in re.findall(r"<table.*?</table>", section.html, re.S)]
    # the figures of D (no review_changes here: the value alone, nothing coloured)
    assert [r[:2] for r in tables[0]] == [["Customer responses (7 d)", "–"], ["Customer responses (90 d)", "12"],
                                          ["Customer NPS (90 d)", "+30.0"], ["Team score (90 d)", "7.50"]]
    assert tables[1] == [["Beacon rollout P8", "Acme A8", "5", "-60.0"], ["P7", "A7", "6", "-33.3"]]
    assert tables[2] == [["P3", "A3", "4"], ["P6", "–", "3"], ["P1", "A1", "2"], ["P2", "A2", "1"]]
    assert "over at least 5 answers" in section.html
    assert "4 projects with too few answers to judge (fewer than 5 in 180 days)" in section.html
    # the NPS as a 6-12 chart on an axis that fits it (not from 0): -10 on D - 400, + 0.1 a day
    assert list(ctx.charts) == ["chart-voice-nps"]
    spec = ctx.charts["chart-voice-nps"]
    assert_valid(spec)
    weeks, months = spec["concat"][0]["hconcat"]
    assert weeks["layer"][0]["encoding"]["y"]["scale"] == {"zero": False}
    this_year = [v["value"] for v in weeks["data"]["values"] if v["period"] == "This year"]
    # D - 35 … D: 30 - 0.7 x 5 … 30
    assert this_year == pytest.approx([26.5, 27.2, 27.9, 28.6, 29.3, 30.0])
    # a year before, D - 364 - 35 … D - 364: index 400 - 399 = 1 … 36, -9.9 … -6.4
    before = [v["value"] for v in weeks["data"]["values"] if v["period"] == "A year before"]
    assert before == pytest.approx([-9.9, -9.2, -8.5, -7.8, -7.1, -6.4])
    assert len([v for v in months["data"]["values"] if v["period"] == "This year"]) == 12


def test_min_responses_comes_from_the_settings():
    ctx = Context(review_data(projects=PROJECTS), Words("en"), "USD", min_responses=2)
    section = customer_voice(ctx)
    assert "over at least 2 answers" in section.html
    assert "1 projects with too few answers to judge (fewer than 2 in 180 days)" in section.html


def test_no_negative_project_is_said_calmly_in_both_languages():
    fine = [p for p in PROJECTS if p["project_id"] in ("P4", "P5", "P6")]
    section = customer_voice(Context(review_data(projects=fine), Words("en"), "USD"))
    # with responses: P4 (5) and P6 (3); P6 has too few, so 1 with enough
    assert "No project with at least 5 answers has a negative NPS over the last 180 days (1 with that many)." \
        in section.html
    section = customer_voice(Context(review_data(projects=fine), Words("zh"), "USD"))
    assert section.title == "客户之声" and "回复不少于 5 条的项目中没有 NPS 为负的（共 1 个）。" in section.html


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
    # responses 100 days ago: in the 180 days (those of the 90 days to D − 90), so not silent
    portfolio.loc[portfolio["as_of_date"] == pd.Timestamp(D - dt.timedelta(days=90)), "feedback_responses_90d"] = 3.0
    assert customer_responses_180d(portfolio, D) == 3.0
    portfolio.loc[portfolio["as_of_date"] == pd.Timestamp(D - dt.timedelta(days=90)), "nps_90d"] = -33.3
    ctx = Context(review_data(portfolio=portfolio, projects=silent), Words("en"), "USD")
    section = customer_voice(ctx)
    assert "No customer responses in the last 180 days." not in section.html
    assert "No customer response of the last 180 days names a project." in section.html
    # D − 90 is 2025-12-31, a month-end: the months have their one point; no weekly value to draw
    months = ctx.charts["chart-voice-nps"]["concat"][0]["hconcat"]
    assert len(months) == 1 and [(v["date"], v["value"]) for v in months[0]["data"]["values"]] == [
        ("2025-12-31", -33.3)]
    assert drawn_marks(ctx.charts["chart-voice-nps"])["point"] == 1
    # an NPS on a date neither a month-end nor a weekly date: no value in either half
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
