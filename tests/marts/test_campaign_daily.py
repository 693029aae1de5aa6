"""campaign_daily against ../shared/spec/METRICS.md: every expected value is worked out by hand from
the definitions (not from the implementation), with the arithmetic in a comment. The datasets are
typed valid rows; the test of trimming and `unknown` goes through staging, end to end.

W90 ending 2026-04-10 = 2026-01-11 ... 2026-04-10 (2026-04-10 - 89 days);
W90 ending 2026-04-11 = 2026-01-12 ... 2026-04-11.
P90 (D-179 ... D-90) ending 2026-04-10 = 2025-10-13 ... 2026-01-10 (D-180 = 2025-10-12);
P90 of 2026-04-11 = 2025-10-14 ... 2026-01-11; P90 of 2026-04-09 = 2025-10-12 ... 2026-01-09.
"""
from __future__ import annotations

import pandas as pd
import pytest
from builders import as_date, as_of, as_of_dates, dataset, marts, rows, valid_dataset

from schemas.tables import CAMPAIGN_DAILY
from tasks.marts.campaign_daily import campaign_daily
from tasks.marts.facts import build_facts

# the columns of campaign_daily as METRICS.md lists them (written out here, not read from the code)
MEASURES = [
    "leads_90d", "qualified_90d", "converted_90d", "won_90d", "cohort_won_amount", "spend_90d",
    "cost_per_lead_90d", "cost_per_win_90d", "return_on_spend_90d", "opportunities_90d", "pipeline_amount_90d",
    "cost_per_opportunity_90d", "leads_prior_90d", "won_prior_90d", "won_amount_prior_90d", "spend_prior_90d",
    "cost_per_win_prior_90d", "return_on_spend_prior_90d",
]
COUNTS = ["leads_90d", "qualified_90d", "converted_90d", "won_90d", "opportunities_90d", "leads_prior_90d",
          "won_prior_90d"]


def campaigns(valid, start, end=None, tz="UTC") -> pd.DataFrame:
    return campaign_daily(build_facts(valid, tz), as_of(start, end))


def row(frame: pd.DataFrame, day, channel: str, campaign: str) -> pd.Series:
    hit = frame[(as_of_dates(frame) == as_date(day)) & (frame["channel"] == channel) & (frame["campaign"] == campaign)]
    assert len(hit) == 1, f"expected one row of ({channel}, {campaign}) at {day}, got {len(hit)}:\n{frame}"
    return hit.iloc[0]


def pairs_at(frame: pd.DataFrame, day) -> set[tuple[str, str]]:
    at = frame[as_of_dates(frame) == as_date(day)]
    return set(zip(at["channel"], at["campaign"], strict=True))


def won(lead_id: str, closed: str, amount: str, deal_id: str, stage: str = "won",
        created: str = "2025-10-01T00:00:00Z") -> dict[str, str]:
    return {"deal_id": deal_id, "lead_id": lead_id, "stage": stage, "amount": amount,
            "created_at": created, "closed_at": closed}


def opportunity(lead_id: str, created: str, amount: str, deal_id: str) -> dict[str, str]:
    """An open deal (stage discovery, the builders' default)."""
    return {"deal_id": deal_id, "lead_id": lead_id, "amount": amount, "created_at": created}


