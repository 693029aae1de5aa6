"""project_daily against ../shared/spec/METRICS.md: every expected value below is worked out by hand
from the metric definitions (not from the implementation), with the arithmetic in a comment. The
datasets are typed valid rows; one test goes through staging, end to end.

Builders defaults (tests/builders.py) that the arithmetic relies on: a project is `active`, starts
2026-01-01, planned end 2026-06-30, budget 10000; a time entry is 8 h of an `engineer` on
2026-01-05 on P1; the default rate card is 100/h for every role from 2020-01-01 (a test that gives
its own rate card replaces it); an expense is 50 on 2026-01-05 on P1; a licence is on P1, product
"Suite", 10 seats, from 2026-01-01; a deal is `discovery`, 1000, account A1, created 2026-01-01.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from builders import as_date, as_of, as_of_dates, dataset, marts, valid_dataset

from tasks.marts import project_daily as mart
from tasks.marts.facts import build_facts


def project_daily(valid, start, end=None, tz="UTC") -> pd.DataFrame:
    return mart.project_daily(build_facts(valid, tz), as_of(start, end))


def row(frame: pd.DataFrame, day, project_id: str) -> pd.Series:
    """The one row of `project_id` as of `day`."""
    hit = frame[(as_of_dates(frame) == as_date(day)) & (frame["project_id"] == project_id)]
    assert len(hit) == 1, f"expected one row of {project_id} at {day}, got {len(hit)}:\n{frame}"
    return hit.iloc[0]


def ids_at(frame: pd.DataFrame, day) -> set[str]:
    return set(frame.loc[as_of_dates(frame) == as_date(day), "project_id"])


ALL_ROLES_100 = [{"role": r, "valid_from": "2020-01-01", "hourly_cost": "100"}
                 for r in ("sales", "presales", "project_manager", "engineer", "consultant", "operations",
                           "customer_success")]


# --------------------------------------------------------------------------- which rows, state

def test_rows_only_for_active_delivered_or_cancelled_projects():
    valid = valid_dataset(projects=[
        {"project_id": "PA", "status": "active", "start_date": "2026-01-01"},
        {"project_id": "PH", "status": "on_hold", "start_date": "2026-01-01"},
        # planned: never a row, even with a start date long past
        {"project_id": "PP", "status": "planned", "start_date": "2026-01-01"},
        # starts 2026-03-01: not_started (no row) on 02-28, active from 03-01 on
        {"project_id": "PN", "status": "active", "start_date": "2026-03-01"},
        # finished long before D: keep a row with their final state
        {"project_id": "PD", "status": "delivered", "start_date": "2026-01-01", "actual_end_date": "2026-01-15"},
        {"project_id": "PC", "status": "cancelled", "start_date": "2026-01-01", "actual_end_date": "2026-01-20"},
    ])
    out = project_daily(valid, "2026-02-28", "2026-03-01")
    assert ids_at(out, "2026-02-28") == {"PA", "PH", "PD", "PC"}
    assert ids_at(out, "2026-03-01") == {"PA", "PH", "PD", "PC", "PN"}
    assert len(out) == 9  # one row per project per date, no duplicates
    # state at D: on_hold is paused, not finished -> active; finished ones keep their status
    assert row(out, "2026-02-28", "PA")["state"] == "active"
    assert row(out, "2026-02-28", "PH")["state"] == "active"
    assert row(out, "2026-02-28", "PD")["state"] == "delivered"
    assert row(out, "2026-02-28", "PC")["state"] == "cancelled"
    assert row(out, "2026-03-01", "PN")["state"] == "active"  # start_date = D: start_date <= D
    assert set(out["as_of_date"].map(lambda v: pd.Timestamp(v).date())) == {dt.date(2026, 2, 28),
                                                                             dt.date(2026, 3, 1)}


def test_state_around_the_actual_end_date():
    # active while actual_end_date > D; on actual_end_date itself it is no longer > D -> its status
    valid = valid_dataset(projects=[
        {"project_id": "PD", "status": "delivered", "start_date": "2026-01-01", "actual_end_date": "2026-02-10"},
        {"project_id": "PC", "status": "cancelled", "start_date": "2026-01-01", "actual_end_date": "2026-02-10"},
    ])
    out = project_daily(valid, "2026-02-09", "2026-02-11")
    for pid, status in (("PD", "delivered"), ("PC", "cancelled")):
        assert row(out, "2026-02-09", pid)["state"] == "active"
        assert row(out, "2026-02-10", pid)["state"] == status
        assert row(out, "2026-02-11", pid)["state"] == status
        # health is only for active: 02-09 no cost, no milestones, slip 0 -> green; then null
        assert row(out, "2026-02-09", pid)["health"] == "green"
        assert pd.isna(row(out, "2026-02-10", pid)["health"])
        assert pd.isna(row(out, "2026-02-11", pid)["health"])


def test_project_delivered_on_its_start_date():
    # start 02-10, actual end 02-10: at 02-09 not_started (no row); at 02-10 start <= D but
    # actual_end is not > D -> delivered
    valid = valid_dataset(projects=[{"project_id": "P1", "status": "delivered", "start_date": "2026-02-10",
                             "planned_end_date": "2026-02-12", "actual_end_date": "2026-02-10"}])
    out = project_daily(valid, "2026-02-09", "2026-02-10")
    assert ids_at(out, "2026-02-09") == set()
    assert row(out, "2026-02-10", "P1")["state"] == "delivered"
    assert row(out, "2026-02-10", "P1")["schedule_slip_days"] == -2  # 02-10 - 02-12


# --------------------------------------------------------------------------- account and segment

def test_account_from_project_and_segment_from_its_deal():
    # end to end (raw text -> staging -> marts): staging trims the deal's segment values and makes
    # empty ones unknown; a deal_id of no valid deal is kept, as if the project had no deal
    raw = dataset(
        deals=[
            # the deal's segment is trimmed; its account differs from the project's
            {"deal_id": "DX", "account_id": "A-DEAL", "region": " EMEA ", "industry": " Retail "},
            {"deal_id": "DE", "account_id": "A-E", "region": "", "industry": "  "},  # empty -> unknown
        ],
        projects=[
            {"project_id": "P1", "deal_id": "DX", "account_id": "ACC-9"},
            {"project_id": "P2", "deal_id": "NO-SUCH-DEAL", "account_id": "ACC-2"},  # no valid deal
            {"project_id": "P3"},  # no deal_id, no account_id
            {"project_id": "P4", "deal_id": "DE", "account_id": "ACC-4"},
        ],
    )
    out = marts(raw, "2026-02-01")["project_daily"]
    p1 = row(out, "2026-02-01", "P1")
    assert p1["account_id"] == "ACC-9"  # "account from the project", not the deal's A-DEAL
    assert (p1["region"], p1["industry"]) == ("EMEA", "Retail")
    p2 = row(out, "2026-02-01", "P2")
    assert p2["account_id"] == "ACC-2"
    assert (p2["region"], p2["industry"]) == ("unknown", "unknown")  # no valid deal -> unknown
    p3 = row(out, "2026-02-01", "P3")
    assert pd.isna(p3["account_id"])
    assert (p3["region"], p3["industry"]) == ("unknown", "unknown")
    p4 = row(out, "2026-02-01", "P4")
    assert (p4["region"], p4["industry"]) == ("unknown", "unknown")  # empty segment values -> unknown


# --------------------------------------------------------------------------- contract value, sales cycle

def test_contract_value_and_sales_cycle_only_once_the_deal_is_won():
    valid = valid_dataset(
        deals=[{"deal_id": "DW", "stage": "won", "amount": "50000", "created_at": "2026-01-05T00:00:00Z",
                "closed_at": "2026-02-15T10:00:00Z"}],
        projects=[{"project_id": "P1", "deal_id": "DW", "start_date": "2026-01-10"}],
    )
    out = project_daily(valid, "2026-02-14", "2026-02-16")
    before = row(out, "2026-02-14", "P1")
    assert pd.isna(before["contract_value"])  # closed 02-15 > D: not won by D
    assert pd.isna(before["sales_cycle_days"])
    assert pd.isna(before["margin_to_date"]) and pd.isna(before["margin_pct"])
    for day in ("2026-02-15", "2026-02-16"):
        r = row(out, day, "P1")
        assert r["contract_value"] == pytest.approx(50000.0)
        # date(closed_at) - date(created_at) = 2026-02-15 - 2026-01-05 = 26 (rest of Jan) + 15 = 41
        assert r["sales_cycle_days"] == 41


def test_contract_value_uses_business_time_zone_dates():
    # Asia/Shanghai is UTC+8: created 01-05T10:00Z -> 01-05 18:00 local (01-05);
    # closed 02-14T20:00Z -> 02-15 04:00 local (02-15)
    valid = valid_dataset(
        deals=[{"deal_id": "DW", "stage": "won", "amount": "7000", "created_at": "2026-01-05T10:00:00Z",
                "closed_at": "2026-02-14T20:00:00Z"}],
        projects=[{"project_id": "P1", "deal_id": "DW"}],
    )
    out = project_daily(valid, "2026-02-14", "2026-02-15", tz="Asia/Shanghai")
    assert pd.isna(row(out, "2026-02-14", "P1")["contract_value"])  # won on 02-15 local
    r = row(out, "2026-02-15", "P1")
    assert r["contract_value"] == pytest.approx(7000.0)
    assert r["sales_cycle_days"] == 41  # 2026-02-15 - 2026-01-05 (in UTC it would be 02-14 - 01-05 = 40)


def test_contract_value_null_for_open_lost_or_missing_deal():
    valid = valid_dataset(
        deals=[
            {"deal_id": "DL", "stage": "lost", "amount": "3000", "closed_at": "2026-01-20T00:00:00Z"},
            {"deal_id": "DO", "stage": "negotiation", "amount": "4000"},
        ],
        projects=[
            {"project_id": "PL", "deal_id": "DL"},
            {"project_id": "PO", "deal_id": "DO"},
            {"project_id": "PX", "deal_id": "GHOST"},
        ],
        expenses=[{"project_id": p, "expense_date": "2026-01-05", "amount": "100"} for p in ("PL", "PO", "PX")],
    )
    out = project_daily(valid, "2026-02-01")
    for pid in ("PL", "PO", "PX"):
        r = row(out, "2026-02-01", pid)
        assert pd.isna(r["contract_value"]), pid
        assert pd.isna(r["sales_cycle_days"]), pid
        assert pd.isna(r["margin_to_date"]), pid  # null contract value - 100 -> null
        assert pd.isna(r["margin_pct"]), pid
        assert r["total_cost_to_date"] == pytest.approx(100.0)  # costs are there regardless


def test_zero_contract_value_gives_margin_but_null_margin_pct():
    valid = valid_dataset(
        deals=[{"deal_id": "D0", "stage": "won", "amount": "0", "created_at": "2026-01-01T00:00:00Z",
                "closed_at": "2026-01-03T00:00:00Z"}],
        projects=[{"project_id": "P1", "deal_id": "D0"}],
        expenses=[{"expense_date": "2026-01-05", "amount": "250"}],
    )
    r = row(project_daily(valid, "2026-02-01"), "2026-02-01", "P1")
    assert r["contract_value"] == pytest.approx(0.0)
    assert r["sales_cycle_days"] == 2  # 01-03 - 01-01
    assert r["margin_to_date"] == pytest.approx(-250.0)  # 0 - 250
    assert pd.isna(r["margin_pct"])  # -250 / 0: denominator 0 -> null


# --------------------------------------------------------------------------- costs to date

def _cost_dataset():
    rate_card = ALL_ROLES_100 + [
        {"role": "engineer", "valid_from": "2026-02-01", "hourly_cost": "120"},
        {"role": "consultant", "valid_from": "2026-01-01", "hourly_cost": "150"},
    ]
    return valid_dataset(
        rate_card=rate_card,
        deals=[{"deal_id": "DW", "stage": "won", "amount": "5000", "created_at": "2026-01-01T00:00:00Z",
                "closed_at": "2026-01-02T00:00:00Z"}],
        projects=[{"project_id": "P1", "deal_id": "DW", "budget_cost": "2000"}, {"project_id": "P2"}],
        time_entries=[
            {"role": "engineer", "work_date": "2026-01-20", "hours": "8"},     # 8 x 100 = 800
            {"role": "engineer", "work_date": "2026-01-31", "hours": "1"},     # 1 x 100 = 100
            {"role": "engineer", "work_date": "2026-02-01", "hours": "1"},     # 1 x 120 = 120 (valid_from = day)
            {"role": "engineer", "work_date": "2026-02-03", "hours": "4"},     # 4 x 120 = 480
            {"role": "consultant", "work_date": "2026-02-05", "hours": "2.5"},  # 2.5 x 150 = 375 (on D)
            {"role": "engineer", "work_date": "2026-02-06", "hours": "6"},     # after D
            {"project_id": "P2", "role": "engineer", "work_date": "2026-01-20", "hours": "10"},  # other project
        ],
        expenses=[
            {"expense_date": "2026-01-05", "amount": "50"},
            {"expense_date": "2026-02-05", "amount": "125.5"},  # on D: included
            {"expense_date": "2026-02-06", "amount": "300"},    # after D
            {"project_id": "P2", "expense_date": "2026-01-05", "amount": "70"},
        ],
    )


def test_costs_to_date_with_rate_card_history():
    out = project_daily(_cost_dataset(), "2026-02-05")
    r = row(out, "2026-02-05", "P1")
    assert r["hours_to_date"] == pytest.approx(16.5)  # 8 + 1 + 1 + 4 + 2.5
    # 8 h x 100 (01-20) + 1 h x 100 (01-31) + 1 h x 120 (02-01, engineer 120 valid from 02-01)
    # + 4 h x 120 (02-03) + 2.5 h x 150 (consultant from 01-01, 02-05) = 800+100+120+480+375 = 1875
    assert r["labour_cost_to_date"] == pytest.approx(1875.0)
    assert r["expenses_to_date"] == pytest.approx(175.5)  # 50 + 125.5
    assert r["total_cost_to_date"] == pytest.approx(2050.5)  # 1875 + 175.5
    assert r["budget_cost"] == pytest.approx(2000.0)
    assert r["budget_burn"] == pytest.approx(2050.5 / 2000)  # = 1.02525
    assert r["cost_variance"] == pytest.approx(50.5)  # 2050.5 - 2000
    assert r["contract_value"] == pytest.approx(5000.0)
    assert r["margin_to_date"] == pytest.approx(2949.5)  # 5000 - 2050.5
    assert r["margin_pct"] == pytest.approx(2949.5 / 5000)  # = 0.5899

    p2 = row(out, "2026-02-05", "P2")
    assert p2["hours_to_date"] == pytest.approx(10.0)
    assert p2["labour_cost_to_date"] == pytest.approx(1000.0)  # 10 h x 100
    assert p2["expenses_to_date"] == pytest.approx(70.0)
    assert p2["total_cost_to_date"] == pytest.approx(1070.0)
    assert p2["budget_burn"] == pytest.approx(0.107)  # 1070 / 10000
    assert p2["cost_variance"] == pytest.approx(-8930.0)  # 1070 - 10000


def test_costs_to_date_before_any_entry_are_zero():
    out = project_daily(_cost_dataset(), "2026-01-19")
    r = row(out, "2026-01-19", "P1")
    assert r["hours_to_date"] == pytest.approx(0.0)  # sum over no rows is 0 (first entry 01-20)
    assert r["labour_cost_to_date"] == pytest.approx(0.0)
    assert r["expenses_to_date"] == pytest.approx(50.0)  # only the 01-05 expense
    assert r["total_cost_to_date"] == pytest.approx(50.0)
    assert r["budget_burn"] == pytest.approx(0.025)  # 50 / 2000
    assert r["cost_variance"] == pytest.approx(-1950.0)  # 50 - 2000
    assert r["margin_to_date"] == pytest.approx(4950.0)  # 5000 - 50
    assert r["margin_pct"] == pytest.approx(0.99)  # 4950 / 5000


def test_costs_to_date_over_several_dates_in_one_run():
    out = project_daily(_cost_dataset(), "2026-01-19", "2026-02-06")
    assert len(out[out["project_id"] == "P1"]) == 19  # one row per date 01-19 ... 02-06
    assert row(out, "2026-01-19", "P1")["labour_cost_to_date"] == pytest.approx(0.0)
    assert row(out, "2026-01-20", "P1")["labour_cost_to_date"] == pytest.approx(800.0)  # 8 h x 100
    assert row(out, "2026-02-05", "P1")["labour_cost_to_date"] == pytest.approx(1875.0)  # as above
    r = row(out, "2026-02-06", "P1")
    assert r["hours_to_date"] == pytest.approx(22.5)  # 16.5 + 6
    assert r["labour_cost_to_date"] == pytest.approx(2595.0)  # 1875 + 6 h x 120
    assert r["expenses_to_date"] == pytest.approx(475.5)  # 175.5 + 300
    assert r["total_cost_to_date"] == pytest.approx(3070.5)  # 2595 + 475.5
    assert r["budget_burn"] == pytest.approx(3070.5 / 2000)
    assert r["cost_variance"] == pytest.approx(1070.5)  # 3070.5 - 2000
    assert r["margin_to_date"] == pytest.approx(1929.5)  # 5000 - 3070.5
    assert r["margin_pct"] == pytest.approx(1929.5 / 5000)


def test_costs_keep_accumulating_after_delivery():
    # a delivered project keeps its row; costs to date still include entries after actual_end_date
    valid = valid_dataset(
        projects=[{"project_id": "P1", "status": "delivered", "actual_end_date": "2026-01-31"}],
        time_entries=[{"work_date": "2026-01-10", "hours": "2"}, {"work_date": "2026-02-02", "hours": "3"}],
    )
    r = row(project_daily(valid, "2026-02-05"), "2026-02-05", "P1")
    assert r["state"] == "delivered"
    assert r["hours_to_date"] == pytest.approx(5.0)  # 2 + 3, both work_date <= D
    assert r["labour_cost_to_date"] == pytest.approx(500.0)  # 5 h x 100


def test_zero_budget_gives_null_burn():
    valid = valid_dataset(
        projects=[{"project_id": "P0", "budget_cost": "0"}, {"project_id": "PZ", "budget_cost": "0"}],
        expenses=[{"project_id": "P0", "expense_date": "2026-01-05", "amount": "10"}],
    )
    out = project_daily(valid, "2026-02-01")
    r = row(out, "2026-02-01", "P0")
    assert r["budget_cost"] == pytest.approx(0.0)
    assert pd.isna(r["budget_burn"])  # 10 / 0: denominator 0 -> null
    assert r["cost_variance"] == pytest.approx(10.0)  # 10 - 0
    assert r["health"] == "red"  # cost_variance 10 > 0
    z = row(out, "2026-02-01", "PZ")
    assert pd.isna(z["budget_burn"])  # 0 / 0 -> null
    assert z["cost_variance"] == pytest.approx(0.0)
    assert z["health"] == "green"  # variance 0 not > 0; null burn is not > 0.9; no milestones; slip 0


# --------------------------------------------------------------------------- milestones

def test_milestones_total_completed_overdue():
    d = "2026-03-10"
    valid = valid_dataset(
        projects=[{"project_id": "P1"}, {"project_id": "P2"}],
        milestones=[
            {"due_date": "2026-03-01", "completed_date": "2026-02-28"},  # completed; not overdue
            {"due_date": "2026-03-05"},                                   # overdue (due < D, open)
            {"due_date": "2026-03-10"},                                   # due = D: not overdue (strict <)
            {"due_date": "2026-03-01", "completed_date": "2026-03-10"},  # completed on D: completed by D
            {"due_date": "2026-03-02", "completed_date": "2026-03-11"},  # completed after D: overdue at D
            {"due_date": "2026-04-01"},                                   # future: counts in total only
            {"project_id": "P2", "due_date": "2026-03-01"},               # another project
        ],
    )
    out = project_daily(valid, d)
    r = row(out, d, "P1")
    assert r["milestones_total"] == 6
    assert r["milestones_completed"] == 2  # completed 02-28 and 03-10 (<= D)
    assert r["milestones_overdue"] == 2  # due 03-05 open; due 03-02 completed only on 03-11
    p2 = row(out, d, "P2")
    assert (p2["milestones_total"], p2["milestones_completed"], p2["milestones_overdue"]) == (1, 0, 1)


def test_milestones_on_a_project_with_none():
    r = row(project_daily(valid_dataset(projects=[{"project_id": "P1"}]), "2026-03-10"), "2026-03-10", "P1")
    assert (r["milestones_total"], r["milestones_completed"], r["milestones_overdue"]) == (0, 0, 0)


# --------------------------------------------------------------------------- schedule slip

def test_schedule_slip_days_active_vs_finished():
    valid = valid_dataset(projects=[
        {"project_id": "ACT", "planned_end_date": "2026-03-01"},
        {"project_id": "HOLD", "status": "on_hold", "planned_end_date": "2026-02-01"},
        {"project_id": "EARLY", "status": "delivered", "planned_end_date": "2026-03-31",
         "actual_end_date": "2026-03-21"},
        {"project_id": "LATE", "status": "delivered", "planned_end_date": "2026-03-01",
         "actual_end_date": "2026-03-04"},
        {"project_id": "CANC", "status": "cancelled", "planned_end_date": "2026-06-30",
         "actual_end_date": "2026-03-01"},
    ])
    out = project_daily(valid, "2026-02-20", "2026-04-01")
    assert row(out, "2026-02-20", "ACT")["schedule_slip_days"] == 0  # max(0, 02-20 - 03-01 = -9)
    assert row(out, "2026-03-01", "ACT")["schedule_slip_days"] == 0  # max(0, 0)
    assert row(out, "2026-03-11", "ACT")["schedule_slip_days"] == 10  # 03-11 - 03-01
    assert row(out, "2026-03-01", "HOLD")["schedule_slip_days"] == 28  # on hold = active: 03-01 - 02-01
    assert row(out, "2026-04-01", "EARLY")["schedule_slip_days"] == -10  # delivered: 03-21 - 03-31
    assert row(out, "2026-04-01", "LATE")["schedule_slip_days"] == 3  # 03-04 - 03-01
    assert row(out, "2026-04-01", "CANC")["schedule_slip_days"] == -121  # 03-01 - 06-30
    # before its actual end LATE is still active: max(0, D - planned end)
    assert row(out, "2026-03-03", "LATE")["state"] == "active"
    assert row(out, "2026-03-03", "LATE")["schedule_slip_days"] == 2  # 03-03 - 03-01
    # EARLY while active at 03-10: max(0, 03-10 - 03-31) = 0
    assert row(out, "2026-03-10", "EARLY")["schedule_slip_days"] == 0
    # CANC while active at 02-20 (actual end 03-01 > D): max(0, 02-20 - 06-30) = 0
    assert row(out, "2026-02-20", "CANC")["schedule_slip_days"] == 0


# --------------------------------------------------------------------------- licences and usage

def test_licences_live_and_active_users_at_d():
    d = "2026-03-10"  # W7 = 2026-03-04 ... 2026-03-10
    valid = valid_dataset(
        projects=[{"project_id": "P1"}],
        licenses=[
            {"license_id": "LA", "product": "Suite", "seats": "10", "start_date": "2026-01-01"},  # open-ended
            {"license_id": "LB", "product": "Suite", "seats": "5", "start_date": "2026-02-01",
             "end_date": "2026-03-10"},  # ends on D: still live
            {"license_id": "LC", "product": "Analytics", "seats": "20", "start_date": "2026-03-10"},  # starts on D
            {"license_id": "LD", "product": "Mobile", "seats": "7", "start_date": "2026-01-01",
             "end_date": "2026-03-09"},  # ended the day before D: not live
            {"license_id": "LE", "product": "Cloud", "seats": "3", "start_date": "2026-03-11"},  # not yet
        ],
        usage=[
            {"license_id": "LA", "usage_date": "2026-03-04", "active_users": "8"},   # D-6: in W7, older
            {"license_id": "LA", "usage_date": "2026-03-08", "active_users": "6"},   # latest in W7 -> 6
            {"license_id": "LA", "usage_date": "2026-03-11", "active_users": "99"},  # after D: ignored
            {"license_id": "LB", "usage_date": "2026-03-03", "active_users": "5"},   # D-7: outside W7 -> 0
            {"license_id": "LC", "usage_date": "2026-03-10", "active_users": "3"},   # on D -> 3
            {"license_id": "LD", "usage_date": "2026-03-09", "active_users": "50"},  # licence not live
            {"license_id": "LE", "usage_date": "2026-03-10", "active_users": "40"},  # licence not live
        ],
    )
    out = project_daily(valid, "2026-03-10", "2026-03-11")
    r = row(out, d, "P1")
    assert r["products_live"] == 2  # distinct {Suite (LA, LB), Analytics (LC)}
    assert r["seats_live"] == 35  # 10 + 5 + 20
    assert r["active_users"] == 9  # LA 6 (latest, not max 8 nor sum 14) + LB 0 + LC 3
    assert r["seat_utilization"] == pytest.approx(9 / 35)
    assert r["top_product"] == "Suite"  # Suite 6 + 0 = 6 > Analytics 3

    # next day, 03-11 (W7 = 03-05 ... 03-11): LB ended 03-10 (not live), LE started (live);
    # LA's latest reading is now 03-11 = 99; LC 3 (03-10); LE 40 (03-10)
    n = row(out, "2026-03-11", "P1")
    assert n["products_live"] == 3  # Suite (LA), Analytics (LC), Cloud (LE)
    assert n["seats_live"] == 33  # 10 + 20 + 3
    assert n["active_users"] == 142  # 99 + 3 + 40
    assert n["seat_utilization"] == pytest.approx(142 / 33)
    assert n["top_product"] == "Suite"  # 99 > Cloud 40 > Analytics 3


def test_top_product_sums_per_product_and_breaks_ties_by_name():
    d = "2026-03-10"
    valid = valid_dataset(
        projects=[{"project_id": "PSUM"}, {"project_id": "PTIE"}],
        licenses=[
            {"license_id": "Z1", "project_id": "PSUM", "product": "Zeta"},
            {"license_id": "Z2", "project_id": "PSUM", "product": "Zeta"},
            {"license_id": "A1", "project_id": "PSUM", "product": "Alpha"},
            {"license_id": "TB", "project_id": "PTIE", "product": "Beta"},
            {"license_id": "TA", "project_id": "PTIE", "product": "Alpha"},
        ],
        usage=[
            {"license_id": "Z1", "usage_date": d, "active_users": "3"},
            {"license_id": "Z2", "usage_date": d, "active_users": "3"},
            {"license_id": "A1", "usage_date": d, "active_users": "5"},
            {"license_id": "TB", "usage_date": d, "active_users": "4"},
            {"license_id": "TA", "usage_date": d, "active_users": "4"},
        ],
    )
    out = project_daily(valid, d)
    s = row(out, d, "PSUM")
    assert s["top_product"] == "Zeta"  # Zeta 3 + 3 = 6 > Alpha 5 (though Alpha has the biggest licence)
    assert s["active_users"] == 11  # 3 + 3 + 5
    assert s["seats_live"] == 30  # 3 licences x 10 default seats
    assert s["products_live"] == 2
    assert s["seat_utilization"] == pytest.approx(11 / 30)
    t = row(out, d, "PTIE")
    assert t["top_product"] == "Alpha"  # Alpha 4 = Beta 4: first by name
    assert t["active_users"] == 8
    assert t["seat_utilization"] == pytest.approx(0.4)  # 8 / 20


def test_licence_usage_edges_zero_users_no_licences_zero_seats():
    d = "2026-03-10"
    valid = valid_dataset(
        projects=[{"project_id": "PQUIET"}, {"project_id": "PNONE"}, {"project_id": "PZERO"},
                  {"project_id": "POLD"}, {"project_id": "PEDGE"}],
        licenses=[
            {"license_id": "LQ", "project_id": "PQUIET", "product": "Suite", "seats": "10"},
            {"license_id": "LZ", "project_id": "PZERO", "product": "Edge", "seats": "0"},
            {"license_id": "LO", "project_id": "POLD", "product": "Suite", "seats": "4"},
            {"license_id": "LW", "project_id": "PEDGE", "product": "Suite", "seats": "4"},
        ],
        usage=[
            {"license_id": "LZ", "usage_date": "2026-03-09", "active_users": "2"},
            {"license_id": "LO", "usage_date": "2026-03-01", "active_users": "4"},  # before W7 (03-04..03-10)
            {"license_id": "LW", "usage_date": "2026-03-04", "active_users": "3"},  # D-6: first day of W7
        ],
    )
    out = project_daily(valid, d)
    q = row(out, d, "PQUIET")  # a live licence without usage rows: 0 active users
    assert (q["products_live"], q["seats_live"], q["active_users"]) == (1, 10, 0)
    assert q["seat_utilization"] == pytest.approx(0.0)  # 0 / 10
    assert pd.isna(q["top_product"])  # active_users is 0
    n = row(out, d, "PNONE")  # no licences at all
    assert (n["products_live"], n["seats_live"], n["active_users"]) == (0, 0, 0)
    assert pd.isna(n["seat_utilization"])  # 0 / 0
    assert pd.isna(n["top_product"])
    z = row(out, d, "PZERO")  # 0 seats, 2 users
    assert (z["products_live"], z["seats_live"], z["active_users"]) == (1, 0, 2)
    assert pd.isna(z["seat_utilization"])  # 2 / 0: denominator 0 -> null
    assert z["top_product"] == "Edge"
    o = row(out, d, "POLD")  # only an older reading outside W7
    assert o["active_users"] == 0
    assert o["seat_utilization"] == pytest.approx(0.0)  # 0 / 4
    assert pd.isna(o["top_product"])
    w = row(out, d, "PEDGE")  # only a reading on the first day of W7: it counts
    assert w["active_users"] == 3
    assert w["seat_utilization"] == pytest.approx(0.75)  # 3 / 4
    assert w["top_product"] == "Suite"


# --------------------------------------------------------------------------- health

def test_health_each_trigger():
    d = "2026-03-10"  # default project: active, start 01-01, planned end 06-30 (slip 0), budget 10000
    valid = valid_dataset(
        projects=[{"project_id": p} for p in ("GREEN", "COST", "VAR0", "BURN", "BURN90", "MS2", "MS1")]
        + [
            {"project_id": "HOLD", "status": "on_hold"},
            {"project_id": "SLIP15", "planned_end_date": "2026-02-23"},  # 03-10 - 02-23 = 15
            {"project_id": "SLIP14", "planned_end_date": "2026-02-24"},  # 14
            {"project_id": "SLIP1", "planned_end_date": "2026-03-09"},   # 1
            {"project_id": "SLIP0", "planned_end_date": "2026-03-10"},   # 0
            {"project_id": "DONE", "status": "delivered", "actual_end_date": "2026-03-01"},
            {"project_id": "DROP", "status": "cancelled", "actual_end_date": "2026-03-01"},
        ],
        expenses=[
            {"project_id": "COST", "amount": "10001"},   # variance 1 > 0 -> red
            {"project_id": "VAR0", "amount": "10000"},   # variance 0 (not > 0); burn 1.0 > 0.9 -> amber
            {"project_id": "BURN", "amount": "9001"},    # burn 0.9001 > 0.9 -> amber
            {"project_id": "BURN90", "amount": "9000"},  # burn 0.9 exactly, not > 0.9 -> green
            {"project_id": "DONE", "amount": "20000"},   # would be red, but not active
        ],
        milestones=[
            {"project_id": "MS2", "due_date": "2026-03-01"}, {"project_id": "MS2", "due_date": "2026-03-02"},
            {"project_id": "MS1", "due_date": "2026-03-01"},
            {"project_id": "MS1", "due_date": "2026-03-10"},  # due on D: not overdue
            {"project_id": "DROP", "due_date": "2026-02-01"}, {"project_id": "DROP", "due_date": "2026-02-02"},
        ],
    )
    out = project_daily(valid, d)
    expected = {
        "GREEN": "green",
        "COST": "red",     # cost_variance 10001 - 10000 = 1 > 0
        "VAR0": "amber",   # cost_variance 0; budget_burn 10000/10000 = 1.0 > 0.9
        "BURN": "amber",   # budget_burn 9001/10000 = 0.9001 > 0.9
        "BURN90": "green",  # budget_burn 0.9, not > 0.9
        "MS2": "red",      # 2 overdue milestones
        "MS1": "amber",    # 1 overdue milestone
        "SLIP15": "red",   # schedule_slip_days 15 > 14
        "SLIP14": "amber",  # 14: not > 14, but > 0
        "SLIP1": "amber",  # 1 > 0
        "SLIP0": "green",  # 0
        "HOLD": "green",   # on_hold counts as active
    }
    for pid, health in expected.items():
        assert row(out, d, pid)["health"] == health, pid
    assert row(out, d, "SLIP15")["schedule_slip_days"] == 15
    assert row(out, d, "SLIP14")["schedule_slip_days"] == 14
    assert row(out, d, "VAR0")["budget_burn"] == pytest.approx(1.0)
    assert row(out, d, "VAR0")["cost_variance"] == pytest.approx(0.0)
    assert pd.isna(row(out, d, "DONE")["health"])  # delivered: null even with cost overrun
    assert pd.isna(row(out, d, "DROP")["health"])  # cancelled: null even with 2 overdue milestones


# --------------------------------------------------------------------------- the customer's voice

def test_feedback_responses_and_nps_180d_per_project():
    # W180 ending 06-29 = 01-01 .. 06-29 (06-29 - 179 days); ending 06-30 = 01-02 .. 06-30
    valid = valid_dataset(
        projects=[{"project_id": "P1"}, {"project_id": "P2"}, {"project_id": "P3"}],
        feedback=[
            {"feedback_id": "f1", "project_id": "P1", "score": "10", "submitted_at": "2026-01-01T00:00:00Z"},  # first day
            {"feedback_id": "f2", "project_id": "P1", "score": "6", "submitted_at": "2026-06-29T23:59:00Z"},  # on D
            {"feedback_id": "f3", "project_id": "P1", "score": "9", "submitted_at": "2026-03-01T12:00:00Z"},
            {"feedback_id": "f4", "project_id": "P1", "score": "0", "submitted_at": "2025-12-31T23:59:00Z"},  # out
            {"feedback_id": "f5", "project_id": "P1", "respondent": "engineer", "score": "0",
             "submitted_at": "2026-03-01T12:00:00Z"},  # a team response: not a customer response
            {"feedback_id": "f6", "project_id": "GHOST", "score": "0", "submitted_at": "2026-03-01T12:00:00Z"},
            {"feedback_id": "f7", "score": "0", "submitted_at": "2026-03-01T12:00:00Z"},  # no project
            {"feedback_id": "f8", "project_id": "P2", "score": "7", "submitted_at": "2026-02-01T12:00:00Z"},
        ])
    out = project_daily(valid, "2026-06-29", "2026-06-30")
    p1 = row(out, "2026-06-29", "P1")
    # f1, f2, f3 (not f4: 12-31; not f5: engineer); promoters f1, f3 = 2, detractors f2 = 1
    # NPS = 100 x (2 - 1) / 3 = 33.33...
    assert p1["feedback_responses_180d"] == 3
    assert p1["nps_180d"] == pytest.approx(100 / 3)
    p1 = row(out, "2026-06-30", "P1")  # f1 (01-01) has left: f2, f3 -> 100 x (1 - 1) / 2 = 0
    assert p1["feedback_responses_180d"] == 2
    assert p1["nps_180d"] == pytest.approx(0.0)
    p2 = row(out, "2026-06-29", "P2")  # f8, a passive: 100 x (0 - 0) / 1 = 0, not null
    assert p2["feedback_responses_180d"] == 1 and p2["nps_180d"] == 0.0
    p3 = row(out, "2026-06-29", "P3")  # none: 0 responses, NPS null; f6 (GHOST) and f7 are on no project
    assert p3["feedback_responses_180d"] == 0 and pd.isna(p3["nps_180d"])
    assert out["feedback_responses_180d"].sum() == 3 + 2 + 1 + 1  # P1 3 + 2, P2 1 + 1: nothing else
    assert pd.api.types.is_integer_dtype(out["feedback_responses_180d"])


def test_feedback_180d_in_the_business_time_zone():
    # America/New_York is UTC-5 in January. D = 06-29, W180 = 01-01 .. 06-29 (local dates)
    valid = valid_dataset(projects=[{"project_id": "P1"}], feedback=[
        # 01-01T03:00Z = 12-31 22:00 local: out (in UTC it is 01-01, in)
        {"project_id": "P1", "score": "0", "submitted_at": "2026-01-01T03:00:00Z"},
        # 06-30T03:00Z = 06-29 23:00 local (UTC-4 in June): in (in UTC it is 06-30, after D)
        {"project_id": "P1", "score": "10", "submitted_at": "2026-06-30T03:00:00Z"},
    ])
    local = row(project_daily(valid, "2026-06-29", tz="America/New_York"), "2026-06-29", "P1")
    assert (local["feedback_responses_180d"], local["nps_180d"]) == (1, 100.0)  # 100 x (1 - 0) / 1
    utc = row(project_daily(valid, "2026-06-29"), "2026-06-29", "P1")
    assert (utc["feedback_responses_180d"], utc["nps_180d"]) == (1, -100.0)  # 100 x (0 - 1) / 1
