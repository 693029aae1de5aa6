"""The ledger of as-of dates (partition_runs), the backfill's chunk plan and the nightly catch-up, run
in-process through tasks/pipeline.py: no Prefect server."""
from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import pytest
from builders import dataset

from schemas.config import Settings
from tasks import pipeline
from tasks.pipeline import MAX_CATCH_UP, catch_up_start, consecutive_ranges, yesterday
from tasks.warehouse.connect import Warehouse
from tasks.warehouse.ledger import mark_failed, nightly_watermark, unpublished
from tasks.warehouse.migrate import prepare
from tasks.warehouse.publish import publish_marts

D = dt.date(2026, 3, 1)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def test_consecutive_ranges_group_dates_into_chunks():
    dates = [D + days(i) for i in (0, 1, 2, 3, 4, 7, 8, 20)]
    assert consecutive_ranges(dates, 2) == [(D, D + days(1)), (D + days(2), D + days(3)), (D + days(4), D + days(4)),
                              (D + days(7), D + days(8)), (D + days(20), D + days(20))]
    assert consecutive_ranges(dates, None) == [(D, D + days(4)), (D + days(7), D + days(8)), (D + days(20), D + days(20))]
    assert consecutive_ranges([], 5) == []


@pytest.mark.parametrize("watermark,start", [
    (None, D),  # first run ever: yesterday only
    (D, D),  # nothing missed: yesterday is refreshed again
    (D - days(1), D),  # last night ran: only yesterday
    (D - days(4), D - days(3)),  # three nights missed: they and yesterday, once
    (D - days(400), D - days(MAX_CATCH_UP - 1)),  # a long outage: at most MAX_CATCH_UP nights
])
def test_catch_up_start(watermark, start):
    assert catch_up_start(watermark, D) == start


def ledger(wh: Warehouse) -> pd.DataFrame:
    frame = pd.read_sql_table("partition_runs", wh.engine)
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame.sort_values(["as_of_date", "flow"], ignore_index=True)


def test_published_in_the_publishing_transaction_and_failed_only_where_unpublished(wh):
    publish_marts(wh, {}, D, D + days(1), ("backfill", "run-1"))
    with wh.begin() as conn:
        mark_failed(conn, "backfill", "run-2", D, D + days(3))
    frame = ledger(wh)
    assert list(zip(frame["as_of_date"], frame["status"], frame["run_id"], strict=True)) == [
        (D, "published", "run-1"), (D + days(1), "published", "run-1"),
        (D + days(2), "failed", "run-2"), (D + days(3), "failed", "run-2")]
    assert unpublished(wh, D - days(1), D + days(3)) == [D - days(1), D + days(2), D + days(3)]


def test_only_nightly_runs_move_the_nightly_watermark(wh):
    publish_marts(wh, {}, D - days(5), D - days(5), ("nightly_refresh", "n1"))
    publish_marts(wh, {}, D - days(4), D, ("backfill", "b1"))
    assert nightly_watermark(wh) == D - days(5)


def write_drop(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in dataset(leads=[{"lead_id": f"L{i}"} for i in range(30)]).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return str(folder)


def settings_for(drop: str) -> Settings:
    return Settings(sources={"files": {"path": drop}})


LOG = logging.getLogger("test-ledger")


def test_nightly_catches_up_missed_nights_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    wh = Warehouse.open(url)
    prepare(wh)
    last = yesterday("UTC")
    publish_marts(wh, {}, last - days(4), last - days(4), ("nightly_refresh", "before-the-outage"))
    drop = write_drop(tmp_path / "drop")
    first = pipeline.nightly(settings_for(drop), warehouse=wh, log=LOG, run_id="n1")
    assert (first.start, first.end) == (last - days(3), last)  # the three missed nights and yesterday
    second = pipeline.nightly(settings_for(drop), warehouse=wh, log=LOG, run_id="n2")  # a stale run: nothing missed
    assert (second.start, second.end) == (last, last)
    nightly = ledger(wh).query("flow == 'nightly_refresh'")
    assert list(nightly["as_of_date"]) == [last - days(i) for i in (4, 3, 2, 1, 0)]
    dates = pd.read_sql("SELECT as_of_date, count(*) n FROM portfolio_daily GROUP BY as_of_date", wh.engine)
    assert list(dates["n"]) == [1, 1, 1, 1]
    wh.dispose()


def test_backfill_only_failed_computes_the_unpublished_dates(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    wh = Warehouse.open(url)
    prepare(wh)
    publish_marts(wh, {}, D + days(2), D + days(3), ("backfill", "earlier"))
    with wh.begin() as conn:
        mark_failed(conn, "backfill", "earlier-failed", D, D + days(6))
    drop = write_drop(tmp_path / "d")
    result = pipeline.backfill(settings_for(drop), D, D + days(6), only_failed=True, warehouse=wh, log=LOG, run_id="b1")
    assert result.status == "completed" and "in 2 passes" in result.message
    log = pd.read_sql("SELECT run_id, as_of_start, as_of_end FROM run_log", wh.engine)
    assert len(log) == 2 and log["run_id"].is_unique  # one run_log row per pass
    frame = ledger(wh)
    assert set(frame["status"]) == {"published"}
    assert dict(zip(frame["as_of_date"], frame["run_id"], strict=True))[D + days(2)] == "earlier"  # not recomputed
    again = pipeline.backfill(settings_for(drop), D, D + days(6), only_failed=True, warehouse=wh, log=LOG,
                              run_id="b2")
    assert again.message == "nothing to do"
    wh.dispose()