def _dataset():
    leads = [
        # website / Spring: the cohort at 04-10 is a1 and a5
        {"lead_id": "a1", "campaign": "Spring", "created_at": "2026-02-01T00:00:00Z",
         "qualified_at": "2026-02-02T00:00:00Z", "converted_at": "2026-02-05T00:00:00Z"},
        {"lead_id": "a5", "campaign": "Spring", "created_at": "2026-03-01T00:00:00Z"},
        # a day before W90(04-10): D-90, the last day of P90 (the matured cohort)
        {"lead_id": "a3", "campaign": "Spring", "created_at": "2026-01-10T00:00:00Z"},
        # the same campaign name in another channel is another row
        {"lead_id": "a4", "channel": "paid_ads", "campaign": "Spring", "created_at": "2026-03-01T00:00:00Z"},
        # content / Webinar: leads, no spend
        {"lead_id": "b1", "channel": "content", "campaign": "Webinar", "created_at": "2026-03-15T00:00:00Z",
         "qualified_at": "2026-03-16T00:00:00Z"},
        # outbound / Old: a lead and a spend row before W90, in P90: a row of the matured cohort only
        {"lead_id": "o1", "channel": "outbound", "campaign": "Old", "created_at": "2025-12-01T00:00:00Z"},
    ]
    deals = [
        won("a1", "2026-03-01T00:00:00Z", "1000", "d1"),
        # a1's second won deal, closed before W90 began (deals are created before their lead here, which
        # the contract allows): "won by D, whenever they closed" -> it counts too
        won("a1", "2026-01-05T00:00:00Z", "500", "d2"),
        won("a1", "2026-03-02T00:00:00Z", "9999", "d3", stage="lost"),  # lost: never counts
        won("a5", "2026-04-11T00:00:00Z", "700", "d5"),  # won on 04-11, the day after D
        won("a3", "2026-03-01T00:00:00Z", "4000", "d6"),  # a3 is not in the cohort, but in the matured one
        won("ghost", "2026-03-01T00:00:00Z", "8000", "d7"),  # a lead_id of no valid lead: no campaign
    ]
    spend = [
        {"channel": "website", "campaign": "Spring", "spend_date": "2026-01-11", "amount": "200"},  # first day
        {"channel": "website", "campaign": "Spring", "spend_date": "2026-04-10", "amount": "100"},  # on D
        {"channel": "website", "campaign": "Spring", "spend_date": "2026-01-10", "amount": "999"},  # before: P90
        {"channel": "event", "campaign": "Expo", "spend_date": "2026-02-01", "amount": "1500"},  # spend, no leads
        {"channel": "outbound", "campaign": "Old", "spend_date": "2025-12-01", "amount": "50"},
    ]
    return valid_dataset(leads=leads, deals=deals, marketing_spend=spend)


def test_campaign_cohort_on_one_date():
    d = "2026-04-10"
    out = campaigns(_dataset(), d)
    assert list(out.columns) == CAMPAIGN_DAILY.names == ["as_of_date", "channel", "campaign", *MEASURES]
    # a row per pair with a lead created or spend dated in W90 or P90: outbound/Old by its December
    # lead and spend (P90 = 2025-10-13 ... 2026-01-10)
    assert pairs_at(out, d) == {("website", "Spring"), ("paid_ads", "Spring"), ("content", "Webinar"),
                                ("event", "Expo"), ("outbound", "Old")}
    assert len(out) == 5

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
    assert w["opportunities_90d"] == 0  # every deal created 2025-10-01, before W90
    assert w["pipeline_amount_90d"] == 0.0 and pd.isna(w["cost_per_opportunity_90d"])  # 300 / 0
    assert w["leads_prior_90d"] == 1  # a3 (01-10 = D-90)
    assert w["won_prior_90d"] == 1  # a3 (d6 won 03-01)
    assert w["won_amount_prior_90d"] == pytest.approx(4000.0)  # d6
    assert w["spend_prior_90d"] == pytest.approx(999.0)  # 01-10
    assert w["cost_per_win_prior_90d"] == pytest.approx(999.0)  # 999 / 1
    assert w["return_on_spend_prior_90d"] == pytest.approx(4000 / 999)

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

    o = row(out, d, "outbound", "Old")  # only the matured cohort and P90 spend
    assert (o["leads_90d"], o["won_90d"], o["opportunities_90d"], o["leads_prior_90d"], o["won_prior_90d"]) == (
        0, 0, 0, 1, 0)  # o1 created 12-01, in P90; no deal
    assert o["spend_90d"] == 0.0 and o["spend_prior_90d"] == pytest.approx(50.0)  # 12-01, in P90
    assert o["won_amount_prior_90d"] == 0.0  # sum over no rows
    assert pd.isna(o["cost_per_win_prior_90d"])  # 50 / 0
    assert o["return_on_spend_prior_90d"] == 0.0  # 0 / 50
    for col in COUNTS:
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
    # P90 = 2025-10-14 ... 2026-01-11: a3 (01-10) still in it; 01-11's 200 has moved into it
    assert (w["leads_prior_90d"], w["won_prior_90d"]) == (1, 1)  # a3
    assert w["spend_prior_90d"] == pytest.approx(1199.0)  # 999 (01-10) + 200 (01-11)
    assert w["return_on_spend_prior_90d"] == pytest.approx(4000 / 1199)  # d6
    # a range gives what each date alone gives
    for day in ("2026-04-10", "2026-04-11"):
        alone = campaigns(_dataset(), day)
        pd.testing.assert_frame_equal(out[as_of_dates(out) == as_date(day)].reset_index(drop=True), alone)


