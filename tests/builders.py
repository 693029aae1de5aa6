"""Small hand-built datasets, valid unless a test overrides a field, so each test spells out only
what its expected value depends on. Two kinds:

- `dataset` / `rows`: raw text rows as a source would give them, for tests of staging and of the
  whole chain (`marts` stages them, with Great Expectations: about a second a call);
- `valid_dataset` / `valid_rows`: typed valid rows, as staging returns them (`Staged.valid`), for
  tests of the marts alone: `build_facts(valid, tz)` then one mart function, in milliseconds.
"""
from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd

from schemas.columns import Kind
from schemas.sources import ENTITIES, ROLES

TS = "2026-01-01T00:00:00Z"
_ids = itertools.count(1)

DEFAULTS: dict[str, dict[str, str]] = {
    "leads": {"created_at": TS, "updated_at": TS, "channel": "website"},
    "deals": {"account_id": "A1", "deal_type": "new", "stage": "discovery", "amount": "1000", "currency": "USD",
              "created_at": TS, "updated_at": TS},
    "marketing_spend": {"spend_date": "2026-01-01", "channel": "website", "amount": "100", "currency": "USD",
                        "updated_at": TS},
    "projects": {"status": "active", "start_date": "2026-01-01", "planned_end_date": "2026-06-30",
                 "budget_cost": "10000", "updated_at": TS},
    "milestones": {"project_id": "P1", "phase": "implementation", "due_date": "2026-03-01", "updated_at": TS},
    "licenses": {"project_id": "P1", "product": "Suite", "seats": "10", "start_date": "2026-01-01",
                 "updated_at": TS},
    "usage": {"license_id": "L1", "usage_date": "2026-01-01", "active_users": "1"},
    "rate_card": {"role": "engineer", "valid_from": "2020-01-01", "hourly_cost": "100"},
    "time_entries": {"project_id": "P1", "person_id": "u1", "role": "engineer", "phase": "implementation",
                     "work_date": "2026-01-05", "hours": "8", "updated_at": TS},
    "expenses": {"project_id": "P1", "expense_date": "2026-01-05", "amount": "50", "currency": "USD",
                 "updated_at": TS},
    "feedback": {"account_id": "A1", "respondent": "customer", "score": "9", "submitted_at": TS, "updated_at": TS},
    "targets": {"metric": "bookings_30d", "month": "2026-01-01", "target": "100000"},
    "review_notes": {"noted_on": "2026-01-05", "owner": "ann", "note": "watch the pipeline", "updated_at": TS},
}


def rows(entity: str, *records: dict[str, str]) -> pd.DataFrame:
    """Text rows of `entity`: defaults, a fresh key where the test gives none, then the record."""
    e = ENTITIES[entity]
    out = []
    for rec in records:
        full = {c: "" for c in e.names} | DEFAULTS[entity]
        if len(e.key) == 1 and e.key[0] not in rec:
            full[e.key[0]] = f"{e.key[0][0].upper()}{next(_ids)}"
        full |= {k: str(v) for k, v in rec.items()}
        out.append(full)
    return pd.DataFrame(out, columns=e.names, dtype="str")


def dataset(**given: pd.DataFrame | list[dict[str, str]]) -> dict[str, pd.DataFrame]:
    """Every entity: the given ones (frames or lists of records), the rest empty, with one rate card
    row per role so time entries have a rate unless the test gives its own card."""
    out = {}
    for name, e in ENTITIES.items():
        value = given.get(name)
        if value is None and name == "rate_card":
            value = [{"role": r} for r in ROLES]
        if value is None:
            out[name] = pd.DataFrame({c: pd.Series(dtype="str") for c in e.names})
        else:
            out[name] = value if isinstance(value, pd.DataFrame) else rows(name, *value)
    return out


# --------------------------------------------------------------------------- typed valid rows

UTC_TS = pd.Timestamp(TS)  # 2026-01-01T00:00:00Z

