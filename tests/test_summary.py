"""The demo's text: the best and the worst campaign by the cost per win of its matured leads (by the
rules of the pack's "Campaigns" section), and the customer NPS, from the latest as-of date of the
warehouse (or from tables passed in)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from builders import valid_dataset

from opsmetrics.summary import campaign_lines, demo_summary, nps_lines
from tasks.marts.build import build_marts
from tasks.report import RunResult
from tasks.warehouse.publish import publish_marts

D = dt.date(2026, 4, 10)


def campaign(channel: str, name: str, leads_prior: int, won_prior: int, spend_prior: float, day: dt.date = D,
             leads: int = 5) -> dict:
    """A campaign_daily row judged on its matured cohort (leads 90 to 179 days old)."""
    return {"as_of_date": day, "channel": channel, "campaign": name, "leads_90d": leads, "spend_90d": 0.0,
            "leads_prior_90d": leads_prior, "won_prior_90d": won_prior, "spend_prior_90d": spend_prior,
            "cost_per_win_prior_90d": spend_prior / won_prior if won_prior else None}


def test_best_and_worst_by_the_matured_cohorts_cost_per_win():
    frame = pd.DataFrame([
        campaign("paid_ads", "Brand Search", 40, 4, 2000.0),  # 500 per win
        campaign("event", "Trade show", 10, 1, 9000.0),  # 9,000 per win
        campaign("content", "Webinar series", 20, 2, 3000.0),  # 1,500 per win
        campaign("website", "Free trial", 50, 5, 0.0),  # no spend: 0 per win, not a contender
        campaign("website", "unknown", 80, 2, 100.0),  # 50 per win, but unattributed: never named
        campaign("paid_ads", "Spring", 0, 0, 0.0, leads=30),  # young, whatever it spent: not judged on wins
        campaign("other", "Sponsorship", 0, 0, 700.0, leads=0),  # spend without leads: overhead
        campaign("outbound", "Intent data", 5, 0, 1200.0),  # matured leads, spend, no win: the largest such
        campaign("outbound", "Cold mail", 5, 0, 400.0),  # and another
        campaign("paid_ads", "Old", 3, 3, 3.0, day=D - dt.timedelta(days=1)),  # an earlier date: ignored
    ])
    lines = campaign_lines(frame)
    assert lines[0] == "Campaigns by cost per win of their matured leads (created 90 to 179 days before 2026-04-10):"
    assert lines[1] == "  best   paid_ads / Brand Search: 500 per win (4 won of 40 matured leads, spend 2,000)"
    assert lines[2] == "  worst  event / Trade show: 9,000 per win (1 won of 10 matured leads, spend 9,000)"
    assert lines[3] == "  spent on matured leads without a win: 2 campaigns, the largest outbound / Intent data (1,200)"


def test_no_campaign_and_no_response():
    assert campaign_lines(pd.DataFrame()) == ["Campaigns: none with leads or spend in the last 180 days."]
    only_free = pd.DataFrame([campaign("website", "Free trial", 5, 1, 0.0)])
    assert campaign_lines(only_free)[1:] == ["  none has matured leads with both spend and a win"]
    none = pd.DataFrame({"as_of_date": [D], "feedback_responses_90d": [0], "nps_90d": [None]})
    assert nps_lines(none) == ["Customer NPS (90 days): – over 0 responses"]


def test_demo_summary_reads_the_latest_date_from_the_warehouse(wh, tmp_path):
    # leads and spend of 2025-12-01: in P90 of 04-10 (2025-10-13 … 2026-01-11), the matured cohort
    valid = valid_dataset(
        leads=[{"lead_id": "a", "campaign": "Brand Search", "channel": "paid_ads", "created_at": "2025-12-01T00:00:00Z"},
               {"lead_id": "b", "campaign": "Trade show", "channel": "event", "created_at": "2025-12-01T00:00:00Z"}],
        deals=[{"lead_id": "a", "stage": "won", "closed_at": "2026-03-10T00:00:00Z"},
               {"lead_id": "b", "stage": "won", "closed_at": "2026-03-10T00:00:00Z"}],
        marketing_spend=[{"channel": "paid_ads", "campaign": "Brand Search", "spend_date": "2025-12-01", "amount": "300"},
                         {"channel": "event", "campaign": "Trade show", "spend_date": "2025-12-01", "amount": "9000"}],
        feedback=[{"score": "10", "submitted_at": "2026-04-01T00:00:00Z"},
                  {"score": "9", "submitted_at": "2026-04-01T00:00:00Z"},
                  {"score": "3", "submitted_at": "2026-04-01T00:00:00Z"}],
    )
    start = D - dt.timedelta(days=2)
    publish_marts(wh, build_marts(valid, "UTC", start, D), start, D)
    result = RunResult("r1", "nightly_refresh", D, D, status="completed", headline={"customers_total": 1},
                       counts={"leads": {"read": 2, "quarantined": 0}})
    text = demo_summary(result, tmp_path / "w.db")
    assert "  best   paid_ads / Brand Search: 300 per win (1 won of 1 matured leads, spend 300)" in text
    assert "  worst  event / Trade show: 9,000 per win (1 won of 1 matured leads, spend 9,000)" in text
    # 100 x (2 promoters - 1 detractor) / 3 responses = 33.3
    assert "Customer NPS (90 days): +33.3 over 3 responses" in text
    assert "campaign_daily" in text  # among the tables listed
    # passed in rather than read: a warehouse file is not needed
    passed = demo_summary(result, tmp_path / "none.db", campaigns=pd.DataFrame(),
                          portfolio=pd.DataFrame({"as_of_date": [D], "feedback_responses_90d": [1], "nps_90d": [100.0]}))
    assert "Campaigns: none with leads or spend" in passed and "Customer NPS (90 days): +100.0 over 1 response" in passed