def test_a_campaign_leaves_when_its_leads_and_spend_leave_p90():
    valid = valid_dataset(leads=[{"channel": "event", "campaign": "Expo", "created_at": "2026-01-10T12:00:00Z"}],
                          marketing_spend=[{"channel": "event", "campaign": "Expo", "spend_date": "2026-01-11"}])
    out = campaigns(valid, "2026-04-09", "2026-07-10")
    # the lead (01-10) is in W90 up to 04-09 (01-10 + 89), in P90 from 04-10 (01-10 + 90) to 07-08
    # (01-10 + 179); the spend (01-11) in W90 up to 04-10, in P90 from 04-11 to 07-09 (01-11 + 179)
    r = row(out, "2026-04-09", "event", "Expo")
    assert (r["leads_90d"], r["spend_90d"], r["leads_prior_90d"], r["spend_prior_90d"]) == (1, 100.0, 0, 0.0)
    r = row(out, "2026-04-10", "event", "Expo")
    assert (r["leads_90d"], r["spend_90d"], r["leads_prior_90d"], r["spend_prior_90d"]) == (0, 100.0, 1, 0.0)
    r = row(out, "2026-04-11", "event", "Expo")
    assert (r["leads_90d"], r["spend_90d"], r["leads_prior_90d"], r["spend_prior_90d"]) == (0, 0.0, 1, 100.0)
    r = row(out, "2026-07-08", "event", "Expo")
    assert (r["leads_prior_90d"], r["spend_prior_90d"]) == (1, 100.0)
    r = row(out, "2026-07-09", "event", "Expo")
    assert (r["leads_prior_90d"], r["spend_prior_90d"]) == (0, 100.0)
    assert pairs_at(out, "2026-07-10") == set()
    assert len(out) == 92  # one row a date, 04-09 ... 07-09 (22 + 31 + 30 + 9 dates)


def test_opportunities_of_the_leads_created_by_d_created_in_w90():
    leads = [
        {"lead_id": "o1", "campaign": "Opp", "created_at": "2025-06-01T00:00:00Z"},  # before W90 and P90
        {"lead_id": "o2", "campaign": "Opp", "created_at": "2026-03-01T00:00:00Z"},
        {"lead_id": "o3", "campaign": "Opp", "created_at": "2026-04-11T00:00:00Z"},  # after 04-10
    ]
    deals = [
        opportunity("o1", "2026-01-11T00:00:00Z", "300", "x1"),  # 04-10's D-89: in W90 up to 04-10
        opportunity("o1", "2026-01-10T00:00:00Z", "5000", "x2"),  # 04-10's D-90; 04-09's D-89
        won("o2", "2026-03-20T00:00:00Z", "1000", "x3", created="2026-03-05T00:00:00Z"),
        won("o2", "2026-04-10T13:00:00Z", "200", "x5", stage="lost", created="2026-04-10T12:00:00Z"),  # lost: counts
        opportunity("o3", "2026-04-01T00:00:00Z", "700", "x4"),  # created before its lead: counts from 04-11
        opportunity("o2", "2026-04-11T00:00:00Z", "60", "x7"),  # created after 04-10
        opportunity("ghost", "2026-03-01T00:00:00Z", "8000", "x6"),  # a lead_id of no valid lead: no campaign
    ]
    spend = [{"campaign": "Opp", "spend_date": "2026-02-01", "amount": "600"}]
    out = campaigns(valid_dataset(leads=leads, deals=deals, marketing_spend=spend), "2026-04-09", "2026-04-11")

    r = row(out, "2026-04-09", "website", "Opp")  # W90 = 01-10 ... 04-09
    assert r["opportunities_90d"] == 3  # x1 (01-11), x2 (01-10), x3 (03-05); x5 created 04-10 > D
    assert r["pipeline_amount_90d"] == pytest.approx(6300.0)  # 300 + 5000 + 1000

    r = row(out, "2026-04-10", "website", "Opp")  # W90 = 01-11 ... 04-10
    assert r["leads_90d"] == 1  # o2; o1 is older than W90 though its deals count; o3 is created after D
    assert r["opportunities_90d"] == 3  # x1 (01-11), x3 (open then won), x5 (lost); not x2 (01-10), x4 (o3
    #                                     created 04-11 > D), x7 (04-11), x6 (no lead)
    assert r["pipeline_amount_90d"] == pytest.approx(1500.0)  # 300 + 1000 + 200, whatever their stage
    assert r["cost_per_opportunity_90d"] == pytest.approx(200.0)  # 600 / 3
    assert (r["won_90d"], r["cohort_won_amount"]) == (1, pytest.approx(1000.0))  # o2 by x3
    assert r["leads_prior_90d"] == 0  # o1 (2025-06-01) is before P90 too

    r = row(out, "2026-04-11", "website", "Opp")  # W90 = 01-12 ... 04-11
    assert r["leads_90d"] == 2  # o2, o3
    assert r["opportunities_90d"] == 4  # x3, x5, x4 (its lead o3 created 04-11 <= D), x7; x1 has left
    assert r["pipeline_amount_90d"] == pytest.approx(1960.0)  # 1000 + 200 + 700 + 60
    assert r["cost_per_opportunity_90d"] == pytest.approx(150.0)  # 600 / 4


