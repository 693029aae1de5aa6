"""Which faults each entity gets, in priority order: at small scales only the
first few fit in the budget, so the most telling ones come first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .corruptions import Corruption as C
from .corruptions import _money, _norm, chain, date_from, duplicates, has, new_ids, orphan, put, scale_money, ts_from, where

BAD_TS = ("yesterday", "2026-13-45T10:00:00Z", "31/12/2024 10:00")
BAD_DATE = ("2026-13-45", "yesterday", "2025-02-30")
BAD_NUMBER = ("1,200", "NaN", "$1200", "12k")
MISSING = ("", "  ")


def _other_region(rows, rng):
    rows["region"] = np.where(_norm(rows["region"]) == "emea", "APAC", "EMEA")
    return rows


def _deal_before_close(rows, rng):
    """The deal as it looked before it closed: still negotiating, smaller."""
    rows["stage"] = np.where(_norm(rows["stage"]) == "negotiation", "proposal", "negotiation")
    rows["closed_at"] = ""
    rows["amount"] = _money(rows["amount"].astype(float) * 0.9)
    return rows


def _seats_fewer(rows, rng):
    rows["seats"] = np.maximum(rows["seats"].astype(float).round() - 5, 0).astype(int).astype(str)
    return rows


def _hours_other(rows, rng):
    h = rows["hours"].astype(float)
    rows["hours"] = np.where(h <= 9, h + 0.5, h - 1).astype(str)
    return rows


def _users_other(rows, rng):
    rows["active_users"] = (rows["active_users"].astype(float) + rng.integers(1, 6, len(rows))).astype(int).astype(str)
    return rows


def _comment_edited(rows, rng):
    """The response as first submitted: another score, no comment yet."""
    score = rows["score"].astype(float)
    rows["score"] = np.where(score >= 5, score - 1, score + 1).astype(int).astype(str)
    rows["comment"] = ""
    return rows


def _no_rate(first_rate: dict[str, np.datetime64]):
    """work_date before the role's first rate: the entry has no rate."""
    def f(rows, rng):
        first = pd.Series(_norm(rows["role"])).map(lambda r: first_rate[r]).to_numpy(dtype="datetime64[D]")
        d = first - rng.integers(1, 30, len(rows)) * np.timedelta64(1, "D")
        rows["work_date"] = np.datetime_as_string(d, unit="D")
        return rows
    return f


def _money_kinds(col: str = "amount") -> list[C]:
    return [C("negative_amount", col, put(col, "-250.00", "-1200.50", "-0.01")),
            C("unparseable_number", col, put(col, *BAD_NUMBER))]


def _currency_kinds() -> list[C]:
    return [C("wrong_currency", "currency", put("currency", "EUR", "GBP", "eur")),
            C("missing_required", "currency", put("currency", *MISSING))]


def _mid_month(rows, rng):
    """The plan's month typed as the day the plan was made, not the month's first day."""
    rows["month"] = rows["month"].str.strip().str[:8] + "15"
    return rows


def _first_draft(rows, rng):
    """The note as typed in the meeting, before its follow-up was closed."""
    rows["closed_on"] = ""
    rows["updated_at"] = rows["noted_on"].str.strip() + "T12:30:00Z"
    return rows


def _plain(col: str):
    """Rows whose value is written without stray white space (the quarantine names the key trimmed,
    the manifest as written: faults that change the key keep to these)."""
    return lambda df: (df[col] == df[col].str.strip()).to_numpy()


def catalogue(entity: str, first_rate: dict[str, np.datetime64]) -> list[C]:
    return _CATALOGUE[entity](first_rate)


