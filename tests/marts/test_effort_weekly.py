"""effort_weekly against ../shared/spec/METRICS.md: every expected value is worked out by hand from
the definitions (not from the implementation), with the arithmetic in a comment. The datasets are
typed valid rows; one test goes through staging, end to end.

Calendar: 2026-01-01 is a Thursday (its Monday is 2025-12-29); 2026-01-05 and 2026-01-12 are Mondays.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from builders import as_date, dataset, marts, valid_dataset

from tasks.marts.build import build_marts
from tasks.marts.effort_weekly import effort_weekly
from tasks.marts.facts import build_facts

KEY = ["week_start", "project_id", "role", "phase"]
ROLES = ("sales", "presales", "project_manager", "engineer", "consultant", "operations", "customer_success")


def effort(valid) -> dict[tuple, tuple[float, float]]:
    """effort_weekly as {(week_start, project_id, role, phase): (hours, labour_cost)}."""
    return as_dict(effort_weekly(build_facts(valid, "UTC")))


def as_dict(out: pd.DataFrame) -> dict[tuple, tuple[float, float]]:
    assert not out.duplicated(KEY).any(), out
    weeks = out["week_start"].map(lambda v: pd.Timestamp(v).date())
    return {(w, p, r, ph): (h, c) for w, p, r, ph, h, c
            in zip(weeks, out["project_id"], out["role"], out["phase"], out["hours"], out["labour_cost"], strict=True)}


def _effort_records() -> dict[str, list[dict]]:
    rate_card = [{"role": r, "valid_from": "2020-01-01", "hourly_cost": "100"} for r in ROLES] + [
        {"role": "engineer", "valid_from": "2026-01-08", "hourly_cost": "120"},
        {"role": "consultant", "valid_from": "2026-01-01", "hourly_cost": "150"},
    ]
    entries = [
        {"project_id": "P1", "role": "engineer", "phase": "implementation", "work_date": "2026-01-05",
         "hours": "8"},  # Monday; rate 100
        {"project_id": "P1", "role": "engineer", "phase": "implementation", "work_date": "2026-01-11",
         "hours": "2", "person_id": "u2"},  # Sunday of the same week; rate 120 (from 01-08)
        {"project_id": "P1", "role": "engineer", "phase": "implementation", "work_date": "2026-01-12",
         "hours": "3"},  # next Monday; rate 120
        {"project_id": "P1", "role": "engineer", "phase": "acceptance", "work_date": "2026-01-07",
         "hours": "4"},  # other phase; rate 100 (01-07 < 01-08)
        {"project_id": "P1", "role": "consultant", "phase": "implementation", "work_date": "2026-01-07",
         "hours": "1.5"},  # other role; rate 150
        {"project_id": "P2", "role": "engineer", "phase": "implementation", "work_date": "2026-01-06",
         "hours": "5"},  # other project; rate 100
        {"project_id": "P2", "role": "engineer", "phase": "presales", "work_date": "2026-01-01",
         "hours": "2"},  # Thursday -> week of Monday 2025-12-29; rate 100
        {"project_id": "P2", "role": "engineer", "phase": "presales", "work_date": "2026-01-04",
         "hours": "0.25"},  # Sunday -> same week 2025-12-29; rate 100
        {"project_id": "P3", "role": "sales", "phase": "presales", "work_date": "2026-02-02",
         "hours": "6"},  # a planned project, a date after the as-of range: all valid entries count
    ]
    projects = [{"project_id": "P1"}, {"project_id": "P2", "status": "delivered", "actual_end_date": "2026-01-31"},
                {"project_id": "P3", "status": "planned"}]
    return {"rate_card": rate_card, "time_entries": entries, "projects": projects}


def _effort_dataset():
    return valid_dataset(**_effort_records())


def test_effort_weekly_groups_and_costs():
    # end to end (raw text -> staging -> marts): staging gives each entry the rate valid on its work_date
    got = as_dict(marts(dataset(**_effort_records()), "2026-01-01")["effort_weekly"])
    d = dt.date
    expected = {
        # 8 h x 100 (01-05, before engineer 120 from 01-08) + 2 h x 120 (01-11) = 800 + 240 = 1040
        (d(2026, 1, 5), "P1", "engineer", "implementation"): (10.0, 1040.0),
        (d(2026, 1, 12), "P1", "engineer", "implementation"): (3.0, 360.0),  # 3 h x 120
        (d(2026, 1, 5), "P1", "engineer", "acceptance"): (4.0, 400.0),  # 4 h x 100
        (d(2026, 1, 5), "P1", "consultant", "implementation"): (1.5, 225.0),  # 1.5 h x 150
        (d(2026, 1, 5), "P2", "engineer", "implementation"): (5.0, 500.0),  # 5 h x 100
        (d(2025, 12, 29), "P2", "engineer", "presales"): (2.25, 225.0),  # (2 + 0.25) h x 100
        (d(2026, 2, 2), "P3", "sales", "presales"): (6.0, 600.0),  # 6 h x 100 (sales from 2020-01-01)
    }
    # only combinations that have hours: no zero rows for other weeks/roles/phases
    assert set(got) == set(expected)
    for key, (hours, cost) in expected.items():
        assert got[key][0] == pytest.approx(hours), key
        assert got[key][1] == pytest.approx(cost), key


def test_effort_weekly_is_not_as_of():
    # the same table whatever as-of dates the run covers: it is built from all valid entries
    early = as_dict(build_marts(_effort_dataset(), "UTC", as_date("2025-06-01"), as_date("2025-06-01"))["effort_weekly"])
    late = as_dict(build_marts(_effort_dataset(), "UTC", as_date("2026-03-01"), as_date("2026-03-02"))["effort_weekly"])
    assert set(early) == set(late)
    for key in early:
        assert early[key] == pytest.approx(late[key]), key
    assert len(early) == 7


def test_effort_weekly_week_start_is_the_monday_for_every_weekday():
    # 2026-03-02 is a Monday: one hour each day Mon..Sun -> one row for the week, 7 h x 100 = 700
    entries = [{"work_date": f"2026-03-0{i}", "hours": "1"} for i in range(2, 9)]
    entries.append({"work_date": "2026-03-09", "hours": "1"})  # the next Monday
    got = effort(valid_dataset(projects=[{"project_id": "P1"}], time_entries=entries))
    assert set(got) == {(dt.date(2026, 3, 2), "P1", "engineer", "implementation"),
                        (dt.date(2026, 3, 9), "P1", "engineer", "implementation")}
    assert got[(dt.date(2026, 3, 2), "P1", "engineer", "implementation")] == pytest.approx((7.0, 700.0))
    assert got[(dt.date(2026, 3, 9), "P1", "engineer", "implementation")] == pytest.approx((1.0, 100.0))


def test_effort_weekly_empty_without_entries():
    out = effort_weekly(build_facts(valid_dataset(projects=[{"project_id": "P1"}]), "UTC"))
    assert out.empty
    assert list(out.columns) == ["week_start", "project_id", "role", "phase", "hours", "labour_cost"]