def test_the_matured_cohort_at_the_edges_of_p90():
    leads = [
        {"lead_id": "m2", "campaign": "Fall", "created_at": "2025-10-12T00:00:00Z"},  # 04-10's D-180
        {"lead_id": "m1", "campaign": "Fall", "created_at": "2025-10-13T00:00:00Z"},  # 04-10's D-179
        {"lead_id": "m3", "campaign": "Fall", "created_at": "2026-01-10T00:00:00Z"},  # 04-10's D-90
        {"lead_id": "m4", "campaign": "Fall", "created_at": "2026-01-11T00:00:00Z"},  # 04-10's D-89
    ]
    deals = [
        won("m1", "2026-02-01T00:00:00Z", "2000", "f1"),
        won("m1", "2026-04-10T00:00:00Z", "500", "f2"),  # m1's second win, on 04-10: both amounts count
        won("m1", "2026-04-11T00:00:00Z", "9000", "f3"),  # won after 04-10
        won("m2", "2026-01-05T00:00:00Z", "800", "f4"),
        won("m3", "2026-03-01T00:00:00Z", "3000", "f5", stage="lost"),  # lost: never counts
    ]
    spend = [
        {"campaign": "Fall", "spend_date": "2025-10-12", "amount": "7777"},  # 04-10's D-180
        {"campaign": "Fall", "spend_date": "2025-10-13", "amount": "400"},  # 04-10's D-179
        {"campaign": "Fall", "spend_date": "2026-01-10", "amount": "100"},  # 04-10's D-90
        {"campaign": "Fall", "spend_date": "2026-01-11", "amount": "50"},  # 04-10's D-89
    ]
    out = campaigns(valid_dataset(leads=leads, deals=deals, marketing_spend=spend), "2026-04-09", "2026-04-11")

    r = row(out, "2026-04-09", "website", "Fall")  # P90 = 2025-10-12 ... 2026-01-09; W90 from 01-10
    assert (r["leads_prior_90d"], r["won_prior_90d"]) == (2, 2)  # m2, m1: both won by D (f4 01-05, f1 02-01)
    assert r["won_amount_prior_90d"] == pytest.approx(2800.0)  # f1 2000 + f4 800; f2 won 04-10 > D
    assert r["spend_prior_90d"] == pytest.approx(8177.0)  # 7777 + 400
    assert r["cost_per_win_prior_90d"] == pytest.approx(4088.5)  # 8177 / 2
    assert r["return_on_spend_prior_90d"] == pytest.approx(2800 / 8177)
    assert (r["leads_90d"], r["spend_90d"]) == (2, pytest.approx(150.0))  # m3, m4; 100 + 50

    r = row(out, "2026-04-10", "website", "Fall")  # P90 = 2025-10-13 ... 2026-01-10
    assert r["leads_prior_90d"] == 2  # m1 (D-179), m3 (D-90); not m2 (D-180) nor m4 (D-89)
    assert r["won_prior_90d"] == 1  # m1; m3's only deal is lost
    assert r["won_amount_prior_90d"] == pytest.approx(2500.0)  # f1 2000 + f2 500 (won on D); not f3, f4, f5
    assert r["spend_prior_90d"] == pytest.approx(500.0)  # 400 (D-179) + 100 (D-90); not 7777, 50
    assert r["cost_per_win_prior_90d"] == pytest.approx(500.0)  # 500 / 1
    assert r["return_on_spend_prior_90d"] == pytest.approx(5.0)  # 2500 / 500
    assert (r["leads_90d"], r["won_90d"], r["spend_90d"]) == (1, 0, pytest.approx(50.0))  # m4; 01-11
    assert r["cohort_won_amount"] == 0.0  # m4 has no deal

    r = row(out, "2026-04-11", "website", "Fall")  # P90 = 2025-10-14 ... 2026-01-11; W90 from 01-12
    assert (r["leads_prior_90d"], r["won_prior_90d"]) == (2, 0)  # m3, m4; m1 has left with its wins
    assert r["won_amount_prior_90d"] == 0.0  # f3 is won now, but m1 has left the matured cohort
    assert r["spend_prior_90d"] == pytest.approx(150.0)  # 100 + 50
    assert pd.isna(r["cost_per_win_prior_90d"])  # 150 / 0
    assert r["return_on_spend_prior_90d"] == 0.0  # 0 / 150
    assert (r["leads_90d"], r["spend_90d"]) == (0, 0.0)  # still a row: its P90 leads and spend


