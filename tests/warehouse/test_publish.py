"""Publishing: a date written again replaces its rows, and a failed publish changes nothing."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa
from builders import dataset

from tasks.marts.build import build_marts
from tasks.staging.stage import stage_sources
from tasks.warehouse.migrate import prepare
from tasks.warehouse.publish import publish_marts, replace_quarantine

D1, D2 = dt.date(2026, 3, 1), dt.date(2026, 3, 3)


@pytest.fixture(scope="module")
def marts():
    raw = dataset(leads=[{"lead_id": "L1"}], deals=[{"deal_id": "D1", "stage": "won", "closed_at": "2026-02-01T00:00:00Z"}],
                  projects=[{"project_id": "P1", "deal_id": "D1"}], time_entries=[{"entry_id": "T1"}])
    staged = stage_sources(raw, "USD")
    return build_marts(staged.valid, "UTC", D1, D2)


@pytest.fixture
def wh(warehouse):
    prepare(warehouse)
    return warehouse


def table(wh, name) -> pd.DataFrame:
    frame = pd.read_sql_table(name, wh.engine, schema=wh.schema)
    key = [c for c in ("as_of_date", "project_id", "channel", "dimension", "segment", "metric", "week_start", "role",
                       "phase", "entity", "record_id") if c in frame]
    return frame.sort_values(key, ignore_index=True)


def test_rerun_gives_the_same_rows_not_duplicates(wh, marts):
    publish_marts(wh, marts, D1, D2)
    first = {n: table(wh, n) for n in marts}
    publish_marts(wh, marts, D1, D2)
    for name, frame in first.items():
        pd.testing.assert_frame_equal(table(wh, name), frame)
    assert len(first["portfolio_daily"]) == 3 and len(first["funnel_by_channel_daily"]) == 3 * 8


def test_writing_a_date_replaces_only_that_date(wh, marts):
    publish_marts(wh, marts, D1, D2)
    one = {n: (f[f["as_of_date"] == D2] if "as_of_date" in f else f) for n, f in marts.items()}
    one["portfolio_daily"] = one["portfolio_daily"].assign(leads_created_30d=99)
    publish_marts(wh, one, D2, D2)
    p = table(wh, "portfolio_daily").set_index("as_of_date")["leads_created_30d"]
    assert len(p) == 3 and p[pd.Timestamp(D2)] == 99 and p[pd.Timestamp(D1)] != 99


def test_a_failed_publish_leaves_every_table_as_it_was(wh, marts):
    publish_marts(wh, marts, D1, D2)
    before = {n: table(wh, n) for n in marts}
    broken = dict(marts)
    # the last table written has a row with no key: the database refuses it mid-transaction
    broken["effort_weekly"] = pd.concat([marts["effort_weekly"], marts["effort_weekly"].assign(week_start=None)])
    broken["portfolio_daily"] = marts["portfolio_daily"].assign(leads_created_30d=12345)
    with pytest.raises((sa.exc.IntegrityError, psycopg.errors.IntegrityError)):  # COPY raises psycopg's own
        publish_marts(wh, broken, D1, D2)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(table(wh, name), frame)


def test_quarantine_is_replaced_per_entity_read(wh):
    q = pd.DataFrame({"entity": ["leads", "deals"], "record_id": ["L1", "D1"], "rule": ["r", "r"],
                      "detail": ["d", "d"], "record": ["{}", "{}"]})
    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    replace_quarantine(wh, "run1", q, ["leads", "deals"], at)
    replace_quarantine(wh, "run2", q.iloc[:0], ["leads"], at)  # run2 read leads only, found none bad
    left = table(wh, "quarantine")
    assert list(left["entity"]) == ["deals"] and list(left["run_id"]) == ["run1"]


def test_two_runs_publishing_the_same_dates_at_once_leave_one_set_of_rows(wh, marts):
    import threading

    errors = []

    def run():
        try:
            publish_marts(wh, marts, D1, D2)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for name, frame in marts.items():
        assert len(table(wh, name)) == len(frame), name


def test_a_long_range_published_in_slices_equals_it_published_in_one_pass(warehouse, tmp_path):
    """MartSlices: 10 dates in slices of 4 (4 + 4 + 2, computed as they are published) leave the
    same rows, ledger and restatements as the 10 dates computed at once; effort_weekly once."""
    from tasks.marts.build import MartSlices, slices
    from tasks.marts.facts import build_facts
    from tasks.warehouse.connect import Warehouse

    raw = dataset(leads=[{"lead_id": "L1", "created_at": "2026-03-02T10:00:00Z"}],
                  deals=[{"deal_id": "D1", "stage": "won", "created_at": "2026-02-01T00:00:00Z",
                          "closed_at": "2026-03-05T00:00:00Z"}],
                  projects=[{"project_id": "P1", "deal_id": "D1"}], time_entries=[{"entry_id": "T1"}])
    valid = stage_sources(raw, "USD").valid
    start, end = dt.date(2026, 3, 1), dt.date(2026, 3, 10)
    assert slices(start, end, 4) == [(start, dt.date(2026, 3, 4)), (dt.date(2026, 3, 5), dt.date(2026, 3, 8)),
                                     (dt.date(2026, 3, 9), end)]
    one_pass = Warehouse.open(f"sqlite:///{tmp_path / 'one-pass.db'}")
    for wh in (warehouse, one_pass):
        prepare(wh)
    whole = publish_marts(one_pass, build_marts(valid, "UTC", start, end), start, end, ("backfill", "r1"))
    sliced = MartSlices(build_facts(valid, "UTC"), start, end, days=4)
    parts = publish_marts(warehouse, sliced, start, end, ("backfill", "r1"))
    assert parts == whole and whole["portfolio_daily"] == 10  # one row per date, from the three slices
    assert len(sliced.portfolio) == 10 and sliced.portfolio["as_of_date"].iloc[-1] == end
    for name in ("portfolio_daily", "project_daily", "review_changes", "effort_weekly", "partition_runs"):
        mine, theirs = table(warehouse, name), table(one_pass, name)
        if name == "partition_runs":
            mine, theirs = (f.drop(columns=[c for c in f if c.endswith("_at") or c == "worker"]) for f in (mine, theirs))
        pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)


def test_without_effort_a_publish_leaves_effort_weekly_as_it_was(warehouse):
    """A backfill's chunks but its first publish with effort=False (flows/backfill.py): their dates
    replaced, effort_weekly not touched, in one pass or in slices."""
    from tasks.marts.build import MartSlices
    from tasks.marts.facts import build_facts

    raw = dataset(projects=[{"project_id": "P1"}], time_entries=[{"entry_id": "T1", "work_date": "2026-03-02"}])
    valid = stage_sources(raw, "USD").valid
    start, end = dt.date(2026, 3, 1), dt.date(2026, 3, 10)
    prepare(warehouse)
    first = publish_marts(warehouse, build_marts(valid, "UTC", start, start), start, start)
    assert first["effort_weekly"] == 1  # T1: one (week, project, role, phase) row
    kept = table(warehouse, "effort_weekly")
    emptied = stage_sources(dataset(projects=[{"project_id": "P1"}], time_entries=[]), "USD").valid
    one = publish_marts(warehouse, build_marts(emptied, "UTC", start, start, effort=False), start, start)
    sliced = publish_marts(warehouse, MartSlices(build_facts(emptied, "UTC"), start, end, days=4, effort=False),
                           start, end)
    assert "effort_weekly" not in one and "effort_weekly" not in sliced
    assert sliced["portfolio_daily"] == 10  # the dates are replaced all the same
    # with effort, the emptied sources would have left effort_weekly empty
    pd.testing.assert_frame_equal(table(warehouse, "effort_weekly"), kept)
