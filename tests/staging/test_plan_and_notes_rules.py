"""The rules of SOURCES.md's `targets` and `review_notes` (the plan and the review's notes, issue 23):
a row that breaks a rule is quarantined with the rule's name, a row that keeps it is valid. The
expected rule of each row is worked out by hand from SOURCES.md, in the comment beside it."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from builders import PORTFOLIO_METRICS, dataset, rows

from schemas.sources import DECISIONS, ENTITIES
from tasks.sources.base import SourceError
from tasks.sources.files import read_entity_file
from tasks.staging.stage import stage_sources

TARGETS, NOTES = ENTITIES["targets"], ENTITIES["review_notes"]


def stage(**entities):
    return stage_sources(dataset(**entities), "USD")


def rules_of(staged, entity: str) -> dict[str, str]:
    """record_id → rule of the quarantined rows of one entity."""
    q = staged.quarantine[staged.quarantine["entity"] == entity]
    return dict(zip(q["record_id"], q["rule"], strict=True))


def target(month: str = "2026-03-01", **fields) -> dict[str, str]:
    return {"metric": "bookings_30d", "month": month, **fields}


# --- the declarations ---------------------------------------------------------------------------------

def test_both_are_optional_kept_by_hand_and_come_last_without_parents():
    names = list(ENTITIES)
    assert names[-2:] == ["targets", "review_notes"]
    assert TARGETS.optional and NOTES.optional and TARGETS.kept_by_hand and NOTES.kept_by_hand
    assert [n for n, e in ENTITIES.items() if e.kept_by_hand] == ["targets", "review_notes"]
    assert not TARGETS.parents and not NOTES.parents
    assert TARGETS.key == ("metric", "month") and TARGETS.version_column is None  # no updated_at
    assert NOTES.key == ("note_id",) and NOTES.version_column == "updated_at"


def test_a_metric_is_any_column_of_portfolio_daily_but_as_of_date():
    # builders.PORTFOLIO_METRICS is METRICS.md's list written out by hand: the declaration reads the
    # code's portfolio_daily, so the two agree only if portfolio_daily is the spec's
    assert TARGETS.column("metric").values == NOTES.column("metric").values == tuple(PORTFOLIO_METRICS)
    assert NOTES.column("decision").values == DECISIONS == ("keep", "drop", "watch", "fix")


# --- targets.metric: an enum, required ----------------------------------------------------------------

@pytest.mark.parametrize("text,rule", [
    ("bookings_30d", None), ("hours_7d", None), ("nps_90d", None), ("feedback_responses_7d", None),
    (" Win_Rate_90D ", None),  # enums are matched after trimming and lower-casing
    ("as_of_date", "enum:metric"),  # a column of portfolio_daily, but not a metric
    ("revenue", "enum:metric"), ("bookings", "enum:metric"),  # not a column of portfolio_daily
    ("health", "enum:metric"),  # a column of project_daily, not of portfolio_daily
    ("", "required:metric"), ("  ", "required:metric"),
])
def test_target_metric_is_a_portfolio_metric(text, rule):
    s = stage(targets=[target(metric=text)])
    assert rules_of(s, "targets") == ({} if rule is None else {f"{text.strip()}|2026-03-01": rule})
    if rule is None:
        assert s.valid["targets"].loc[0, "metric"] == text.strip().lower()


# --- targets.month: a date, the first day of a month, else `range` -------------------------------------

@pytest.mark.parametrize("text,rule", [
    ("2026-03-01", None), ("2024-02-01", None), (" 2026-12-01 ", None),
    ("2026-03-15", "range:month"), ("2026-03-31", "range:month"), ("2026-02-02", "range:month"),
    ("2026-02-30", "type:month"),  # no such day: unparseable, so `type`, not also `range`
    ("2026-03", "type:month"), ("03/01/2026", "type:month"), ("2026-03-01T00:00:00Z", "type:month"),
    ("", "required:month"),
])
def test_month_is_the_first_day_of_a_month(text, rule):
    s = stage(targets=[target(month=text)])
    assert rules_of(s, "targets") == ({} if rule is None else {f"bookings_30d|{text.strip()}": rule})
    if rule is None:
        assert s.valid["targets"].loc[0, "month"] == pd.Timestamp(text.strip())


def test_a_month_not_on_its_first_day_is_reported_like_a_range_with_its_value():
    raw = dataset(targets=rows("targets", target(month="2026-03-15")))
    raw["targets"].attrs["source"] = "targets.csv"
    q = stage_sources(raw, "USD").quarantine
    assert q[["entity", "record_id", "rule"]].to_dict("records") == [
        {"entity": "targets", "record_id": "bookings_30d|2026-03-15", "rule": "range:month"}]
    assert q.iloc[0]["detail"] == "targets.csv line 2: month must be the first day of a month; got '2026-03-15'"


# --- targets.target: a decimal, required, a sign allowed ----------------------------------------------

@pytest.mark.parametrize("text,value", [("120000", 120000.0), ("-12.5", -12.5), ("0", 0.0), ("+3", 3.0),
                                        ("1e3", 1000.0), ("0.35", 0.35), ("-0.02", -0.02)])
def test_any_plain_decimal_is_a_target_a_negative_one_too(text, value):
    # a target can be a fall (SOURCES.md): no minimum, so no `range` rule
    s = stage(targets=[target(target=text)])
    assert rules_of(s, "targets") == {} and s.valid["targets"].loc[0, "target"] == value


@pytest.mark.parametrize("text,rule", [("", "required:target"), ("ten", "type:target"), ("1,000", "type:target"),
                                       ("$100", "type:target"), ("NaN", "type:target"), ("1e999", "type:target")])
def test_a_target_that_is_no_plain_decimal_or_missing(text, rule):
    s = stage(targets=[target(target=text)])
    assert rules_of(s, "targets") == {"bookings_30d|2026-03-01": rule}


def test_owner_is_optional_free_text():
    s = stage(targets=[target(owner="  Ann Lee "), target(month="2026-04-01", owner="")])
    owners = s.valid["targets"].set_index("month")["owner"]
    assert owners[pd.Timestamp("2026-03-01")] == "Ann Lee" and pd.isna(owners[pd.Timestamp("2026-04-01")])


# --- targets: duplicate keys (no updated_at) -----------------------------------------------------------

def test_targets_with_the_same_key_collapse_when_identical_and_are_all_quarantined_when_they_differ():
    s = stage(targets=[
        # bookings_30d|2026-03-01: identical once parsed (100000 = 1e5, " Ann" = "Ann") → one row stands
        target(target="100000", owner="Ann"), target(target="1e5", owner=" Ann"),
        # hours_7d|2026-03-01: the same key (enums are lower-cased) and identical → one stands
        target(metric="hours_7d", target="300"), target(metric="Hours_7d", target="300.0"),
        # nps_90d|2026-03-01: two differ (30, 35) and a copy of the first: the copy collapses, then the
        # two that differ are both quarantined (no updated_at to tell which is true)
        target(metric="nps_90d", target="30"), target(metric="nps_90d", target="35"),
        target(metric="nps_90d", target="30"),
        # nps_90d|2026-04-01: differs only in its owner: still two versions of one target
        target(metric="nps_90d", month="2026-04-01", target="30", owner="Ann"),
        target(metric="nps_90d", month="2026-04-01", target="30", owner="Bo"),
    ])
    valid = s.valid["targets"]
    assert sorted(zip(valid["metric"], valid["target"], strict=True)) == [("bookings_30d", 100000.0), ("hours_7d", 300.0)]
    q = s.quarantine
    assert list(q["rule"]) == ["duplicate_key"] * 4
    assert sorted(q["record_id"]) == ["nps_90d|2026-03-01"] * 2 + ["nps_90d|2026-04-01"] * 2
    assert "2 rows with this key differ" in q.iloc[0]["detail"]
    c = s.counts.loc["targets"]
    # read 9 = valid 2 + quarantined 4 + collapsed 3 (one per identical pair or copy) + superseded 0
    assert (c["read"], c["valid"], c["quarantined"], c["collapsed"], c["superseded"]) == (9, 2, 4, 3, 0)


def test_a_bad_row_takes_no_part_in_the_duplicate_rules():
    # the second row has the same key and a target that does not parse: it is quarantined by its field
    # rule, and the first, alone among the rows that passed, stands (SOURCES.md, "Order of rules":
    # duplicate keys among the rows that passed the field rules)
    s = stage(targets=[target(target="100"), target(target="lots")])
    assert rules_of(s, "targets") == {"bookings_30d|2026-03-01": "type:target"}
    assert s.valid["targets"]["target"].tolist() == [100.0]


# --- review_notes: required columns -------------------------------------------------------------------

@pytest.mark.parametrize("column", ["note_id", "noted_on", "owner", "note", "updated_at"])
def test_required_note_values(column):
    s = stage(review_notes=[{"note_id": "N1", column: " "}])
    assert list(s.quarantine["rule"]) == [f"required:{column}"]


@pytest.mark.parametrize("column", ["metric", "subject", "decision", "follow_up_by", "closed_on"])
def test_optional_note_values_may_be_missing(column):
    s = stage(review_notes=[{"note_id": "N1", column: ""}])
    assert s.quarantine.empty and s.valid["review_notes"]["note_id"].tolist() == ["N1"]


@pytest.mark.parametrize("column,text,rule", [
    ("noted_on", "2026-01-32", "type:noted_on"), ("noted_on", "5 Jan", "type:noted_on"),
    ("follow_up_by", "next week", "type:follow_up_by"), ("closed_on", "2026/02/01", "type:closed_on"),
    ("updated_at", "yesterday", "type:updated_at"),
])
def test_note_dates_and_timestamps_must_parse(column, text, rule):
    s = stage(review_notes=[{"note_id": "N1", column: text}])
    assert rules_of(s, "review_notes") == {"N1": rule}


# --- review_notes: enums ------------------------------------------------------------------------------

@pytest.mark.parametrize("text,rule", [("cac_30d", None), (" CAC_30d", None), ("as_of_date", "enum:metric"),
                                       ("cac", "enum:metric"), ("project_id", "enum:metric")])
def test_a_note_metric_is_a_portfolio_metric_when_given(text, rule):
    s = stage(review_notes=[{"note_id": "N1", "metric": text}])
    assert rules_of(s, "review_notes") == ({} if rule is None else {"N1": rule})


@pytest.mark.parametrize("text,rule", [("keep", None), ("drop", None), ("watch", None), ("fix", None),
                                       (" Drop ", None), ("KEEP", None),
                                       ("maybe", "enum:decision"), ("dropped", "enum:decision")])
def test_decision_is_keep_drop_watch_or_fix(text, rule):
    s = stage(review_notes=[{"note_id": "N1", "decision": text}])
    assert rules_of(s, "review_notes") == ({} if rule is None else {"N1": rule})
    if rule is None:
        assert s.valid["review_notes"].loc[0, "decision"] == text.strip().lower()


def test_subject_and_owner_are_free_text_checked_against_nothing():
    # a campaign as channel/campaign, a project that exists nowhere: kept as written, trimmed
    s = stage(review_notes=[{"note_id": "N1", "subject": " paid_ads/Spring sale ", "owner": " Ann "},
                            {"note_id": "N2", "subject": "P-NONE"}])
    notes = s.valid["review_notes"].set_index("note_id")
    assert s.quarantine.empty
    assert notes.loc["N1", "subject"] == "paid_ads/Spring sale" and notes.loc["N1", "owner"] == "Ann"
    assert notes.loc["N2", "subject"] == "P-NONE"


# --- review_notes: follow_up_by and closed_on not before noted_on --------------------------------------

@pytest.mark.parametrize("follow_up,closed,rule", [
    ("2026-01-12", "2026-01-20", None),  # both after the meeting (2026-01-05)
    ("2026-01-05", "2026-01-05", None),  # on the meeting's day: ≥ holds
    ("2026-01-12", "2026-01-08", None),  # closed before the follow-up date, after the meeting: the
    #                                      contract orders each against noted_on only
    ("", "2026-01-08", None), ("2026-01-12", "", None),  # a rule on an optional column applies when set
    ("2026-01-04", "", "order:follow_up_by"),  # the day before the meeting
    ("", "2025-12-31", "order:closed_on"),
    ("2026-01-04", "2026-01-01", "order:follow_up_by"),  # both broken: the first in declared order
])
def test_follow_up_and_closing_are_not_before_the_meeting(follow_up, closed, rule):
    s = stage(review_notes=[{"note_id": "N1", "noted_on": "2026-01-05", "follow_up_by": follow_up,
                             "closed_on": closed}])
    assert rules_of(s, "review_notes") == ({} if rule is None else {"N1": rule})


def test_a_note_breaking_several_rules_is_recorded_once_with_every_detail():
    raw = dataset(review_notes=rows("review_notes", {"note_id": "N1", "noted_on": "2026-01-05", "owner": "",
                                                     "decision": "maybe", "closed_on": "2026-01-01"}))
    raw["review_notes"].attrs["source"] = "review_notes.csv"
    q = stage_sources(raw, "USD").quarantine
    # required (owner), then enum (decision), then order (closed_on): the first is the rule
    assert len(q) == 1 and q.iloc[0]["rule"] == "required:owner"
    assert q.iloc[0]["detail"] == ("review_notes.csv line 2: owner is required; got missing; decision must be one of "
                                   "keep, drop, watch, fix; got 'maybe'; closed_on must not be before noted_on; got "
                                   "'2026-01-01'")
    assert json.loads(q.iloc[0]["record"])["decision"] == "maybe"


# --- review_notes: duplicate keys (the latest updated_at stands) ---------------------------------------

def test_the_latest_version_of_a_note_stands_and_a_tie_is_quarantined():
    s = stage(review_notes=[
        {"note_id": "N1"}, {"note_id": "N1"},  # identical: collapse
        {"note_id": "N2", "decision": "watch", "updated_at": "2026-01-05T09:00:00Z"},  # older: superseded
        {"note_id": "N2", "decision": "drop", "closed_on": "2026-01-20", "updated_at": "2026-01-21T09:00:00Z"},
        {"note_id": "N3", "note": "a", "updated_at": "2026-01-05T09:00:00Z"},  # differ, tie (same instant): both out
        {"note_id": "N3", "note": "b", "updated_at": "2026-01-05T17:00:00+08:00"},
    ])
    notes = s.valid["review_notes"].set_index("note_id")
    assert sorted(notes.index) == ["N1", "N2"]
    assert notes.loc["N2", "decision"] == "drop" and notes.loc["N2", "closed_on"] == pd.Timestamp("2026-01-20")
    assert list(s.quarantine["rule"]) == ["duplicate_key"] * 2 and set(s.quarantine["record_id"]) == {"N3"}
    c = s.counts.loc["review_notes"]
    # read 6 = valid 2 + quarantined 2 + collapsed 1 + superseded 1
    assert (c["read"], c["valid"], c["quarantined"], c["collapsed"], c["superseded"]) == (6, 2, 2, 1, 1)


# --- optional files --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["targets", "review_notes"])
def test_a_missing_file_is_an_empty_entity(tmp_path, name):
    entity = ENTITIES[name]
    frame = read_entity_file(tmp_path, entity)  # neither .csv nor .parquet
    assert frame.empty and list(frame.columns) == entity.names
    assert "no such file; the entity is optional" in frame.attrs["source"]
    s = stage_sources(dataset(**{name: frame}), "USD")
    assert s.valid[name].empty and s.counts.loc[name, "read"] == 0 and s.quarantine.empty


def test_an_optional_file_that_exists_follows_every_rule_of_the_file_drop(tmp_path):
    (tmp_path / "targets.csv").write_text("metric,month,owner\nbookings_30d,2026-03-01,Ann\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"targets\.csv: missing required columns? 'target'"):
        read_entity_file(tmp_path, TARGETS)
    (tmp_path / "review_notes.csv").write_text(
        "note_id,noted_on,owner,note,updated_at,extra\nN1,2026-01-05,Ann,ok,2026-01-05T10:00:00Z,x\n", encoding="utf-8")
    frame = read_entity_file(tmp_path, NOTES)  # optional columns absent, an extra one ignored
    s = stage_sources(dataset(review_notes=frame), "USD")
    assert s.valid["review_notes"]["note_id"].tolist() == ["N1"] and s.valid["review_notes"]["metric"].isna().all()
