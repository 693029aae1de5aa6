"""effort_weekly against ../shared/spec/METRICS.md: every expected value is worked out by hand from
the definitions (not from the implementation), with the arithmetic in a comment.

Calendar: 2026-01-01 is a Thursday (its Monday is 2025-12-29); 2026-01-05 and 2026-01-12 are Mondays.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from builders import dataset, marts

KEY = ["week_start", "project_id", "role", "phase"]
ROLES = ("sales", "presales", "project_manager", "engineer", "consultant", "operations", "customer_success")


def effort(raw, start="2026-01-01", end=None) -> dict[tuple, tuple[float, float]]:
    """effort_weekly as {(week_start, project_id, role, phase): (hours, labour_cost)}."""
    out = marts(raw, start, end)["effort_weekly"]
    assert not out.duplicated(KEY).any(), out
    weeks = out["week_start"].map(lambda v: pd.Timestamp(v).date())
    return {(w, p, r, ph): (h, c) for w, p, r, ph, h, c
            in zip(weeks, out["project_id"], out["role"], out["phase"], out["hours"], out["labour_cost"])}


def _effort_dataset():
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
    return dataset(rate_card=rate_card, time_entries=entries, projects=projects)


def test_effort_weekly_groups_and_costs():
    got = effort(_effort_dataset())
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
    early = effort(_effort_dataset(), "2025-06-01")
    late = effort(_effort_dataset(), "2026-03-01", "2026-03-02")
    assert set(early) == set(late)
    for key in early:
        assert early[key] == pytest.approx(late[key]), key
    assert len(early) == 7


def test_effort_weekly_week_start_is_the_monday_for_every_weekday():
    # 2026-03-02 is a Monday: one hour each day Mon..Sun -> one row for the week, 7 h x 100 = 700
    entries = [{"work_date": f"2026-03-0{i}", "hours": "1"} for i in range(2, 9)]
    entries.append({"work_date": "2026-03-09", "hours": "1"})  # the next Monday
    got = effort(dataset(projects=[{"project_id": "P1"}], time_entries=entries))
    assert set(got) == {(dt.date(2026, 3, 2), "P1", "engineer", "implementation"),
                        (dt.date(2026, 3, 9), "P1", "engineer", "implementation")}
    assert got[(dt.date(2026, 3, 2), "P1", "engineer", "implementation")] == pytest.approx((7.0, 700.0))
    assert got[(dt.date(2026, 3, 9), "P1", "engineer", "implementation")] == pytest.approx((1.0, 100.0))


def test_effort_weekly_empty_without_entries():
    out = marts(dataset(projects=[{"project_id": "P1"}]), "2026-01-01")["effort_weekly"]
    assert out.empty
    assert list(out.columns) == ["week_start", "project_id", "role", "phase", "hours", "labour_cost"]
