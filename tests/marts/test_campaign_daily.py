"""campaign_daily against ../shared/spec/METRICS.md: every expected value is worked out by hand from
the definitions (not from the implementation), with the arithmetic in a comment. The datasets are
typed valid rows; the test of trimming and `unknown` goes through staging, end to end.

W90 ending 2026-04-10 = 2026-01-11 ... 2026-04-10 (2026-04-10 - 89 days);
W90 ending 2026-04-11 = 2026-01-12 ... 2026-04-11.
"""
from __future__ import annotations

import pandas as pd
import pytest
from builders import as_date, as_of, as_of_dates, dataset, marts, rows, valid_dataset

from schemas.tables import CAMPAIGN_DAILY
from tasks.marts.campaign_daily import campaign_daily
from tasks.marts.facts import build_facts


def campaigns(valid, start, end=None, tz="UTC") -> pd.DataFrame:
    return campaign_daily(build_facts(valid, tz), as_of(start, end))


def row(frame: pd.DataFrame, day, channel: str, campaign: str) -> pd.Series:
    hit = frame[(as_of_dates(frame) == as_date(day)) & (frame["channel"] == channel) & (frame["campaign"] == campaign)]
    assert len(hit) == 1, f"expected one row of ({channel}, {campaign}) at {day}, got {len(hit)}:\n{frame}"
    return hit.iloc[0]


def pairs_at(frame: pd.DataFrame, day) -> set[tuple[str, str]]:
    at = frame[as_of_dates(frame) == as_date(day)]
    return set(zip(at["channel"], at["campaign"], strict=True))


def won(lead_id: str, closed: str, amount: str, deal_id: str, stage: str = "won") -> dict[str, str]:
    return {"deal_id": deal_id, "lead_id": lead_id, "stage": stage, "amount": amount,
            "created_at": "2025-10-01T00:00:00Z", "closed_at": closed}


def _dataset():
    leads = [
        # website / Spring: the cohort at 04-10 is a1 and a5
        {"lead_id": "a1", "campaign": "Spring", "created_at": "2026-02-01T00:00:00Z",
         "qualified_at": "2026-02-02T00:00:00Z", "converted_at": "2026-02-05T00:00:00Z"},
        {"lead_id": "a5", "campaign": "Spring", "created_at": "2026-03-01T00:00:00Z"},
        {"lead_id": "a3", "campaign": "Spring", "created_at": "2026-01-10T00:00:00Z"},  # a day before W90(04-10)
        # the same campaign name in another channel is another row
        {"lead_id": "a4", "channel": "paid_ads", "campaign": "Spring", "created_at": "2026-03-01T00:00:00Z"},
        # content / Webinar: leads, no spend
        {"lead_id": "b1", "channel": "content", "campaign": "Webinar", "created_at": "2026-03-15T00:00:00Z",
         "qualified_at": "2026-03-16T00:00:00Z"},
        # outbound / Old: a lead and a spend row long before W90: no row
        {"lead_id": "o1", "channel": "outbound", "campaign": "Old", "created_at": "2025-12-01T00:00:00Z"},
    ]
    deals = [
        won("a1", "2026-03-01T00:00:00Z", "1000", "d1"),
        # a1's second won deal, closed before W90 began (deals are created before their lead here, which
        # the contract allows): "won by D, whenever they closed" -> it counts too
        won("a1", "2026-01-05T00:00:00Z", "500", "d2"),
        won("a1", "2026-03-02T00:00:00Z", "9999", "d3", stage="lost"),  # lost: never counts
        won("a5", "2026-04-11T00:00:00Z", "700", "d5"),  # won on 04-11, the day after D
        won("a3", "2026-03-01T00:00:00Z", "4000", "d6"),  # a3 is not in the cohort
        won("ghost", "2026-03-01T00:00:00Z", "8000", "d7"),  # a lead_id of no valid lead: no campaign
    ]
    spend = [
        {"channel": "website", "campaign": "Spring", "spend_date": "2026-01-11", "amount": "200"},  # first day
        {"channel": "website", "campaign": "Spring", "spend_date": "2026-04-10", "amount": "100"},  # on D
        {"channel": "website", "campaign": "Spring", "spend_date": "2026-01-10", "amount": "999"},  # before
        {"channel": "event", "campaign": "Expo", "spend_date": "2026-02-01", "amount": "1500"},  # spend, no leads
        {"channel": "outbound", "campaign": "Old", "spend_date": "2025-12-01", "amount": "50"},
    ]
    return valid_dataset(leads=leads, deals=deals, marketing_spend=spend)


