"""One test (or more) per row rule of SOURCES.md: a row that breaks it is quarantined with the
rule's name, a row that keeps it is valid."""
from __future__ import annotations

import json

import pytest
from builders import dataset, rows

from tasks.staging.stage import stage_sources


def stage(currency: str = "USD", **entities):
    return stage_sources(dataset(**entities), currency)


def rules_of(staged, entity: str) -> dict[str, str]:
    """record_id → rule of the quarantined rows of one entity."""
    q = staged.quarantine[staged.quarantine["entity"] == entity]
    return dict(zip(q["record_id"], q["rule"], strict=True))


def valid_ids(staged, entity: str, key: str) -> set[str]:
    return set(staged.valid[entity][key])


# --- parsing -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,ok", [
    ("2026-03-01T23:30:00+08:00", True), ("2026-03-01T10:00:00Z", True), ("2026-03-01T10:00:00", True),
    ("2026-03-01 10:00:00.5-05:00", True), ("2026-03-01", True),
    ("yesterday", False), ("2026-02-30T00:00:00Z", False), ("01/03/2026 10:00", False), ("2026-03-01T25:00:00Z", False),
])
def test_timestamp_must_be_iso_8601(text, ok):
    s = stage(leads=[{"lead_id": "L1", "created_at": text, "updated_at": "2026-03-05T00:00:00Z"}])
    assert (valid_ids(s, "leads", "lead_id") == {"L1"}) is ok
    if not ok:
        assert rules_of(s, "leads") == {"L1": "type:created_at"}


@pytest.mark.parametrize("text", ["20230105T100000Z", "2023-01-05T100000Z", "20230105"])
def test_a_timestamp_in_the_basic_form_is_quarantined_saying_the_extended_form_is_expected(text):
    # ISO 8601's basic format is ISO 8601 too: "must be an ISO 8601 timestamp" was wrong; the contract's
    # form is the extended one, and the detail says so with an example
    s = stage(leads=[{"lead_id": "L1", "created_at": text, "updated_at": "2026-03-05T00:00:00Z"}])
    assert rules_of(s, "leads") == {"L1": "type:created_at"}
    [detail] = s.quarantine["detail"]
    assert detail == (f"leads line 2: created_at must be an ISO 8601 timestamp in the extended form "
                      f"(2023-01-05T10:00:00Z); got '{text}'")


def test_timestamp_offsets_are_converted_and_naive_is_utc():
    s = stage(leads=[{"lead_id": "L1", "created_at": "2026-03-01T23:30:00+08:00"},
                     {"lead_id": "L2", "created_at": "2026-03-01T10:00:00"}])
    created = s.valid["leads"].set_index("lead_id")["created_at"]
    assert str(created["L1"]) == "2026-03-01 15:30:00+00:00"
    assert str(created["L2"]) == "2026-03-01 10:00:00+00:00"


@pytest.mark.parametrize("text,ok", [("2026-01-31", True), ("2026-1-31", False), ("2026/01/31", False),
                                     ("31-01-2026", False), ("2026-02-29", False), ("2026-01-31T00:00:00Z", False)])
def test_date_must_be_yyyy_mm_dd(text, ok):
    s = stage(marketing_spend=[{"spend_id": "S1", "spend_date": text}])
    assert (valid_ids(s, "marketing_spend", "spend_id") == {"S1"}) is ok
    if not ok:
        assert rules_of(s, "marketing_spend") == {"S1": "type:spend_date"}


@pytest.mark.parametrize("text,ok", [("12", True), ("12.50", True), ("+1.5e3", True), (".5", True), ("0", True),
                                     ("1,200", False), ("$12", False), ("12 USD", False), ("NaN", False),
                                     ("inf", False), ("1e999", False), ("twelve", False)])
def test_money_is_a_plain_decimal(text, ok):
    s = stage(marketing_spend=[{"spend_id": "S1", "amount": text}])
    assert (valid_ids(s, "marketing_spend", "spend_id") == {"S1"}) is ok
    if not ok:
        assert rules_of(s, "marketing_spend") == {"S1": "type:amount"}