# the text DEFAULTS, typed as staging types them
VALID_DEFAULTS: dict[str, dict[str, object]] = {
    "leads": {"created_at": UTC_TS, "updated_at": UTC_TS, "channel": "website"},
    "deals": {"account_id": "A1", "deal_type": "new", "stage": "discovery", "amount": 1000.0, "currency": "USD",
              "created_at": UTC_TS, "updated_at": UTC_TS},
    "marketing_spend": {"spend_date": pd.Timestamp("2026-01-01"), "channel": "website", "amount": 100.0,
                        "currency": "USD", "updated_at": UTC_TS},
    "projects": {"status": "active", "start_date": pd.Timestamp("2026-01-01"),
                 "planned_end_date": pd.Timestamp("2026-06-30"), "budget_cost": 10000.0, "updated_at": UTC_TS},
    "milestones": {"project_id": "P1", "phase": "implementation", "due_date": pd.Timestamp("2026-03-01"),
                   "updated_at": UTC_TS},
    "licenses": {"project_id": "P1", "product": "Suite", "seats": 10.0, "start_date": pd.Timestamp("2026-01-01"),
                 "updated_at": UTC_TS},
    "usage": {"license_id": "L1", "usage_date": pd.Timestamp("2026-01-01"), "active_users": 1.0},
    "rate_card": {"role": "engineer", "valid_from": pd.Timestamp("2020-01-01"), "hourly_cost": 100.0},
    "time_entries": {"project_id": "P1", "person_id": "u1", "role": "engineer", "phase": "implementation",
                     "work_date": pd.Timestamp("2026-01-05"), "hours": 8.0, "updated_at": UTC_TS},
    "expenses": {"project_id": "P1", "expense_date": pd.Timestamp("2026-01-05"), "amount": 50.0, "currency": "USD",
                 "updated_at": UTC_TS},
    "feedback": {"account_id": "A1", "respondent": "customer", "score": 9.0, "submitted_at": UTC_TS,
                 "updated_at": UTC_TS},
    "targets": {"metric": "bookings_30d", "month": pd.Timestamp("2026-01-01"), "target": 100000.0},
    "review_notes": {"noted_on": pd.Timestamp("2026-01-05"), "owner": "ann", "note": "watch the pipeline",
                     "updated_at": UTC_TS},
}

# the dtypes of `Staged.valid` (tests/marts/test_builders.py checks them against staging)
DTYPES = {Kind.TIMESTAMP: "datetime64[us, UTC]", Kind.DATE: "datetime64[s]", Kind.DECIMAL: "float64",
          Kind.MONEY: "float64", Kind.INTEGER: "float64", Kind.BOOLEAN: "boolean"}


