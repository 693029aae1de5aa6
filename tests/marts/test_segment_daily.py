"""segment_daily against ../shared/spec/METRICS.md: every expected value is worked out by hand from
the definitions (not from the implementation), with the arithmetic in a comment. The datasets are
typed valid rows; one test goes through staging, end to end.

W90 ending 2026-04-10 = 2026-01-11 ... 2026-04-10; ending 2026-04-11 = 2026-01-12 ... 2026-04-11.
"""
from __future__ import annotations

import pandas as pd
import pytest
from builders import as_date, as_of, as_of_dates, dataset, marts, valid_dataset

from tasks.marts.facts import build_facts
from tasks.marts.segment_daily import segment_daily

D = "2026-04-10"
D1 = "2026-04-11"


def segments(valid, start, end=None, tz="UTC") -> pd.DataFrame:
    return segment_daily(build_facts(valid, tz), as_of(start, end))


def row(frame: pd.DataFrame, day, dimension: str, segment: str) -> pd.Series:
    hit = frame[(as_of_dates(frame) == as_date(day)) & (frame["dimension"] == dimension) & (frame["segment"] == segment)]
    assert len(hit) == 1, f"expected one row of {dimension}={segment!r} at {day}, got {len(hit)}:\n{frame}"
    return hit.iloc[0]


def keys_at(frame: pd.DataFrame, day) -> set[tuple[str, str]]:
    at = frame[as_of_dates(frame) == as_date(day)]
    return set(zip(at["dimension"], at["segment"], strict=True))


def deal(deal_id, region, industry, account, amount, created, stage="discovery", closed=""):
    return {"deal_id": deal_id, "region": region, "industry": industry, "account_id": account,
            "amount": str(amount), "created_at": created, "stage": stage, "closed_at": closed}


def _segment_records() -> dict[str, list[dict]]:
    deals = [
        deal("d1", "EMEA", "Retail", "A1", 1000, "2026-01-05T00:00:00Z", "won", "2026-01-11T00:00:00Z"),
        deal("d2", "EMEA", "Retail", "A2", 2000, "2026-02-01T00:00:00Z", "won", "2026-03-01T00:00:00Z"),
        deal("d3", "EMEA", "Banking", "A3", 500, "2026-02-01T00:00:00Z", "lost", "2026-03-05T00:00:00Z"),
        deal("d4", "EMEA", "Banking", "A4", 700, "2026-02-01T00:00:00Z", "proposal"),
        # won the day before W90 (ending 04-10): a customer, but no booking in the window
        deal("d5", "EMEA", "Retail", "A1", 4000, "2025-11-01T00:00:00Z", "won", "2026-01-10T23:00:00Z"),
        # won the day after D: open at D
        deal("d6", "APAC", "", "A6", 900, "2026-04-01T00:00:00Z", "won", "2026-04-11T00:00:00Z"),
        # lower case "emea" is its own segment (case-sensitive) and exists only from 04-11
        deal("d7", "emea", "Retail", "A7", 800, "2026-04-11T08:00:00Z", "negotiation"),
        deal("d8", "", "Banking", "A8", 300, "2026-02-01T00:00:00Z", "lost", "2026-02-10T00:00:00Z"),
    ]
    projects = [
        {"project_id": "P1", "deal_id": "d1"},                       # active: EMEA / Retail
        {"project_id": "P2", "deal_id": "d4", "status": "on_hold"},  # on hold = active: EMEA / Banking
        {"project_id": "P3", "deal_id": "d2", "status": "delivered", "actual_end_date": "2026-03-01"},  # finished
        {"project_id": "P4", "deal_id": "no-such-deal"},             # active: unknown / unknown
        {"project_id": "P5", "deal_id": "d1", "status": "planned"},  # planned: never active
        {"project_id": "P6", "deal_id": "d2", "start_date": "2026-04-11"},  # not started at 04-10
    ]
    return {"deals": deals, "projects": projects}


def _segment_dataset():
    return valid_dataset(**_segment_records())