@pytest.mark.parametrize("text,ok", [("12", True), ("12.0", True), ("1.2e1", True), ("12.5", False), ("x", False)])
def test_integer_takes_whole_numbers(text, ok):
    s = stage(projects=[{"project_id": "P1"}], licenses=[{"license_id": "L1", "seats": text}])
    assert (valid_ids(s, "licenses", "license_id") == {"L1"}) is ok
    if not ok:
        assert rules_of(s, "licenses") == {"L1": "type:seats"}


INT64 = "whole numbers of 64 bits, -9223372036854775808 … 9223372036854775807"
FLOAT = "finite numbers of 64-bit floating point, up to ±1.8e308"


@pytest.mark.parametrize("text,beyond", [("1e19", True), ("-1e19", True), ("9223372036854775808", True),
                                         ("9.2e18", False), ("9223372036854774784", False), ("1e400", True),
                                         ("12.5", False)])
def test_a_whole_number_beyond_int64_is_quarantined_as_type_saying_it_is_outside_the_column(text, beyond):
    # seats = 1e19 is a whole number: it was valid, and published as seats_live = -9223372036854775808
    s = stage(projects=[{"project_id": "P1"}], licenses=[{"license_id": "L1", "seats": text}])
    q = s.quarantine[s.quarantine["entity"] == "licenses"]
    held = not beyond and text != "12.5"
    assert (valid_ids(s, "licenses", "license_id") == {"L1"}) is held
    if held:
        assert s.valid["licenses"]["seats"].tolist() == [float(text)]
        return
    assert rules_of(s, "licenses") == {"L1": "type:seats"}
    said = f"seats must be a whole number; got '{text}'"
    assert q["detail"].tolist() == [f"licenses line 2: {said}" + (f", outside the range of the column ({INT64})"
                                                                   if beyond else "")]


def test_a_number_that_is_not_finite_once_parsed_is_quarantined_as_type_saying_it_is_outside_the_column():
    s = stage(projects=[{"project_id": "P1", "budget_cost": "1e400", "budget_hours": "-2E+999"},
                        {"project_id": "P2", "budget_cost": "1e308"}],
              marketing_spend=[{"spend_id": "S1", "amount": " 1e999 "}, {"spend_id": "S2", "amount": "lots"}])
    assert rules_of(s, "projects") == {"P1": "type:budget_cost"} and valid_ids(s, "projects", "project_id") == {"P2"}
    [detail] = s.quarantine.loc[s.quarantine["entity"] == "projects", "detail"]
    assert detail == (f"projects line 2: budget_cost must be a plain decimal amount; got '1e400', outside the range "
                      f"of the column ({FLOAT}); budget_hours must be a plain decimal number; got '-2E+999', "
                      f"outside the range of the column ({FLOAT})")
    details = s.quarantine.loc[s.quarantine["entity"] == "marketing_spend"].set_index("record_id")["detail"]
    assert details["S1"].endswith(f"got ' 1e999 ', outside the range of the column ({FLOAT})")
    assert details["S2"].endswith("got 'lots'")  # not a number at all: nothing said of a range


@pytest.mark.parametrize("text,expected", [("true", True), ("FALSE", False), ("Yes", True), ("no", False),
                                           ("1", True), ("0", False), ("", False), ("maybe", None)])
def test_booleans_and_missing_key_account_is_false(text, expected):
    s = stage(deals=[{"deal_id": "D1", "is_key_account": text}])
    if expected is None:
        assert rules_of(s, "deals") == {"D1": "type:is_key_account"}
    else:
        assert bool(s.valid["deals"].loc[0, "is_key_account"]) is expected


# --- required values, enums, currency, ranges -------------------------------------------------------

@pytest.mark.parametrize("blank", ["", "   "])
def test_required_value_missing_or_blank(blank):
    s = stage(leads=[{"lead_id": "L1", "channel": blank}])
    assert rules_of(s, "leads") == {"L1": "required:channel"}


def test_required_key_missing_is_quarantined_with_empty_record_id():
    s = stage(leads=[{"lead_id": " "}])
    assert rules_of(s, "leads") == {"": "required:lead_id"}


def test_enums_are_matched_after_trim_and_lower_case():
    s = stage(leads=[{"lead_id": "L1", "channel": "  Paid_Ads "}, {"lead_id": "L2", "channel": "tv"}])
    assert list(s.valid["leads"]["channel"]) == ["paid_ads"]
    assert rules_of(s, "leads") == {"L2": "enum:channel"}