def test_a_campaign_with_only_p90_spend_has_a_row():
    spend = [{"channel": "event", "campaign": "Winter", "spend_date": "2025-12-01", "amount": "300"},
             {"channel": "event", "campaign": "Zero", "spend_date": "2025-11-01", "amount": "0"}]  # 0 counts
    out = campaigns(valid_dataset(marketing_spend=spend), "2026-04-10")
    assert pairs_at(out, "2026-04-10") == {("event", "Winter"), ("event", "Zero")}
    w = row(out, "2026-04-10", "event", "Winter")
    assert (w["leads_90d"], w["won_90d"], w["opportunities_90d"], w["leads_prior_90d"], w["won_prior_90d"]) == (
        0, 0, 0, 0, 0)
    assert w["spend_90d"] == 0.0 and w["spend_prior_90d"] == pytest.approx(300.0)  # 12-01, in P90
    assert w["cohort_won_amount"] == 0.0 and w["pipeline_amount_90d"] == 0.0 and w["won_amount_prior_90d"] == 0.0
    assert pd.isna(w["cost_per_win_prior_90d"])  # 300 / 0
    assert w["return_on_spend_prior_90d"] == 0.0  # 0 / 300
    for col in ("cost_per_lead_90d", "cost_per_win_90d", "return_on_spend_90d", "cost_per_opportunity_90d"):
        assert pd.isna(w[col]), col  # 0 / 0
    z = row(out, "2026-04-10", "event", "Zero")
    assert z["spend_prior_90d"] == 0.0 and pd.isna(z["return_on_spend_prior_90d"])  # 0 / 0
    # 2025-12-01 is in P90 up to 2026-05-29 (+ 179); 2025-11-01 up to 2026-04-29
    later = campaigns(valid_dataset(marketing_spend=spend), "2026-05-29", "2026-05-30")
    assert pairs_at(later, "2026-05-29") == {("event", "Winter")}
    assert pairs_at(later, "2026-05-30") == set()


def test_campaign_lead_created_near_local_midnight():
    # Asia/Shanghai is UTC+8: 01-10T16:30Z is 01-11 00:30 local, the first day of W90(04-10)
    valid = valid_dataset(leads=[{"campaign": "Spring", "created_at": "2026-01-10T16:30:00Z"}])
    local = row(campaigns(valid, "2026-04-10", tz="Asia/Shanghai"), "2026-04-10", "website", "Spring")
    assert (local["leads_90d"], local["leads_prior_90d"]) == (1, 0)
    # in UTC it was created 01-10: out of W90, the last day of P90
    utc = row(campaigns(valid, "2026-04-10"), "2026-04-10", "website", "Spring")
    assert (utc["leads_90d"], utc["leads_prior_90d"]) == (0, 1)


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
