"""The rules of SOURCES.md's `feedback` entity (and the campaign columns of leads and spend): a row
that breaks a rule is quarantined with the rule's name, a row that keeps it is valid."""
from __future__ import annotations

import json

import pytest
from builders import dataset, rows

from schemas.sources import ENTITIES, ROLES
from tasks.staging.stage import stage_sources


def stage(**entities):
    return stage_sources(dataset(**entities), "USD")


def rules_of(staged, entity: str = "feedback") -> dict[str, str]:
    """record_id → rule of the quarantined rows of one entity."""
    q = staged.quarantine[staged.quarantine["entity"] == entity]
    return dict(zip(q["record_id"], q["rule"], strict=True))


def valid_ids(staged) -> set[str]:
    return set(staged.valid["feedback"]["feedback_id"])


def test_feedback_is_declared_optional_after_projects():
    names = list(ENTITIES)
    # the plan and the review's notes are optional too (tests/staging/test_plan_and_notes_rules.py)
    assert [n for n, e in ENTITIES.items() if e.optional] == ["feedback", "targets", "review_notes"]
    # its soft reference to projects needs the projects staged first; the cascade order stays valid
    assert names.index("projects") < names.index("feedback")
    assert names.index("rate_card") < names.index("time_entries")


# --- score: an integer from 0 to 10 -------------------------------------------------------------------

@pytest.mark.parametrize("text,rule", [
    ("0", None), ("10", None), ("10.0", None), ("7", None), (" 9 ", None), ("1e1", None),
    ("5.5", "type:score"), ("nine", "type:score"), ("9/10", "type:score"), ("NaN", "type:score"),
    ("11", "range:score"), ("-1", "range:score"), ("", "required:score"),
])
def test_score_is_a_whole_number_from_0_to_10(text, rule):
    s = stage(feedback=[{"feedback_id": "F1", "score": text}])
    assert rules_of(s) == ({} if rule is None else {"F1": rule})
    if rule is None:
        assert s.valid["feedback"].loc[0, "score"] == float(text)


# --- respondent: customer, partner or a role ----------------------------------------------------------

@pytest.mark.parametrize("text", ["customer", "partner", *ROLES, " Customer ", "PARTNER"])
def test_respondent_is_customer_partner_or_a_role(text):
    s = stage(feedback=[{"feedback_id": "F1", "respondent": text}])
    assert valid_ids(s) == {"F1"}
    assert s.valid["feedback"].loc[0, "respondent"] == text.strip().lower()


@pytest.mark.parametrize("text,rule", [("client", "enum:respondent"), ("developer", "enum:respondent"),
                                       ("", "required:respondent")])
def test_bad_or_missing_respondent(text, rule):
    s = stage(feedback=[{"feedback_id": "F1", "respondent": text}])
    assert rules_of(s) == {"F1": rule}


# --- required values and timestamps -------------------------------------------------------------------

@pytest.mark.parametrize("column", ["feedback_id", "account_id", "submitted_at", "updated_at"])
def test_required_values(column):
    s = stage(feedback=[{"feedback_id": "F1", column: " "}])
    assert list(s.quarantine["rule"]) == [f"required:{column}"]


def test_submitted_at_must_be_an_iso_timestamp():
    s = stage(feedback=[{"feedback_id": "F1", "submitted_at": "01/03/2026"},
                        {"feedback_id": "F2", "submitted_at": "2026-03-01T23:30:00+08:00"}])
    assert rules_of(s) == {"F1": "type:submitted_at"}
    assert str(s.valid["feedback"].loc[0, "submitted_at"]) == "2026-03-01 15:30:00+00:00"


def test_comment_is_free_text_and_optional():
    s = stage(feedback=[{"feedback_id": "F1", "comment": "  slow onboarding, great support "},
                        {"feedback_id": "F2", "comment": ""}])
    comments = s.valid["feedback"].set_index("feedback_id")["comment"]
    assert comments["F1"] == "slow onboarding, great support" and comments.isna()["F2"]


# --- references: account_id unchecked, project_id soft ------------------------------------------------