def test_free_text_is_trimmed_and_empty_segment_is_unknown():
    s = stage(deals=[{"deal_id": "D1", "industry": "  Retail ", "region": " "}])
    d = s.valid["deals"].iloc[0]
    assert (d["industry"], d["region"]) == ("Retail", "unknown")


def test_currency_must_be_the_reporting_currency_after_upper_casing():
    s = stage(expenses=[{"expense_id": "E1", "currency": "usd"}, {"expense_id": "E2", "currency": "EUR"}],
              projects=[{"project_id": "P1"}])
    assert valid_ids(s, "expenses", "expense_id") == {"E1"}
    assert rules_of(s, "expenses") == {"E2": "currency:currency"}


def test_reporting_currency_is_configurable():
    s = stage("CNY", deals=[{"deal_id": "D1", "currency": "cny"}, {"deal_id": "D2", "currency": "USD"}])
    assert valid_ids(s, "deals", "deal_id") == {"D1"}
    assert rules_of(s, "deals") == {"D2": "currency:currency"}


@pytest.mark.parametrize("entity,field,value,ok", [
    ("deals", "amount", "-0.01", False), ("deals", "amount", "0", True),
    ("time_entries", "hours", "0", False), ("time_entries", "hours", "24", True), ("time_entries", "hours", "24.5", False),
    ("rate_card", "hourly_cost", "0", False), ("licenses", "seats", "-1", False), ("projects", "budget_cost", "-5", False),
    ("projects", "budget_hours", "-1", False), ("usage", "active_users", "-2", False),
])
def test_ranges(entity, field, value, ok):
    given = {"projects": [{"project_id": "P1"}], "licenses": [{"license_id": "L1"}]}
    if entity == "rate_card":
        given["rate_card"] = [{"role": "engineer", field: value}]
    else:
        given[entity] = given.get(entity, [{}])
        given[entity] = [{**given[entity][0], field: value}]
    s = stage(**given)
    q = s.quarantine[s.quarantine["entity"] == entity]
    assert q.empty is ok
    if not ok:
        assert list(q["rule"]) == [f"range:{field}"]


# --- order and conditional rules --------------------------------------------------------------------

def test_qualified_before_created_compares_instants():
    # 23:30+08:00 is 15:30Z: after 15:00Z (valid) but before 16:00Z (quarantined)
    s = stage(leads=[{"lead_id": "L1", "created_at": "2026-03-01T15:00:00Z", "qualified_at": "2026-03-01T23:30:00+08:00"},
                     {"lead_id": "L2", "created_at": "2026-03-01T16:00:00Z", "qualified_at": "2026-03-01T23:30:00+08:00"}])
    assert valid_ids(s, "leads", "lead_id") == {"L1"}
    assert rules_of(s, "leads") == {"L2": "order:qualified_at"}


def test_converted_before_created():
    s = stage(leads=[{"lead_id": "L1", "created_at": "2026-03-02T00:00:00Z", "converted_at": "2026-03-01T00:00:00Z"}])
    assert rules_of(s, "leads") == {"L1": "order:converted_at"}


@pytest.mark.parametrize("stage_,closed,ok", [("won", "2026-02-01T00:00:00Z", True), ("lost", "", False),
                                              ("proposal", "2026-02-01T00:00:00Z", False), ("proposal", "", True),
                                              ("won", "2025-12-01T00:00:00Z", False)])
def test_closed_at_set_iff_won_or_lost_and_not_before_created(stage_, closed, ok):
    s = stage(deals=[{"deal_id": "D1", "stage": stage_, "closed_at": closed}])
    assert (valid_ids(s, "deals", "deal_id") == {"D1"}) is ok
    if not ok:
        assert rules_of(s, "deals")["D1"] in {"set_iff:closed_at", "order:closed_at"}


@pytest.mark.parametrize("status,start,actual,ok", [
    ("planned", "", "", True), ("active", "", "", False), ("active", "2026-01-01", "2026-03-01", False),
    ("delivered", "2026-01-01", "", False), ("cancelled", "2026-01-01", "2026-02-01", True),
    ("delivered", "2026-01-01", "2025-12-31", False),
])
def test_project_start_and_actual_end_rules(status, start, actual, ok):
    s = stage(projects=[{"project_id": "P1", "status": status, "start_date": start, "actual_end_date": actual}])
    assert (valid_ids(s, "projects", "project_id") == {"P1"}) is ok