def test_campaign_cohort_on_one_date():
    d = "2026-04-10"
    out = campaigns(_dataset(), d)
    assert list(out.columns) == CAMPAIGN_DAILY.names
    # a row per pair with a lead created or spend dated in W90: not outbound/Old (both in December)
    assert pairs_at(out, d) == {("website", "Spring"), ("paid_ads", "Spring"), ("content", "Webinar"),
                                ("event", "Expo")}
    assert len(out) == 4

    w = row(out, d, "website", "Spring")
    assert w["leads_90d"] == 2  # a1 (02-01), a5 (03-01); not a3 (01-10)
    assert w["qualified_90d"] == 1  # a1
    assert w["converted_90d"] == 1  # a1
    assert w["won_90d"] == 1  # a1 (two won deals, counted once); a5's deal is won 04-11 > D
    assert w["cohort_won_amount"] == pytest.approx(1500.0)  # d1 1000 + d2 500; not d3 (lost), d5, d6, d7
    assert w["spend_90d"] == pytest.approx(300.0)  # 200 (01-11) + 100 (04-10); not 999 (01-10)
    assert w["cost_per_lead_90d"] == pytest.approx(150.0)  # 300 / 2
    assert w["cost_per_win_90d"] == pytest.approx(300.0)  # 300 / 1
    assert w["return_on_spend_90d"] == pytest.approx(5.0)  # 1500 / 300

    p = row(out, d, "paid_ads", "Spring")  # a lead, no spend of its own: website's Spring spend is not its
    assert (p["leads_90d"], p["qualified_90d"], p["converted_90d"], p["won_90d"]) == (1, 0, 0, 0)
    assert p["cohort_won_amount"] == 0.0 and p["spend_90d"] == 0.0  # sums over no rows
    assert p["cost_per_lead_90d"] == 0.0  # 0 / 1
    assert pd.isna(p["cost_per_win_90d"]) and pd.isna(p["return_on_spend_90d"])  # 0 / 0

    c = row(out, d, "content", "Webinar")  # lead-only campaign
    assert (c["leads_90d"], c["qualified_90d"], c["won_90d"]) == (1, 1, 0)
    assert c["spend_90d"] == 0.0 and c["cost_per_lead_90d"] == 0.0  # 0 / 1
    assert pd.isna(c["cost_per_win_90d"])  # 0 / 0
    assert pd.isna(c["return_on_spend_90d"])  # 0 / 0

    e = row(out, d, "event", "Expo")  # spend-only campaign
    assert (e["leads_90d"], e["qualified_90d"], e["converted_90d"], e["won_90d"]) == (0, 0, 0, 0)
    assert e["spend_90d"] == pytest.approx(1500.0)
    assert pd.isna(e["cost_per_lead_90d"]) and pd.isna(e["cost_per_win_90d"])  # 1500 / 0
    assert e["return_on_spend_90d"] == 0.0  # 0 / 1500
    for col in ("leads_90d", "qualified_90d", "converted_90d", "won_90d"):
        assert pd.api.types.is_integer_dtype(out[col]), col


def test_campaign_cohort_moves_with_the_date_in_one_pass():
    out = campaigns(_dataset(), "2026-04-10", "2026-04-11")
    assert row(out, "2026-04-10", "website", "Spring")["won_90d"] == 1  # unchanged for the earlier date
    w = row(out, "2026-04-11", "website", "Spring")  # W90 = 01-12 .. 04-11
    assert w["leads_90d"] == 2  # a1, a5
    assert w["won_90d"] == 2  # a1, and a5 (d5 won 04-11 <= D)
    assert w["cohort_won_amount"] == pytest.approx(2200.0)  # 1000 + 500 + 700
    assert w["spend_90d"] == pytest.approx(100.0)  # 01-11's 200 has left the window
    assert w["cost_per_lead_90d"] == pytest.approx(50.0)  # 100 / 2
    assert w["cost_per_win_90d"] == pytest.approx(50.0)  # 100 / 2
    assert w["return_on_spend_90d"] == pytest.approx(22.0)  # 2200 / 100
    # a range gives what each date alone gives
    for day in ("2026-04-10", "2026-04-11"):
        alone = campaigns(_dataset(), day)
        pd.testing.assert_frame_equal(out[as_of_dates(out) == as_date(day)].reset_index(drop=True), alone)