_CATALOGUE = {
    "leads": lambda _: [
        C("unparseable_timestamp", "created_at", put("created_at", *BAD_TS)),
        C("qualified_before_created", "qualified_at", ts_from("qualified_at", "created_at", -72)),
        C("bad_enum", "channel", put("channel", "tiktok", "webinar", "cold call")),
        C("missing_required", "channel", put("channel", *MISSING)),
        C("converted_before_created", "converted_at", ts_from("converted_at", "created_at", -30)),
        C("unparseable_timestamp", "qualified_at", put("qualified_at", *BAD_TS), eligible=has("qualified_at")),
        C("missing_required", "updated_at", put("updated_at", *MISSING)),
        *duplicates(_other_region),
    ],
    "deals": lambda _: [
        C("closed_at_on_open_deal", "closed_at", ts_from("closed_at", "created_at", 0),
          eligible=where("stage", "discovery", "proposal", "negotiation")),
        C("missing_closed_at_on_closed_deal", "closed_at", put("closed_at", ""), eligible=where("stage", "won")),
        C("wrong_currency", "currency", put("currency", "EUR", "GBP", "eur")),
        C("negative_amount", "amount", put("amount", "-15000.00", "-0.01")),
        C("unparseable_number", "amount", put("amount", *BAD_NUMBER)),
        C("bad_enum", "stage", put("stage", "closed won", "pending")),
        C("unparseable_timestamp", "created_at", put("created_at", *BAD_TS)),
        C("closed_before_created", "closed_at", ts_from("closed_at", "created_at", -120),
          eligible=where("stage", "won", "lost")),
        C("missing_required", "account_id", put("account_id", *MISSING)),
        C("bad_enum", "deal_type", put("deal_type", "upsell", "newbusiness")),
        C("bad_boolean", "is_key_account", put("is_key_account", "maybe", "2", "Y")),
        C("missing_required", "currency", put("currency", *MISSING)),
        *duplicates(_deal_before_close),
        C("dangling_lead_id", "lead_id", new_ids("lead_id", "LD-"), "kept",
          eligible=lambda d: _norm(d["lead_id"]) == ""),
    ],
    "marketing_spend": lambda _: [
        C("unparseable_date", "spend_date", put("spend_date", *BAD_DATE)),
        *_money_kinds(), *_currency_kinds(),
        C("bad_enum", "channel", put("channel", "tv", "radio")),
        C("missing_required", "spend_date", put("spend_date", *MISSING)),
        *duplicates(scale_money("amount", 0.85)),
    ],
    "projects": lambda _: [
        C("actual_end_date_on_open_project", "actual_end_date", date_from("actual_end_date", "start_date", 20),
          eligible=where("status", "active")),
        C("bad_enum", "status", put("status", "in progress", "done")),
        C("planned_end_before_start", "planned_end_date", date_from("planned_end_date", "start_date", -10),
          eligible=has("start_date")),
        C("missing_actual_end_date", "actual_end_date", put("actual_end_date", ""),
          eligible=where("status", "delivered")),
        C("missing_required", "start_date", put("start_date", *MISSING),
          eligible=lambda d: _norm(d["status"]) != "planned"),
        C("negative_amount", "budget_cost", put("budget_cost", "-50000.00")),
        C("unparseable_number", "budget_hours", put("budget_hours", *BAD_NUMBER)),
        C("actual_end_before_start", "actual_end_date", date_from("actual_end_date", "start_date", -5),
          eligible=where("status", "delivered", "cancelled")),
        C("unparseable_date", "start_date", put("start_date", *BAD_DATE)),
        C("missing_required", "planned_end_date", put("planned_end_date", *MISSING)),
        C("negative_number", "budget_hours", put("budget_hours", "-120")),
        *duplicates(scale_money("budget_cost", 0.95)),
        C("dangling_deal_id", "deal_id", new_ids("deal_id", "D-"), "kept"),
    ],
    "milestones": lambda _: [
        orphan("project_id", "PRJ-", "milestone_id", "MS-"),
        C("bad_enum", "phase", put("phase", "go-live", "testing")),
        C("missing_required", "due_date", put("due_date", *MISSING)),
        C("unparseable_date", "completed_date", put("completed_date", *BAD_DATE)),
        C("unparseable_timestamp", "updated_at", put("updated_at", *BAD_TS)),
        *duplicates(lambda rows, rng: rows.assign(name=rows["name"] + " (revised)")),
    ],
    "licenses": lambda _: [
        C("non_integer", "seats", put("seats", "12.5", "99.9")),
        C("end_before_start", "end_date", date_from("end_date", "start_date", -30)),
        orphan("project_id", "PRJ-", "license_id", "LIC-"),
        C("negative_number", "seats", put("seats", "-5")),
        C("missing_required", "product", put("product", *MISSING)),
        C("unparseable_date", "start_date", put("start_date", *BAD_DATE)),
        *duplicates(_seats_fewer),
    ],
    "usage": lambda _: [
        C("missing_parent", "license_id", new_ids("license_id", "LIC-"), mode="append"),
        C("non_integer", "active_users", put("active_users", "12.5", "3.3")),
        C("duplicate_conflict", "active_users", _users_other, mode="append", cost=2),
        C("negative_number", "active_users", put("active_users", "-3")),
        C("unparseable_number", "active_users", put("active_users", *BAD_NUMBER)),
        C("unparseable_date", "usage_date", put("usage_date", *BAD_DATE)),
        C("missing_required", "active_users", put("active_users", *MISSING)),
        *duplicates(None),
    ],
    "time_entries": lambda first_rate: [
        C("hours_out_of_range", "hours", put("hours", "0", "25", "-2")),
        C("no_rate_on_work_date", "work_date", _no_rate(first_rate), limit=3),
        orphan("project_id", "PRJ-", "entry_id", "TE-"),
        C("bad_enum", "role", put("role", "developer", "architect")),
        C("unparseable_number", "hours", put("hours", "1,5", "NaN", "eight")),
        C("bad_enum", "phase", put("phase", "testing", "golive")),
        C("unparseable_date", "work_date", put("work_date", *BAD_DATE)),
        C("missing_required", "person_id", put("person_id", *MISSING)),
        C("unparseable_timestamp", "updated_at", put("updated_at", *BAD_TS)),
        *duplicates(_hours_other),
    ],
    "rate_card": lambda _: duplicates(None),  # ~25 rows: one bad row would be 4% (see faults.py)
    "expenses": lambda _: [
        orphan("project_id", "PRJ-", "expense_id", "EX-"),
        *_money_kinds(), *_currency_kinds(),
        C("unparseable_date", "expense_date", put("expense_date", *BAD_DATE)),
        C("missing_required", "amount", put("amount", *MISSING)),
        C("unparseable_timestamp", "updated_at", put("updated_at", *BAD_TS)),
        *duplicates(scale_money("amount", 0.9)),
    ],
    "feedback": lambda _: [
        C("non_integer", "score", put("score", "5.5", "8.5", "9.25")),
        C("out_of_range", "score", put("score", "11", "-1", "100")),
        C("bad_enum", "respondent", put("respondent", "client", "board", "anonymous")),
        C("missing_required", "account_id", put("account_id", *MISSING)),
        C("unparseable_timestamp", "submitted_at", put("submitted_at", *BAD_TS)),
        C("unparseable_number", "score", put("score", "nine", "9/10", "NaN")),
        C("missing_required", "score", put("score", *MISSING)),
        C("missing_required", "respondent", put("respondent", *MISSING)),
        C("missing_required", "submitted_at", put("submitted_at", *MISSING)),
        C("unparseable_timestamp", "updated_at", put("updated_at", *BAD_TS)),
        *duplicates(_comment_edited),
        # a project the project system does not know: kept, as if the response had no project
        C("dangling_project_id", "project_id", new_ids("project_id", "PRJ-"), "kept", eligible=has("project_id")),
    ],
    # kept by hand (faults.py: one of each, whatever the share): rows typed into the plan and the
    # notes next to the good ones, so the plan and the review's story stay whole
    "targets": lambda _: [
        C("month_not_first_day", "month", _mid_month, mode="append", eligible=_plain("metric")),
        C("bad_enum", "metric", put("metric", "revenue_30d", "bookings_month", "pipeline"), mode="append"),
        *duplicates(None),
    ],
    "review_notes": lambda _: [
        C("missing_required", "owner", chain(new_ids("note_id", "RN-"), put("owner", *MISSING)), mode="append",
          eligible=where("decision", "watch")),
        C("follow_up_before_noted", "follow_up_by", date_from("follow_up_by", "noted_on", -7),
          eligible=lambda d: where("decision", "watch")(d) & (_norm(d["follow_up_by"]) == "")),
        *duplicates(None),
        C("duplicate_older_version", "updated_at", _first_draft, "superseded", "append", eligible=has("closed_on")),
    ],
}
