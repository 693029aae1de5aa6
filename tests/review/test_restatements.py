"""Restatements: a publish that replaces a date published before records, in its transaction, each
portfolio_daily figure whose value changes (old and new value, the run that first published the
old one, the run that changed it); equal values, NaN = NaN included, record nothing."""
from __future__ import annotations

import datetime as dt
import logging
import uuid

import numpy as np
import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa
from builders import dataset, marts

from schemas.config import Settings
from tasks import pipeline
from tasks.warehouse.publish import RunRecord, changed_figures, publish_marts

D1, D2 = dt.date(2026, 3, 1), dt.date(2026, 3, 2)
WON = {"deal_id": "D1", "stage": "won", "created_at": "2026-01-10T00:00:00Z", "closed_at": "2026-02-20T00:00:00Z"}


def won_deal(amount: str) -> dict[str, pd.DataFrame]:
    """One deal won on 2026-02-20: bookings_30d as of D1 and D2 is its amount (the deal closed in
    both dates' 30-day windows); nothing else of the portfolio depends on the amount."""
    return marts(dataset(deals=[{**WON, "amount": amount}]), D1, D2)


def run_record(run_id: str, finished: dt.datetime) -> RunRecord:
    """What a completed run leaves in run_log (the first run to publish a date is found there)."""
    return RunRecord(run_id, {"run_id": run_id, "flow": "backfill", "as_of_start": D1, "as_of_end": D2,
                              "started_at": finished, "finished_at": finished, "status": "completed"})


def restatements(wh) -> pd.DataFrame:
    frame = pd.read_sql_table("restatements", wh.engine, schema=wh.schema)
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame.sort_values(["run_id", "as_of_date", "metric"], ignore_index=True)


@pytest.fixture(scope="module")
def before_and_after() -> tuple[dict, dict]:
    return won_deal("1000"), won_deal("1500")


def test_a_changed_figure_is_recorded_with_old_new_and_the_first_run(any_wh, before_and_after):
    before, after = before_and_after
    t0 = dt.datetime(2026, 3, 3, 2, tzinfo=dt.UTC)
    written = publish_marts(any_wh, before, D1, D2, ("backfill", "r1"), run_record("r1", t0))
    assert written["restatements"] == 0  # a first publication restates nothing
    written = publish_marts(any_wh, after, D1, D2, ("backfill", "r2"), run_record("r2", t0 + dt.timedelta(days=1)))
    assert written["restatements"] == 2
    r = restatements(any_wh)
    # bookings_30d of both dates: 1000 (published by r1) → 1500 (published by r2); nothing else changed
    assert r[["as_of_date", "metric", "old_value", "new_value", "first_run_id", "run_id"]].to_dict("records") == [
        {"as_of_date": D1, "metric": "bookings_30d", "old_value": 1000.0, "new_value": 1500.0, "first_run_id": "r1",
         "run_id": "r2"},
        {"as_of_date": D2, "metric": "bookings_30d", "old_value": 1000.0, "new_value": 1500.0, "first_run_id": "r1",
         "run_id": "r2"}]
    assert r["restated_at"].notna().all()
    # the published table has the new value
    p = pd.read_sql_table("portfolio_daily", any_wh.engine, schema=any_wh.schema)
    assert p["bookings_30d"].tolist() == [1500.0, 1500.0]


def test_an_unchanged_rerun_records_none_and_a_second_change_names_the_run_before(any_wh, before_and_after):
    before, after = before_and_after
    t0 = dt.datetime(2026, 3, 3, 2, tzinfo=dt.UTC)
    publish_marts(any_wh, before, D1, D2, ("backfill", "r1"), run_record("r1", t0))
    assert publish_marts(any_wh, before, D1, D2, ("nightly_refresh", "r1b"),
                         run_record("r1b", t0 + dt.timedelta(hours=1)))["restatements"] == 0
    assert restatements(any_wh).empty  # same values, NaN figures (win rate …) included: nothing recorded
    publish_marts(any_wh, after, D1, D2, ("backfill", "r2"), run_record("r2", t0 + dt.timedelta(days=1)))
    publish_marts(any_wh, after, D1, D2, ("backfill", "r3"), run_record("r3", t0 + dt.timedelta(days=2)))
    publish_marts(any_wh, before, D1, D2, ("backfill", "r4"), run_record("r4", t0 + dt.timedelta(days=3)))
    r = restatements(any_wh)
    assert set(r["run_id"]) == {"r2", "r4"}  # r3 changed nothing
    back = r[r["run_id"] == "r4"]
    # 1500 was first published by r2 (the run of the previous restatement), not by r1
    assert back[["old_value", "new_value", "first_run_id"]].drop_duplicates().to_dict("records") == [
        {"old_value": 1500.0, "new_value": 1000.0, "first_run_id": "r2"}]


def test_a_publish_without_a_run_records_nothing(any_wh, before_and_after):
    before, after = before_and_after
    publish_marts(any_wh, before, D1, D2)
    assert "restatements" not in publish_marts(any_wh, after, D1, D2)
    assert restatements(any_wh).empty