def _typed(value, kind: Kind):
    """One value of a test's record, typed like a valid row's. A test may write it typed or as its
    ISO text ("2026-01-05", "2026-01-05T10:00:00+08:00", "1000"); None or "" is missing. Nothing
    is cleaned up as staging would (no trimming, no "yes" for True): these rows are valid already."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if kind is Kind.TIMESTAMP:
        ts = pd.Timestamp(value)
        return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")  # no offset: UTC
    if kind is Kind.DATE:
        return pd.Timestamp(value)
    if kind in (Kind.DECIMAL, Kind.MONEY, Kind.INTEGER):
        return float(value)
    if kind is Kind.BOOLEAN:
        assert isinstance(value, bool), f"a typed boolean, not {value!r}"
    return value


def valid_rows(entity: str, *records: dict) -> pd.DataFrame:
    """Typed valid rows of `entity`: typed defaults, a fresh key where the test gives none, then the
    record; a missing value of a column with a default (industry, region, is_key_account) gets it."""
    e = ENTITIES[entity]
    full = []
    for rec in records:
        row = dict(VALID_DEFAULTS[entity])
        if len(e.key) == 1 and e.key[0] not in rec:
            row[e.key[0]] = f"{e.key[0][0].upper()}{next(_ids)}"
        row |= rec
        full.append(row)
    out = {}
    for col in e.columns:
        values = [_typed(r.get(col.name), col.kind) for r in full]
        if col.default is not None:
            values = [col.default if v is None else v for v in values]
        out[col.name] = pd.Series(values, dtype=DTYPES.get(col.kind, "str"))
    if entity == "time_entries":
        out["rate"] = pd.Series([r.get("rate") for r in full], dtype="float64")
    return pd.DataFrame(out)


def valid_dataset(**given: pd.DataFrame | list[dict]) -> dict[str, pd.DataFrame]:
    """Every entity as staging gives them for valid data: the given ones (typed frames or lists
    of records), the rest empty, with one rate card row per role (100 from 2020-01-01) unless the
    test gives its own card. A time entry without a `rate` of its own gets the rate staging
    attaches: the hourly_cost of its role with the latest valid_from ≤ work_date."""
    out = {}
    for name in ENTITIES:
        value = given.get(name)
        if value is None and name == "rate_card":
            value = [{"role": r} for r in ROLES]
        out[name] = value if isinstance(value, pd.DataFrame) else valid_rows(name, *(value or []))
    out["time_entries"] = _with_rates(out["time_entries"], out["rate_card"])
    return out


def _with_rates(entries: pd.DataFrame, card: pd.DataFrame) -> pd.DataFrame:
    """`entries` with a rate where they have none, looked up as tasks/staging/parents.py does."""
    card = card[["role", "valid_from", "hourly_cost"]].sort_values("valid_from")
    found = pd.merge_asof(entries.reset_index().sort_values("work_date"), card, left_on="work_date",
                          right_on="valid_from", by="role", direction="backward").set_index("index").sort_index()
    rate = entries["rate"].fillna(found["hourly_cost"])
    assert rate.notna().all(), "a time entry without a rate is not valid"
    return entries.assign(rate=rate.astype("float64"))


def as_of(start, end=None):
    """The as-of dates start … end (inclusive) of a mart call."""
    from tasks.marts.calendar import Grid

    return Grid.between(as_date(start), as_date(end or start))


# the columns of portfolio_daily as METRICS.md lists them (written out here, not read from the
# code, so the tests check the code's list against the spec's)
PORTFOLIO_METRICS = [
    "leads_created_30d", "leads_qualified_30d", "lead_qualification_rate_90d", "lead_conversion_rate_90d",
    "deals_created_30d", "open_pipeline_count", "open_pipeline_amount", "deals_won_30d", "bookings_30d",
    "win_rate_90d", "avg_sales_cycle_days_90d", "median_sales_cycle_days_90d", "marketing_spend_30d",
    "new_customers_30d", "cac_30d", "customers_total", "key_accounts_total", "renewal_rate_90d",
    "active_projects", "projects_delivered_90d", "on_time_delivery_rate_90d", "milestones_overdue",
    "hours_30d", "labour_cost_30d", "expenses_30d", "delivered_margin_pct_90d",
    "feedback_responses_90d", "nps_90d", "team_score_avg_90d",
    "leads_created_7d", "leads_qualified_7d", "deals_created_7d", "deals_won_7d", "bookings_7d",
    "marketing_spend_7d", "new_customers_7d", "projects_delivered_7d", "hours_7d", "labour_cost_7d", "expenses_7d",
    "feedback_responses_7d",
]


def as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def as_of_dates(frame: pd.DataFrame) -> pd.Series:
    """A table's as_of_date column as `datetime.date` values, whatever their storage type."""
    return frame["as_of_date"].map(lambda v: pd.Timestamp(v).date())


def marts(raw: dict[str, pd.DataFrame], start, end=None, tz: str = "UTC") -> dict[str, pd.DataFrame]:
    """Every output table as of start … end from a hand-built dataset that must be wholly valid."""
    from tasks.marts.build import build_marts
    from tasks.staging.stage import stage_sources

    staged = stage_sources(raw, "USD")
    assert staged.quarantine.empty, staged.quarantine  # the hand-built data must be valid
    return build_marts(staged.valid, tz, as_date(start), as_date(end or start))