def test_planned_end_not_before_start():
    s = stage(projects=[{"project_id": "P1", "start_date": "2026-03-01", "planned_end_date": "2026-02-01"}])
    assert rules_of(s, "projects") == {"P1": "order:planned_end_date"}


def test_licence_end_not_before_start_and_open_ended_is_fine():
    s = stage(projects=[{"project_id": "P1"}],
              licenses=[{"license_id": "L1", "start_date": "2026-02-01", "end_date": "2026-01-31"},
                        {"license_id": "L2", "end_date": ""}])
    assert rules_of(s, "licenses") == {"L1": "order:end_date"}
    assert valid_ids(s, "licenses", "license_id") == {"L2"}


def test_a_row_breaking_several_rules_is_recorded_once_with_the_first_and_every_detail():
    s = stage(deals=[{"deal_id": "D1", "amount": "1,000", "currency": "EUR", "stage": "maybe"}])
    q = s.quarantine
    assert len(q) == 1 and q.iloc[0]["rule"] == "type:amount"
    assert "must be the reporting currency USD; got 'EUR'" in q.iloc[0]["detail"]
    assert "stage must be one of" in q.iloc[0]["detail"]
    assert "amount is required" not in q.iloc[0]["detail"]  # unparseable, not missing


# --- duplicate keys ---------------------------------------------------------------------------------

def test_identical_rows_collapse_and_are_counted():
    s = stage(leads=[{"lead_id": "L1"}, {"lead_id": "L1"}])
    assert len(s.valid["leads"]) == 1 and s.quarantine.empty
    assert s.counts.loc["leads", "collapsed"] == 1


def test_latest_updated_at_stands_older_versions_are_superseded():
    s = stage(leads=[{"lead_id": "L1", "channel": "event", "updated_at": "2026-02-01T00:00:00Z"},
                     {"lead_id": "L1", "channel": "website", "updated_at": "2026-03-01T00:00:00Z"},
                     {"lead_id": "L1", "channel": "other", "updated_at": "2026-01-01T00:00:00Z"}])
    assert list(s.valid["leads"]["channel"]) == ["website"]
    assert s.quarantine.empty and s.counts.loc["leads", "superseded"] == 2


def test_differing_rows_tying_on_latest_updated_at_are_all_quarantined():
    s = stage(leads=[{"lead_id": "L1", "channel": "event", "updated_at": "2026-03-01T00:00:00Z"},
                     {"lead_id": "L1", "channel": "website", "updated_at": "2026-03-01T08:00:00+08:00"},
                     {"lead_id": "L1", "channel": "other", "updated_at": "2026-01-01T00:00:00Z"},
                     {"lead_id": "L2"}])
    assert valid_ids(s, "leads", "lead_id") == {"L2"}
    q = s.quarantine
    assert list(q["rule"]) == ["duplicate_key", "duplicate_key"] and set(q["record_id"]) == {"L1"}
    assert s.counts.loc["leads", "superseded"] == 1


def test_duplicates_are_resolved_among_rows_that_passed_the_field_rules():
    # the newer row is broken: it is quarantined for its own rule and the older one stands
    s = stage(leads=[{"lead_id": "L1", "updated_at": "2026-01-01T00:00:00Z"},
                     {"lead_id": "L1", "channel": "tv", "updated_at": "2026-03-01T00:00:00Z"}])
    assert valid_ids(s, "leads", "lead_id") == {"L1"}
    assert rules_of(s, "leads") == {"L1": "enum:channel"}


@pytest.mark.parametrize("entity", ["usage", "rate_card"])
def test_without_updated_at_any_two_differing_rows_of_a_key_conflict(entity):
    if entity == "usage":
        given = {"projects": [{"project_id": "P1"}], "licenses": [{"license_id": "L1"}],
                 "usage": [{"active_users": "3"}, {"active_users": "4"}, {"license_id": "L1", "usage_date": "2026-01-02"}]}
        key = "L1|2026-01-01"
    else:
        given = {"rate_card": [{"role": "engineer", "hourly_cost": "90"}, {"role": "engineer", "hourly_cost": "95"},
                               {"role": "sales"}]}
        key = "engineer|2020-01-01"
    s = stage(**given)
    q = s.quarantine[s.quarantine["entity"] == entity]
    assert list(q["record_id"]) == [key, key] and set(q["rule"]) == {"duplicate_key"}
    assert len(s.valid[entity]) == 1