def test_account_id_is_not_checked_against_other_entities():
    s = stage(deals=[{"deal_id": "D1", "account_id": "A1"}], feedback=[{"feedback_id": "F1", "account_id": "A-NONE"}])
    assert valid_ids(s) == {"F1"} and s.quarantine.empty


def test_a_project_of_no_valid_row_keeps_the_response():
    # P2 is quarantined, P9 does not exist: the responses stay (as if they had no project), their
    # project_id as the source gave it
    s = stage(projects=[{"project_id": "P1"}, {"project_id": "P2", "status": "dreaming"}],
              feedback=[{"feedback_id": "F1", "project_id": "P1"}, {"feedback_id": "F2", "project_id": "P2"},
                        {"feedback_id": "F3", "project_id": "P9"}, {"feedback_id": "F4"}])
    assert valid_ids(s) == {"F1", "F2", "F3", "F4"}
    assert rules_of(s) == {} and rules_of(s, "projects") == {"P2": "enum:status"}
    assert s.valid["feedback"].set_index("feedback_id")["project_id"].to_dict()["F3"] == "P9"


# --- duplicate keys -----------------------------------------------------------------------------------

def test_duplicate_ids_collapse_supersede_or_conflict():
    s = stage(feedback=[
        {"feedback_id": "F1"}, {"feedback_id": "F1"},  # identical: collapse
        {"feedback_id": "F2", "score": "3", "updated_at": "2026-01-01T00:00:00Z"},  # older version
        {"feedback_id": "F2", "score": "4", "updated_at": "2026-02-01T00:00:00Z"},  # stands
        {"feedback_id": "F3", "score": "3", "updated_at": "2026-02-01T00:00:00Z"},  # differ, tie: both out
        {"feedback_id": "F3", "score": "8", "updated_at": "2026-02-01T08:00:00+08:00"},
    ])
    assert valid_ids(s) == {"F1", "F2"}
    assert s.valid["feedback"].set_index("feedback_id").loc["F2", "score"] == 4
    q = s.quarantine
    assert list(q["rule"]) == ["duplicate_key", "duplicate_key"] and set(q["record_id"]) == {"F3"}
    c = s.counts.loc["feedback"]
    assert (c["read"], c["valid"], c["quarantined"], c["collapsed"], c["superseded"]) == (6, 2, 2, 1, 1)


def test_a_row_breaking_several_rules_is_recorded_once_with_every_detail():
    raw = dataset(feedback=rows("feedback", {"feedback_id": "F1", "score": "5.5", "respondent": "robot",
                                             "account_id": ""}))
    raw["feedback"].attrs["source"] = "feedback.csv"
    q = stage_sources(raw, "USD").quarantine
    assert len(q) == 1 and q.iloc[0]["rule"] == "type:score"
    assert q.iloc[0]["detail"].startswith("feedback.csv line 2: score must be a whole number; got '5.5'")
    assert "account_id is required" in q.iloc[0]["detail"] and "respondent must be one of" in q.iloc[0]["detail"]
    assert json.loads(q.iloc[0]["record"])["respondent"] == "robot"


def test_an_empty_feedback_entity_is_fine():
    s = stage()
    assert s.valid["feedback"].empty and s.counts.loc["feedback", "read"] == 0


# --- campaigns of leads and spend ------------------------------------------------------------------------

def test_campaigns_are_trimmed_and_missing_is_unknown():
    s = stage(leads=[{"lead_id": "L1", "campaign": "  Spring sale "}, {"lead_id": "L2", "campaign": " "},
                     {"lead_id": "L3", "campaign": "unknown"}],
              marketing_spend=[{"spend_id": "S1", "campaign": "Spring sale\t"}, {"spend_id": "S2", "campaign": ""}])
    assert s.valid["leads"].set_index("lead_id")["campaign"].to_dict() == {
        "L1": "Spring sale", "L2": "unknown", "L3": "unknown"}
    assert s.valid["marketing_spend"].set_index("spend_id")["campaign"].to_dict() == {
        "S1": "Spring sale", "S2": "unknown"}
    assert s.quarantine.empty