def test_segments_are_the_values_of_deals_existing_by_d():
    # end to end (raw text -> staging -> marts), with d2's region padded as a source may give it
    records = _segment_records()
    records["deals"][1]["region"] = " EMEA "
    out = marts(dataset(**records), D, D1)["segment_daily"]
    # at 04-10: d7 (created 04-11) does not exist yet, so no "emea" row; " EMEA " trims to "EMEA";
    # empty region (d8) and empty industry (d6) are "unknown"
    assert keys_at(out, D) == {("region", "EMEA"), ("region", "APAC"), ("region", "unknown"),
                               ("industry", "Retail"), ("industry", "Banking"), ("industry", "unknown")}
    assert keys_at(out, D1) == keys_at(out, D) | {("region", "emea")}
    assert len(out) == 13  # 6 + 7, no duplicates


def test_region_dimension():
    out = segments(_segment_dataset(), D)
    emea = row(out, D, "region", "EMEA")  # d1, d2, d3, d4, d5
    assert emea["bookings_90d"] == pytest.approx(3000.0)  # d1 1000 (01-11) + d2 2000; d5 closed 01-10
    assert emea["win_rate_90d"] == pytest.approx(2 / 3)  # won d1, d2 / closed d1, d2, d3
    assert emea["open_pipeline_amount"] == pytest.approx(700.0)  # d4
    assert emea["customers_total"] == 2  # accounts of won deals: A1 (d1, d5), A2 (d2)
    assert emea["active_projects"] == 2  # P1 (d1), P2 on hold (d4); P3 delivered, P5 planned, P6 not started

    apac = row(out, D, "region", "APAC")  # d6, won only on 04-11
    assert apac["bookings_90d"] == pytest.approx(0.0)
    assert pd.isna(apac["win_rate_90d"])  # 0 / 0 closed -> null
    assert apac["open_pipeline_amount"] == pytest.approx(900.0)  # exists, not closed by D
    assert apac["customers_total"] == 0
    assert apac["active_projects"] == 0

    unknown = row(out, D, "region", "unknown")  # d8 (lost 02-10), and project P4 with no valid deal
    assert unknown["bookings_90d"] == pytest.approx(0.0)
    assert unknown["win_rate_90d"] == pytest.approx(0.0)  # 0 won / 1 closed
    assert unknown["open_pipeline_amount"] == pytest.approx(0.0)
    assert unknown["customers_total"] == 0
    assert unknown["active_projects"] == 1  # P4: a project with no valid deal has segment unknown


def test_industry_dimension():
    out = segments(_segment_dataset(), D)
    retail = row(out, D, "industry", "Retail")  # d1, d2, d5 (d7 not yet)
    assert retail["bookings_90d"] == pytest.approx(3000.0)  # 1000 + 2000
    assert retail["win_rate_90d"] == pytest.approx(1.0)  # 2 won / 2 closed in W90 (d5 closed before W90)
    assert retail["open_pipeline_amount"] == pytest.approx(0.0)
    assert retail["customers_total"] == 2  # A1, A2
    assert retail["active_projects"] == 1  # P1

    banking = row(out, D, "industry", "Banking")  # d3, d4, d8
    assert banking["bookings_90d"] == pytest.approx(0.0)
    assert banking["win_rate_90d"] == pytest.approx(0.0)  # 0 won / 2 closed (d3 03-05, d8 02-10)
    assert banking["open_pipeline_amount"] == pytest.approx(700.0)  # d4
    assert banking["customers_total"] == 0
    assert banking["active_projects"] == 1  # P2 (on hold)

    unknown = row(out, D, "industry", "unknown")  # d6 (empty industry)
    assert unknown["bookings_90d"] == pytest.approx(0.0)
    assert pd.isna(unknown["win_rate_90d"])
    assert unknown["open_pipeline_amount"] == pytest.approx(900.0)
    assert unknown["customers_total"] == 0
    assert unknown["active_projects"] == 1  # P4