# --- parents and the cascade --------------------------------------------------------------------------

def test_children_of_a_missing_or_quarantined_project_are_quarantined():
    s = stage(projects=[{"project_id": "P1"}, {"project_id": "P2", "status": "dreaming"}],
              milestones=[{"milestone_id": "M1", "project_id": "P1"}, {"milestone_id": "M2", "project_id": "P2"},
                          {"milestone_id": "M3", "project_id": "P9"}],
              expenses=[{"expense_id": "E1", "project_id": "P2"}],
              time_entries=[{"entry_id": "T1", "project_id": "P9"}])
    assert valid_ids(s, "milestones", "milestone_id") == {"M1"}
    assert rules_of(s, "milestones") == {"M2": "parent:project_id", "M3": "parent:project_id"}
    assert rules_of(s, "expenses") == {"E1": "parent:project_id"}
    assert rules_of(s, "time_entries") == {"T1": "parent:project_id"}


def test_cascade_is_transitive_project_licence_usage():
    s = stage(projects=[{"project_id": "P1", "budget_cost": "-1"}],
              licenses=[{"license_id": "L1", "project_id": "P1"}], usage=[{"license_id": "L1"}])
    assert rules_of(s, "licenses") == {"L1": "parent:project_id"}
    assert rules_of(s, "usage") == {"L1|2026-01-01": "parent:license_id"}


def test_entry_needs_a_rate_on_its_work_date():
    s = stage(projects=[{"project_id": "P1"}],
              rate_card=[{"role": "engineer", "valid_from": "2026-02-01", "hourly_cost": "120"},
                         {"role": "sales", "valid_from": "2026-01-01", "hourly_cost": "0"}],
              time_entries=[{"entry_id": "T1", "work_date": "2026-01-31"}, {"entry_id": "T2", "work_date": "2026-02-01"},
                            {"entry_id": "T3", "role": "sales"}, {"entry_id": "T4", "role": "consultant"}])
    assert set(s.valid["time_entries"]["entry_id"]) == {"T2"}
    assert s.valid["time_entries"].loc[0, "rate"] == 120
    # the sales rate is itself invalid (hourly_cost > 0), so it gives no rate
    assert rules_of(s, "time_entries") == {"T1": "parent:rate_card", "T3": "parent:rate_card",
                                           "T4": "parent:rate_card"}


def test_soft_references_keep_the_row():
    s = stage(deals=[{"deal_id": "D1", "lead_id": "nobody"}], projects=[{"project_id": "P1", "deal_id": "nothing"}])
    assert valid_ids(s, "deals", "deal_id") == {"D1"} and valid_ids(s, "projects", "project_id") == {"P1"}
    assert s.quarantine.empty


# --- the quarantine record ------------------------------------------------------------------------------

def test_quarantine_record_names_source_line_rule_and_keeps_the_raw_row():
    raw = dataset(usage=rows("usage", {"license_id": "L1", "usage_date": "2026-01-05", "active_users": "many"}))
    raw["usage"].attrs["source"] = "usage.csv"
    s = stage_sources(raw, "USD")
    q = s.quarantine.iloc[0]
    assert q["record_id"] == "L1|2026-01-05" and q["rule"] == "type:active_users"
    assert q["detail"] == "usage.csv line 2: active_users must be a whole number; got 'many'"
    assert json.loads(q["record"]) == {"license_id": "L1", "usage_date": "2026-01-05", "active_users": "many"}


def test_counts_add_up():
    s = stage(leads=[{"lead_id": "L1"}, {"lead_id": "L1"}, {"lead_id": "L2", "channel": "tv"},
                     {"lead_id": "L3", "updated_at": "2025-01-01T00:00:00Z"}, {"lead_id": "L3"}])
    c = s.counts.loc["leads"]
    assert (c["read"], c["valid"], c["quarantined"], c["collapsed"], c["superseded"]) == (5, 2, 1, 1, 1)
    assert c["read"] == c["valid"] + c["quarantined"] + c["collapsed"] + c["superseded"]
