"""funnel_by_channel_daily against ../shared/spec/METRICS.md: every expected value is worked out by
hand from the definitions (not from the implementation), with the arithmetic in a comment. The
datasets are typed valid rows; one test goes through staging, end to end.

W90 ending 2026-04-10 = 2026-01-11 ... 2026-04-10 (2026-04-10 - 89 days);
W90 ending 2026-04-11 = 2026-01-12 ... 2026-04-11.
P90 (D-179 ... D-90) ending 2026-04-10 = 2025-10-13 ... 2026-01-10 (D-180 = 2025-10-12).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from builders import as_date, as_of, as_of_dates, dataset, valid_dataset

from schemas.tables import CAMPAIGN_DAILY
from tasks.marts.build import build_marts
from tasks.marts.facts import build_facts
from tasks.marts.funnel_by_channel_daily import funnel_by_channel_daily
from tasks.staging.stage import stage_sources

CHANNELS = {"website", "paid_ads", "content", "event", "partner", "outbound", "referral", "other"}
COUNTS = ["leads_90d", "qualified_90d", "converted_90d", "won_90d", "opportunities_90d", "leads_prior_90d",
          "won_prior_90d"]
SUMS = ["cohort_won_amount", "spend_90d", "pipeline_amount_90d", "won_amount_prior_90d", "spend_prior_90d"]
RATIOS = ["cost_per_lead_90d", "cost_per_win_90d", "return_on_spend_90d", "cost_per_opportunity_90d",
          "cost_per_win_prior_90d", "return_on_spend_prior_90d"]


def funnel(valid, start, end=None, tz="UTC") -> pd.DataFrame:
    return funnel_by_channel_daily(build_facts(valid, tz), as_of(start, end))


def row(frame: pd.DataFrame, day, channel: str) -> pd.Series:
    hit = frame[(as_of_dates(frame) == as_date(day)) & (frame["channel"] == channel)]
    assert len(hit) == 1, f"expected one row of {channel} at {day}, got {len(hit)}:\n{frame}"
    return hit.iloc[0]


def won_deal(lead_id: str, closed: str, deal_id: str, stage: str = "won") -> dict[str, str]:
    return {"deal_id": deal_id, "lead_id": lead_id, "stage": stage, "created_at": "2026-01-01T00:00:00Z",
            "closed_at": closed}


def _funnel_dataset():
    leads = [
        # website cohort members at 04-10
        {"lead_id": "w1", "created_at": "2026-01-11T00:00:00Z", "qualified_at": "2026-02-01T00:00:00Z",
         "converted_at": "2026-02-05T00:00:00Z"},  # first day of W90
        {"lead_id": "w3", "created_at": "2026-04-10T12:00:00Z",
         "qualified_at": "2026-04-11T00:00:00Z"},  # created on D; qualified after D
        {"lead_id": "w4", "created_at": "2026-02-01T00:00:00Z", "qualified_at": "2026-02-02T00:00:00Z",
         "converted_at": "2026-04-11T00:00:00Z"},  # converted after D
        {"lead_id": "w5", "created_at": "2026-03-01T00:00:00Z", "qualified_at": "2026-03-02T00:00:00Z"},
        {"lead_id": "w6", "created_at": "2026-03-01T00:00:00Z"},
        # website, not in the cohort at 04-10
        {"lead_id": "w2", "created_at": "2026-01-10T23:59:00Z", "qualified_at": "2026-01-20T00:00:00Z",
         "converted_at": "2026-01-25T00:00:00Z"},  # the day before W90: the last day of P90
        {"lead_id": "w7", "created_at": "2026-04-11T00:00:00Z"},  # after D
        # other channels
        {"lead_id": "p1", "channel": "paid_ads", "created_at": "2026-02-01T00:00:00Z",
         "qualified_at": "2026-02-03T00:00:00Z"},
        {"lead_id": "c1", "channel": "content", "created_at": "2026-03-01T00:00:00Z"},
    ]
    deals = [
        won_deal("w1", "2026-03-01T00:00:00Z", "d-w1"),
        won_deal("w2", "2026-02-01T00:00:00Z", "d-w2"),  # won, but w2 is not in the cohort
        won_deal("w4", "2026-04-11T00:00:00Z", "d-w4"),  # won after D (04-10), on D+1
        {"deal_id": "d-w5-open", "lead_id": "w5", "stage": "negotiation"},  # open: not won
        won_deal("w5", "2026-03-20T00:00:00Z", "d-w5-lost", stage="lost"),  # lost: not won
        won_deal("w6", "2026-03-05T00:00:00Z", "d-w6-a"),  # two won deals: the lead counts once
        won_deal("w6", "2026-03-06T00:00:00Z", "d-w6-b"),
        won_deal("p1", "2026-03-01T00:00:00Z", "d-p1"),
        won_deal("ghost", "2026-03-01T00:00:00Z", "d-ghost"),  # lead_id of no valid lead: no channel
        {"deal_id": "d-nolead", "stage": "won", "closed_at": "2026-03-01T00:00:00Z"},  # no lead at all
    ]
    spend = [
        {"channel": "website", "spend_date": "2026-01-10", "amount": "1000"},  # before W90 at 04-10
        {"channel": "website", "spend_date": "2026-01-11", "amount": "100"},   # first day of W90 at 04-10
        {"channel": "website", "spend_date": "2026-04-10", "amount": "250"},   # on D
        {"channel": "website", "spend_date": "2026-04-11", "amount": "5000"},  # after D (04-10)
        {"channel": "paid_ads", "spend_date": "2026-03-01", "amount": "40"},
        {"channel": "event", "spend_date": "2026-02-01", "amount": "75"},      # spend, no leads
    ]
    return valid_dataset(leads=leads, deals=deals, marketing_spend=spend)


def test_funnel_cohort_on_one_date():
    d = "2026-04-10"
    out = funnel(_funnel_dataset(), d)
    assert set(out["channel"]) == CHANNELS and len(out) == 8
    # every column of campaign_daily but campaign
    assert list(out.columns) == [c for c in CAMPAIGN_DAILY.names if c != "campaign"]

    w = row(out, d, "website")
    assert w["leads_90d"] == 5  # w1 (01-11), w3 (04-10), w4, w5, w6; not w2 (01-10) nor w7 (04-11)
    assert w["qualified_90d"] == 3  # w1 (02-01), w4 (02-02), w5 (03-02); w3 qualified 04-11 > D
    assert w["converted_90d"] == 1  # w1 (02-05); w4 converted 04-11 > D
    assert w["won_90d"] == 2  # w1 (won 03-01), w6 (two won deals, counted once); w4 won 04-11 > D;
    #                           w5 only open/lost deals; w2 won but outside the cohort
    assert w["spend_90d"] == pytest.approx(350.0)  # 100 (01-11) + 250 (04-10); not 1000 (01-10), 5000 (04-11)
    assert w["cost_per_lead_90d"] == pytest.approx(70.0)  # 350 / 5
    assert w["cost_per_win_90d"] == pytest.approx(175.0)  # 350 / 2
    # every deal of the builders' amount 1000: d-w1 + d-w6-a + d-w6-b; not d-w4 (won 04-11 > D), d-w2 (w2
    # not in the cohort), d-ghost, d-nolead
    assert w["cohort_won_amount"] == pytest.approx(3000.0)
    assert w["return_on_spend_90d"] == pytest.approx(3000 / 350)
    assert w["opportunities_90d"] == 0  # every deal created 2026-01-01, before W90
    assert (w["leads_prior_90d"], w["won_prior_90d"]) == (1, 1)  # w2 (01-10, D-90), won 02-01
    assert w["won_amount_prior_90d"] == pytest.approx(1000.0)  # d-w2
    assert w["spend_prior_90d"] == pytest.approx(1000.0)  # 01-10
    assert w["cost_per_win_prior_90d"] == pytest.approx(1000.0)  # 1000 / 1
    assert w["return_on_spend_prior_90d"] == pytest.approx(1.0)  # 1000 / 1000

    p = row(out, d, "paid_ads")
    assert (p["leads_90d"], p["qualified_90d"], p["converted_90d"], p["won_90d"]) == (1, 1, 0, 1)
    assert p["spend_90d"] == pytest.approx(40.0)
    assert p["cost_per_lead_90d"] == pytest.approx(40.0)  # 40 / 1
    assert p["cost_per_win_90d"] == pytest.approx(40.0)  # 40 / 1
    assert p["cohort_won_amount"] == pytest.approx(1000.0)  # d-p1
    assert p["return_on_spend_90d"] == pytest.approx(25.0)  # 1000 / 40

    c = row(out, d, "content")  # one lead, no spend, no win
    assert (c["leads_90d"], c["qualified_90d"], c["converted_90d"], c["won_90d"]) == (1, 0, 0, 0)
    assert c["spend_90d"] == pytest.approx(0.0)  # sum over no rows
    assert c["cost_per_lead_90d"] == pytest.approx(0.0)  # 0 / 1
    assert pd.isna(c["cost_per_win_90d"])  # 0 / 0 -> null
    assert c["cohort_won_amount"] == 0.0 and pd.isna(c["return_on_spend_90d"])  # 0 / 0 -> null

    e = row(out, d, "event")  # spend but no leads
    assert (e["leads_90d"], e["qualified_90d"], e["converted_90d"], e["won_90d"]) == (0, 0, 0, 0)
    assert e["spend_90d"] == pytest.approx(75.0)
    assert pd.isna(e["cost_per_lead_90d"])  # 75 / 0 -> null
    assert pd.isna(e["cost_per_win_90d"])  # 75 / 0 -> null
    assert e["return_on_spend_90d"] == 0.0  # 0 / 75

    for ch in ("partner", "outbound", "referral", "other"):  # no data at all: still a row
        r = row(out, d, ch)
        assert (r["leads_90d"], r["qualified_90d"], r["converted_90d"], r["won_90d"]) == (0, 0, 0, 0), ch
        assert (r[COUNTS] == 0).all() and (r[SUMS] == 0.0).all(), ch
        assert r[RATIOS].isna().all(), ch
    for col in COUNTS:
        assert pd.api.types.is_integer_dtype(out[col]), col


def test_funnel_cohort_moves_with_the_date():
    out = funnel(_funnel_dataset(), "2026-04-10", "2026-04-11")
    assert len(out) == 16  # 2 dates x 8 channels
    w = row(out, "2026-04-11", "website")  # W90 = 01-12 ... 04-11
    assert w["leads_90d"] == 5  # w3, w4, w5, w6, w7 (w1 created 01-11 has left the window)
    assert w["qualified_90d"] == 3  # w3 (04-11 <= D), w4, w5
    assert w["converted_90d"] == 1  # w4 (04-11 <= D)
    assert w["won_90d"] == 2  # w4 (won 04-11), w6
    assert w["spend_90d"] == pytest.approx(5250.0)  # 250 (04-10) + 5000 (04-11); 100 (01-11) left the window
    assert w["cost_per_lead_90d"] == pytest.approx(1050.0)  # 5250 / 5
    assert w["cost_per_win_90d"] == pytest.approx(2625.0)  # 5250 / 2
    assert w["cohort_won_amount"] == pytest.approx(3000.0)  # d-w4 (won 04-11 <= D) + d-w6-a + d-w6-b
    assert w["return_on_spend_90d"] == pytest.approx(3000 / 5250)
    assert row(out, "2026-04-10", "website")["leads_90d"] == 5  # unchanged for the earlier date


def test_funnel_all_channels_with_no_data():
    out = funnel(valid_dataset(), "2026-01-01", "2026-01-02")
    assert len(out) == 16  # 8 channels x 2 dates
    for day in ("2026-01-01", "2026-01-02"):
        assert set(out.loc[as_of_dates(out) == as_date(day), "channel"]) == CHANNELS
    assert (out[COUNTS] == 0).all().all()
    assert (out[SUMS] == 0).all().all()
    assert out[RATIOS].isna().all().all()


def test_funnel_measures_the_whole_channel_whatever_the_campaign():
    # D = 04-10. website's leads and spend in campaigns A, B and none (unknown): the channel adds them all
    leads = [
        {"lead_id": "fa", "campaign": "A", "created_at": "2026-02-01T00:00:00Z"},
        {"lead_id": "fb", "campaign": "B", "created_at": "2026-03-01T00:00:00Z"},
        {"lead_id": "fc", "created_at": "2025-11-01T00:00:00Z"},  # in P90, no campaign
        {"lead_id": "fd", "campaign": "A", "created_at": "2025-10-12T00:00:00Z"},  # D-180: before P90
        {"lead_id": "fe", "campaign": "B", "created_at": "2025-06-01T00:00:00Z"},  # long before
        {"lead_id": "pa", "channel": "paid_ads", "campaign": "A", "created_at": "2025-12-01T00:00:00Z"},  # P90
    ]
    deals = [
        {"deal_id": "g-fa", "lead_id": "fa", "stage": "won", "amount": "1200", "created_at": "2026-02-10T00:00:00Z",
         "closed_at": "2026-03-01T00:00:00Z"},
        {"deal_id": "g-fb", "lead_id": "fb", "amount": "800", "created_at": "2026-04-01T00:00:00Z"},  # open
        {"deal_id": "g-fc", "lead_id": "fc", "stage": "won", "amount": "3000", "created_at": "2025-12-01T00:00:00Z",
         "closed_at": "2026-04-10T00:00:00Z"},  # won on D
        {"deal_id": "g-fc2", "lead_id": "fc", "stage": "won", "amount": "99", "created_at": "2025-12-01T00:00:00Z",
         "closed_at": "2026-04-11T00:00:00Z"},  # won after D
        {"deal_id": "g-fd", "lead_id": "fd", "stage": "won", "amount": "5000", "created_at": "2025-10-20T00:00:00Z",
         "closed_at": "2026-02-01T00:00:00Z"},  # fd is in neither cohort
        {"deal_id": "g-fe", "lead_id": "fe", "stage": "lost", "amount": "400", "created_at": "2026-01-11T00:00:00Z",
         "closed_at": "2026-01-20T00:00:00Z"},  # D-89: an opportunity of an old lead
        {"deal_id": "g-pa", "lead_id": "pa", "stage": "won", "amount": "700", "created_at": "2025-12-05T00:00:00Z",
         "closed_at": "2026-01-15T00:00:00Z"},
    ]
    spend = [
        {"channel": "website", "campaign": "A", "spend_date": "2026-02-01", "amount": "300"},
        {"channel": "website", "campaign": "B", "spend_date": "2026-03-01", "amount": "300"},
        {"channel": "website", "spend_date": "2025-11-01", "amount": "1000"},  # P90, no campaign
        {"channel": "website", "campaign": "A", "spend_date": "2025-10-12", "amount": "5555"},  # D-180
        {"channel": "paid_ads", "campaign": "A", "spend_date": "2025-12-01", "amount": "350"},  # P90
    ]
    out = funnel(valid_dataset(leads=leads, deals=deals, marketing_spend=spend), "2026-04-10")

    w = row(out, "2026-04-10", "website")
    assert (w["leads_90d"], w["won_90d"]) == (2, 1)  # fa (A), fb (B); fa won 03-01
    assert w["cohort_won_amount"] == pytest.approx(1200.0)  # g-fa
    assert w["spend_90d"] == pytest.approx(600.0)  # 300 (A) + 300 (B)
    assert w["cost_per_lead_90d"] == pytest.approx(300.0)  # 600 / 2
    assert w["cost_per_win_90d"] == pytest.approx(600.0)  # 600 / 1
    assert w["return_on_spend_90d"] == pytest.approx(2.0)  # 1200 / 600
    assert w["opportunities_90d"] == 3  # g-fa (02-10), g-fb (04-01), g-fe (01-11, lead fe of 2025-06-01)
    assert w["pipeline_amount_90d"] == pytest.approx(2400.0)  # 1200 + 800 + 400
    assert w["cost_per_opportunity_90d"] == pytest.approx(200.0)  # 600 / 3
    assert (w["leads_prior_90d"], w["won_prior_90d"]) == (1, 1)  # fc (11-01), won 04-10; not fd (D-180)
    assert w["won_amount_prior_90d"] == pytest.approx(3000.0)  # g-fc; not g-fc2 (04-11), g-fd
    assert w["spend_prior_90d"] == pytest.approx(1000.0)  # 11-01; not 5555 (D-180)
    assert w["cost_per_win_prior_90d"] == pytest.approx(1000.0)  # 1000 / 1
    assert w["return_on_spend_prior_90d"] == pytest.approx(3.0)  # 3000 / 1000

    p = row(out, "2026-04-10", "paid_ads")  # only its matured cohort and P90 spend
    assert (p["leads_90d"], p["opportunities_90d"], p["leads_prior_90d"], p["won_prior_90d"]) == (0, 0, 1, 1)
    assert p["spend_90d"] == 0.0 and pd.isna(p["return_on_spend_90d"])  # 0 / 0
    assert pd.isna(p["cost_per_opportunity_90d"])  # 0 / 0
    assert p["won_amount_prior_90d"] == pytest.approx(700.0)  # g-pa
    assert p["spend_prior_90d"] == pytest.approx(350.0)
    assert p["cost_per_win_prior_90d"] == pytest.approx(350.0)  # 350 / 1
    assert p["return_on_spend_prior_90d"] == pytest.approx(2.0)  # 700 / 350


def test_funnel_uses_business_time_zone_dates():
    # Asia/Shanghai is UTC+8. D = 04-10, W90 = 01-11 ... 04-10 (local dates)
    valid = valid_dataset(
        leads=[
            # created 01-10T20:00Z = 01-11 04:00 local: in the cohort (in UTC it would be 01-10, outside)
            # qualified 04-10T17:00Z = 04-11 01:00 local: not qualified by D (in UTC it would be)
            {"lead_id": "tz1", "created_at": "2026-01-10T20:00:00Z", "qualified_at": "2026-04-10T17:00:00Z"},
            # created 04-10T16:30Z = 04-11 00:30 local: after D, not in the cohort
            {"lead_id": "tz2", "created_at": "2026-04-10T16:30:00Z"},
        ],
        # won 04-10T15:00Z = 04-10 23:00 local: won by D
        deals=[won_deal("tz1", "2026-04-10T15:00:00Z", "d-tz1")],
        marketing_spend=[{"channel": "website", "spend_date": "2026-04-10", "amount": "60"}],  # a date: as is
    )
    w = row(funnel(valid, "2026-04-10", tz="Asia/Shanghai"), "2026-04-10", "website")
    assert w["leads_90d"] == 1  # tz1 only
    assert w["qualified_90d"] == 0
    assert w["converted_90d"] == 0
    assert w["won_90d"] == 1
    assert w["spend_90d"] == pytest.approx(60.0)
    assert w["cost_per_lead_90d"] == pytest.approx(60.0)  # 60 / 1
    assert w["cost_per_win_90d"] == pytest.approx(60.0)  # 60 / 1


def test_funnel_won_needs_a_valid_deal():
    # end to end (raw text -> staging -> marts)
    # a won deal that is quarantined (won without closed_at breaks "closed_at set iff won/lost")
    # does not make its lead won; only the valid one counts
    raw = dataset(
        leads=[{"lead_id": "q1", "created_at": "2026-02-01T00:00:00Z"},
               {"lead_id": "q2", "created_at": "2026-02-01T00:00:00Z"}],
        deals=[{"deal_id": "d-bad", "lead_id": "q1", "stage": "won", "closed_at": ""},
               won_deal("q2", "2026-02-10T00:00:00Z", "d-good")],
        marketing_spend=[{"channel": "website", "spend_date": "2026-02-01", "amount": "90"}],
    )
    staged = stage_sources(raw, "USD")
    assert list(staged.quarantine["record_id"]) == ["d-bad"]  # the only rejected row
    out = build_marts(staged.valid, "UTC", dt.date(2026, 3, 1), dt.date(2026, 3, 1))["funnel_by_channel_daily"]
    w = row(out, "2026-03-01", "website")
    assert w["leads_90d"] == 2
    assert w["won_90d"] == 1  # q2 only
    assert w["cost_per_lead_90d"] == pytest.approx(45.0)  # 90 / 2
    assert w["cost_per_win_90d"] == pytest.approx(90.0)  # 90 / 1