def test_segments_on_the_next_day():
    out = segments(_segment_dataset(), D, D1)
    emea_lc = row(out, D1, "region", "emea")  # d7, created 04-11, open
    assert emea_lc["bookings_90d"] == pytest.approx(0.0)
    assert pd.isna(emea_lc["win_rate_90d"])
    assert emea_lc["open_pipeline_amount"] == pytest.approx(800.0)
    assert emea_lc["customers_total"] == 0
    assert emea_lc["active_projects"] == 0

    apac = row(out, D1, "region", "APAC")  # d6 won on 04-11 = D
    assert apac["bookings_90d"] == pytest.approx(900.0)
    assert apac["win_rate_90d"] == pytest.approx(1.0)  # 1 / 1
    assert apac["open_pipeline_amount"] == pytest.approx(0.0)
    assert apac["customers_total"] == 1  # A6

    emea = row(out, D1, "region", "EMEA")  # W90 = 01-12 ... 04-11: d1 (won 01-11) has left the window
    assert emea["bookings_90d"] == pytest.approx(2000.0)  # d2
    assert emea["win_rate_90d"] == pytest.approx(0.5)  # won d2 / closed d2, d3
    assert emea["customers_total"] == 2  # A1, A2: customers are won by D, not in a window
    assert emea["active_projects"] == 3  # P1, P2, and P6 started on 04-11

    retail = row(out, D1, "industry", "Retail")  # d1, d2, d5, d7
    assert retail["bookings_90d"] == pytest.approx(2000.0)  # d2
    assert retail["win_rate_90d"] == pytest.approx(1.0)  # 1 / 1
    assert retail["open_pipeline_amount"] == pytest.approx(800.0)  # d7
    assert retail["active_projects"] == 2  # P1, P6

    unknown = row(out, D1, "industry", "unknown")  # d6 won 04-11
    assert unknown["bookings_90d"] == pytest.approx(900.0)
    assert unknown["open_pipeline_amount"] == pytest.approx(0.0)
    assert unknown["customers_total"] == 1


def test_customers_are_distinct_accounts_and_amounts_sum():
    valid = valid_dataset(deals=[
        deal("a", "NA", "Tech", "ACC1", 100, "2026-01-01T00:00:00Z", "won", "2026-02-01T00:00:00Z"),
        deal("b", "NA", "Tech", "ACC1", 250.5, "2026-01-01T00:00:00Z", "won", "2026-02-02T00:00:00Z"),
        deal("c", "NA", "Tech", "ACC2", 49.5, "2026-01-01T00:00:00Z", "won", "2026-02-03T00:00:00Z"),
        deal("e", "NA", "Tech", "ACC3", 1000, "2026-01-01T00:00:00Z", "lost", "2026-02-04T00:00:00Z"),
        deal("f", "NA", "Tech", "ACC4", 10, "2026-01-01T00:00:00Z", "negotiation"),
        deal("g", "NA", "Tech", "ACC5", 20.25, "2026-01-01T00:00:00Z", "discovery"),
    ])
    out = segments(valid, "2026-03-01")
    assert keys_at(out, "2026-03-01") == {("region", "NA"), ("industry", "Tech")}
    for dim, seg in (("region", "NA"), ("industry", "Tech")):
        r = row(out, "2026-03-01", dim, seg)
        assert r["bookings_90d"] == pytest.approx(400.0)  # 100 + 250.5 + 49.5
        assert r["win_rate_90d"] == pytest.approx(0.75)  # 3 won / 4 closed
        assert r["open_pipeline_amount"] == pytest.approx(30.25)  # 10 + 20.25
        assert r["customers_total"] == 2  # ACC1 (twice), ACC2; ACC3 lost
        assert r["active_projects"] == 0


def test_segment_dates_use_business_time_zone():
    # America/New_York is UTC-5 in January/February.
    # created 2026-02-01T03:00Z = 01-31 22:00 local: exists by D = 01-31 (in UTC it would not)
    # closed 2026-02-01T04:00Z = 01-31 23:00 local: won by D = 01-31
    valid = valid_dataset(deals=[deal("n1", "US", "Retail", "A1", 600, "2026-02-01T03:00:00Z", "won",
                              "2026-02-01T04:00:00Z")])
    out = segments(valid, "2026-01-31", tz="America/New_York")
    r = row(out, "2026-01-31", "region", "US")
    assert r["bookings_90d"] == pytest.approx(600.0)
    assert r["win_rate_90d"] == pytest.approx(1.0)
    assert r["customers_total"] == 1
    assert r["open_pipeline_amount"] == pytest.approx(0.0)
