"""targets and review_notes (METRICS.md, "targets, review_notes"): not as-of, the valid rows of the
entities of the same names, column for column, sorted by key; computed with the other tables not by
as-of date (`effort`) only."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from builders import valid_dataset

from schemas.sources import ENTITIES
from schemas.tables import REVIEW_NOTES, TARGETS
from tasks.marts.build import build_marts

D = dt.date(2026, 3, 1)


def test_the_tables_are_the_entities_column_for_column():
    assert TARGETS.names == ENTITIES["targets"].names and REVIEW_NOTES.names == ENTITIES["review_notes"].names
    assert TARGETS.key == ("metric", "month") and REVIEW_NOTES.key == ("note_id",)
    assert not TARGETS.as_of and not REVIEW_NOTES.as_of
    types = {c.name: c.type for c in (*TARGETS.columns, *REVIEW_NOTES.columns)}
    assert (types["month"], types["target"], types["noted_on"], types["updated_at"], types["owner"]) == (
        "date", "float", "date", "timestamp", "text")


def test_targets_are_the_valid_rows_sorted_by_metric_and_month():
    valid = valid_dataset(targets=[
        {"metric": "nps_90d", "month": "2026-02-01", "target": -5.0, "owner": "Bo"},
        {"metric": "bookings_30d", "month": "2026-03-01", "target": 120000.0},
        {"metric": "bookings_30d", "month": "2026-02-01", "target": 100000.0, "owner": "Ann"},
    ])
    out = build_marts(valid, "UTC", D, D)["targets"]
    assert out.columns.tolist() == TARGETS.names
    assert out.fillna({"owner": "(none)"}).to_dict("records") == [
        {"metric": "bookings_30d", "month": dt.date(2026, 2, 1), "target": 100000.0, "owner": "Ann"},
        {"metric": "bookings_30d", "month": dt.date(2026, 3, 1), "target": 120000.0, "owner": "(none)"},
        {"metric": "nps_90d", "month": dt.date(2026, 2, 1), "target": -5.0, "owner": "Bo"},  # a fall is a target
    ]


def test_review_notes_are_the_valid_rows_sorted_by_note_id_with_dates_as_dates():
    valid = valid_dataset(review_notes=[
        {"note_id": "N2", "noted_on": "2026-02-23", "metric": "cac_30d", "decision": "watch",
         "follow_up_by": "2026-03-02", "updated_at": "2026-02-23T10:00:00+08:00"},
        {"note_id": "N1", "noted_on": "2026-02-16", "subject": "paid_ads/Spring", "decision": "drop",
         "closed_on": "2026-02-23"},
    ])
    out = build_marts(valid, "UTC", D, D)["review_notes"]
    assert out.columns.tolist() == REVIEW_NOTES.names and out["note_id"].tolist() == ["N1", "N2"]
    first, second = out.to_dict("records")
    assert (first["noted_on"], first["follow_up_by"], first["closed_on"]) == (dt.date(2026, 2, 16), None,
                                                                             dt.date(2026, 2, 23))
    assert (second["noted_on"], second["follow_up_by"], second["closed_on"]) == (dt.date(2026, 2, 23),
                                                                               dt.date(2026, 3, 2), None)
    assert second["updated_at"] == pd.Timestamp("2026-02-23T02:00:00Z")  # the instant, in UTC
    assert (first["subject"], first["decision"], second["metric"]) == ("paid_ads/Spring", "drop", "cac_30d")


def test_without_a_plan_or_notes_the_tables_are_empty():
    marts = build_marts(valid_dataset(), "UTC", D, D)
    assert marts["targets"].empty and marts["targets"].columns.tolist() == TARGETS.names
    assert marts["review_notes"].empty and marts["review_notes"].columns.tolist() == REVIEW_NOTES.names


def test_they_are_computed_only_with_the_other_tables_not_by_as_of_date():
    # a backfill's chunks but the first (effort=False) leave every table not by as-of date alone
    marts = build_marts(valid_dataset(targets=[{"metric": "hours_7d"}]), "UTC", D, D, effort=False)
    assert "targets" not in marts and "review_notes" not in marts and "effort_weekly" not in marts