def test_a_failed_publish_records_no_restatement(any_wh, before_and_after):
    before, after = before_and_after
    publish_marts(any_wh, before, D1, D2, ("backfill", "r1"))
    broken = {**after, "review_changes": after["review_changes"].assign(metric=None)}  # a null key fails the insert
    with pytest.raises((sa.exc.IntegrityError, psycopg.errors.IntegrityError)):  # COPY's error is psycopg's own
        publish_marts(any_wh, broken, D1, D2, ("backfill", "r2"))
    assert restatements(any_wh).empty


def test_equal_means_exactly_equal_with_nan_equal_to_nan():
    old = pd.DataFrame({"as_of_date": [D1, D2], "a": [1.0, np.nan], "b": [0.1 + 0.2, 5.0], "c": [-0.0, 7.0],
                        "d": [3, 4]})
    new = pd.DataFrame({"as_of_date": [D1, D2], "a": [1.0, np.nan], "b": [0.3, np.nan], "c": [0.0, 7.0],
                        "d": pd.array([3, None], dtype="Int64")})
    changed = changed_figures(old, new)
    # 0.1 + 0.2 != 0.3 (no tolerance); 5 → NaN and 4 → NA are changes; NaN → NaN and -0.0 → 0.0 are not
    assert changed.to_dict("records") == [
        {"as_of_date": D1, "metric": "b", "old_value": 0.1 + 0.2, "new_value": 0.3},
        {"as_of_date": D2, "metric": "b", "old_value": 5.0, "new_value": pytest.approx(np.nan, nan_ok=True)},
        {"as_of_date": D2, "metric": "d", "old_value": 4.0, "new_value": pytest.approx(np.nan, nan_ok=True)}]
    assert changed_figures(old.iloc[:0], new).empty  # nothing published before


def test_rerunning_a_backfill_after_changing_a_past_deal_records_the_restatement(tmp_path, wh):
    """End to end through the pipeline and its file drop, as `opsmetrics backfill` runs it."""
    log = logging.getLogger("test-restatements")

    def backfill(amount: str, run_id: str):
        drop = tmp_path / "drop"
        drop.mkdir(exist_ok=True)
        for name, frame in dataset(deals=[{**WON, "amount": amount}]).items():
            frame.to_csv(drop / f"{name}.csv", index=False)
        settings = Settings(sources={"files": {"path": str(drop)}}, reports_dir=str(tmp_path / "reports"))
        result = pipeline.backfill(settings, D1, D2, warehouse=wh, log=log, run_id=run_id)
        assert result.status == "completed", result.message
        return result

    backfill("1000", "first")
    assert backfill("1000", "unchanged").written["restatements"] == 0
    assert restatements(wh).empty
    assert backfill("1200", "changed").written["restatements"] == 2
    r = restatements(wh)
    assert set(zip(r["metric"], r["old_value"], r["new_value"], r["first_run_id"], r["run_id"], strict=True)) == {
        ("bookings_30d", 1000.0, 1200.0, "first", "changed")}
    assert (tmp_path / "reports" / f"review-{D2}.html").is_file()  # every successful run writes its pack


def test_migration_0006_adds_restatements_to_a_warehouse_at_0005(any_wh):
    from alembic import command

    from tasks.warehouse.migrate import alembic_config, current_revision, upgrade

    with any_wh.engine.begin() as conn:  # down to 0005: the table goes …
        command.downgrade(alembic_config(conn, any_wh.schema), "0005")
    assert current_revision(any_wh) == "0005"
    assert not sa.inspect(any_wh.engine).has_table("restatements", schema=any_wh.schema)
    upgrade(any_wh)  # … and up again
    assert current_revision(any_wh) >= "0006"
    inspector = sa.inspect(any_wh.engine)
    assert inspector.get_pk_constraint("restatements", schema=any_wh.schema)["constrained_columns"] == [
        "as_of_date", "metric", "run_id"]


def test_a_reader_granted_before_0006_reads_restatements():
    from pgserver import drop_schema, new_schema, require_pg

    from tasks.warehouse.access import grant_reader
    from tasks.warehouse.connect import Warehouse
    from tasks.warehouse.migrate import prepare, upgrade

    url = require_pg()
    schema, role = new_schema(), f"reader_{uuid.uuid4().hex[:8]}"
    wh = Warehouse.open(url, schema)
    upgrade(wh, "0005")
    grant_reader(wh, role, password="pw")
    prepare(wh)  # 0006: restatements created
    reader = sa.create_engine(wh.engine.url.set(username=role, password="pw"))
    try:
        with reader.connect() as conn:
            assert conn.execute(sa.text(f"SELECT count(*) FROM {wh.qualified('restatements')}")).scalar() == 0
            # commented like the other outputs (what BI tools show)
            table, column = conn.execute(sa.text("SELECT obj_description(CAST(:t AS regclass), 'pg_class'), "
                                                 "col_description(CAST(:t AS regclass), 5)"),
                                         {"t": f"{schema}.restatements"}).one()
            assert table.startswith("portfolio_daily figures that changed") and column.startswith("the run that first")
    finally:
        reader.dispose()
        with wh.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')
        wh.dispose()
        drop_schema(url, schema)
