"""The typed builder of the mart tests gives what staging gives: the same records through
`valid_dataset` and through `dataset` + staging make the same frames (values, dtypes, order,
time entries' `rate`). Goes through staging (Great Expectations) on purpose."""
from __future__ import annotations

import pandas as pd
from builders import dataset, valid_dataset

from schemas.sources import ROLES
from tasks.staging.stage import stage_sources

# one row of each entity with its defaults, and a second one with the values tests vary: offsets
# and naive timestamps, empty optional values (region/industry/campaign default to unknown), a rate card
# with history, a soft parent of no valid row
RECORDS = {
    "leads": [{"lead_id": "L1"},
              {"lead_id": "L2", "created_at": "2026-03-02T00:30:00+08:00", "qualified_at": "2026-03-01T20:00:00",
               "channel": "partner", "region": "EMEA", "campaign": "Spring"}],
    "deals": [{"deal_id": "D1"},
              {"deal_id": "D2", "lead_id": "L2", "stage": "won", "closed_at": "2026-02-01T04:00:00Z",
               "amount": "250.5", "industry": "", "is_key_account": True},
              {"deal_id": "D3", "lead_id": "GHOST", "stage": "lost", "closed_at": "2026-02-02T00:00:00Z"}],
    "marketing_spend": [{"spend_id": "S1"}, {"spend_id": "S2", "campaign": "spring", "amount": "0"}],
    "projects": [{"project_id": "P1"},
                 {"project_id": "P2", "deal_id": "D2", "status": "delivered", "actual_end_date": "2026-02-01"},
                 {"project_id": "P3", "deal_id": "NOPE", "status": "planned", "start_date": ""}],
    "milestones": [{"milestone_id": "M1"}, {"milestone_id": "M2", "completed_date": "2026-02-03"}],
    "licenses": [{"license_id": "L1"}, {"license_id": "L9", "end_date": "2026-05-01", "seats": "3"}],
    "usage": [{}, {"license_id": "L9", "usage_date": "2026-01-02", "active_users": "0"}],
    "rate_card": [{"role": r, "valid_from": "2020-01-01", "hourly_cost": "100"} for r in ROLES]
    + [{"role": "engineer", "valid_from": "2026-02-01", "hourly_cost": "150"}],
    "time_entries": [{"entry_id": "E1"},
                     {"entry_id": "E2", "work_date": "2026-02-01", "hours": "1.5"},
                     {"entry_id": "E3", "work_date": "2026-01-31", "role": "consultant", "phase": "acceptance"}],
    "expenses": [{"expense_id": "X1"}, {"expense_id": "X2", "category": "travel", "amount": "12.25"}],
    "feedback": [{"feedback_id": "F1"},
                 {"feedback_id": "F2", "project_id": "P1", "respondent": "partner", "score": "0",
                  "comment": "late", "submitted_at": "2026-03-01T23:30:00+08:00"},
                 {"feedback_id": "F3", "project_id": "GHOST", "score": "10.0"}],
}


def _text(records: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The same records as a source's text (booleans as "true"/"false")."""
    return {name: [{k: str(v).lower() if isinstance(v, bool) else v for k, v in r.items()} for r in recs]
            for name, recs in records.items()}


def test_typed_builder_matches_staging():
    staged = stage_sources(dataset(**_text(RECORDS)), "USD")
    assert staged.quarantine.empty, staged.quarantine
    typed = valid_dataset(**RECORDS)
    assert list(typed) == list(staged.valid)
    for name, frame in staged.valid.items():
        pd.testing.assert_frame_equal(typed[name], frame, check_exact=True, obj=name)


def test_typed_builder_matches_staging_when_empty():
    staged = stage_sources(dataset(), "USD")
    typed = valid_dataset()
    for name, frame in staged.valid.items():
        pd.testing.assert_frame_equal(typed[name], frame, check_exact=True, obj=name)