def test_a_campaign_leaves_when_its_leads_and_spend_leave_the_window():
    valid = valid_dataset(leads=[{"channel": "event", "campaign": "Expo", "created_at": "2026-01-10T12:00:00Z"}],
                          marketing_spend=[{"channel": "event", "campaign": "Expo", "spend_date": "2026-01-11"}])
    out = campaigns(valid, "2026-04-09", "2026-04-11")
    # the lead (01-10) is in W90 up to 04-09 (01-10 + 89); the spend (01-11) up to 04-10
    assert pairs_at(out, "2026-04-09") == {("event", "Expo")}
    r = row(out, "2026-04-10", "event", "Expo")
    assert (r["leads_90d"], r["spend_90d"]) == (0, 100.0)  # the builders' spend amount
    assert pairs_at(out, "2026-04-11") == set()


def test_campaign_lead_created_near_local_midnight():
    # Asia/Shanghai is UTC+8: 01-10T16:30Z is 01-11 00:30 local, the first day of W90(04-10)
    valid = valid_dataset(leads=[{"campaign": "Spring", "created_at": "2026-01-10T16:30:00Z"}])
    assert row(campaigns(valid, "2026-04-10", tz="Asia/Shanghai"), "2026-04-10", "website", "Spring")["leads_90d"] == 1
    assert campaigns(valid, "2026-04-10").empty  # in UTC it was created 01-10: out


def test_no_leads_no_spend_no_rows():
    out = campaigns(valid_dataset(), "2026-01-01", "2026-01-02")
    assert out.empty and list(out.columns) == CAMPAIGN_DAILY.names


def test_campaigns_are_trimmed_and_missing_or_unknown_is_one_campaign():
    # end to end: raw text -> staging -> marts. D = 03-31
    leads = rows("leads",
                 {"lead_id": "L1", "campaign": " Spring ", "created_at": "2026-03-01T00:00:00Z"},
                 {"lead_id": "L2", "campaign": "Spring", "created_at": "2026-03-01T00:00:00Z"},
                 {"lead_id": "L3", "campaign": "", "created_at": "2026-03-01T00:00:00Z"},
                 {"lead_id": "L4", "campaign": "unknown", "created_at": "2026-03-01T00:00:00Z"},
                 {"lead_id": "L5", "campaign": " unknown", "created_at": "2026-03-01T00:00:00Z"},
                 {"lead_id": "L6", "campaign": "Unknown", "created_at": "2026-03-01T00:00:00Z"})
    spend = rows("marketing_spend",
                 {"spend_id": "S1", "campaign": "Spring  ", "spend_date": "2026-03-01", "amount": "100"},
                 {"spend_id": "S2", "campaign": "", "spend_date": "2026-03-01", "amount": "50"},
                 {"spend_id": "S3", "campaign": "   ", "spend_date": "2026-03-01", "amount": "25"})
    out = marts(dataset(leads=leads, marketing_spend=spend), "2026-03-31")["campaign_daily"]
    # compared after trimming, case-sensitive; empty, white space only and "unknown" are all `unknown`
    assert pairs_at(out, "2026-03-31") == {("website", "Spring"), ("website", "unknown"), ("website", "Unknown")}
    spring = row(out, "2026-03-31", "website", "Spring")
    assert (spring["leads_90d"], spring["spend_90d"]) == (2, 100.0)  # L1, L2; S1
    unknown = row(out, "2026-03-31", "website", "unknown")
    assert (unknown["leads_90d"], unknown["spend_90d"]) == (3, 75.0)  # L3, L4, L5; S2 50 + S3 25
    assert unknown["cost_per_lead_90d"] == pytest.approx(25.0)  # 75 / 3
    other = row(out, "2026-03-31", "website", "Unknown")  # another spelling, another campaign
    assert (other["leads_90d"], other["spend_90d"]) == (1, 0.0)


def test_a_source_without_campaign_columns_has_only_unknown():
    # campaign is not required: a file may lack the column, then every row's campaign is missing
    leads = rows("leads", {"lead_id": "L1", "created_at": "2026-03-01T00:00:00Z"}).drop(columns="campaign")
    spend = rows("marketing_spend", {"spend_id": "S1", "spend_date": "2026-03-01"}).drop(columns="campaign")
    out = marts(dataset(leads=leads, marketing_spend=spend), "2026-03-31")["campaign_daily"]
    assert pairs_at(out, "2026-03-31") == {("website", "unknown")}
    r = row(out, "2026-03-31", "website", "unknown")
    assert (r["leads_90d"], r["spend_90d"]) == (1, 100.0)
