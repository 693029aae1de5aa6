"""Small hand-built datasets: raw text rows as a source would give them, valid unless a test
overrides a field, so each test spells out only what its expected value depends on."""
from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd

from schemas.sources import ENTITIES

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
    """All ten entities: the given ones (frames or lists of records), the rest empty, with one rate
    card row per role so time entries have a rate unless the test gives its own card."""
    out = {}
    for name, e in ENTITIES.items():
        value = given.get(name)
        if value is None and name == "rate_card":
            from schemas.sources import ROLES
            value = [{"role": r} for r in ROLES]
        if value is None:
            out[name] = pd.DataFrame({c: pd.Series(dtype="str") for c in e.names})
        else:
            out[name] = value if isinstance(value, pd.DataFrame) else rows(name, *value)
    return out


# the columns of portfolio_daily as METRICS.md lists them (written out here, not read from the
# code, so the tests check the code's list against the spec's)
PORTFOLIO_METRICS = [
    "leads_created_30d", "leads_qualified_30d", "lead_qualification_rate_90d", "lead_conversion_rate_90d",
    "deals_created_30d", "open_pipeline_count", "open_pipeline_amount", "deals_won_30d", "bookings_30d",
    "win_rate_90d", "avg_sales_cycle_days_90d", "median_sales_cycle_days_90d", "marketing_spend_30d",
    "new_customers_30d", "cac_30d", "customers_total", "key_accounts_total", "renewal_rate_90d",
    "active_projects", "projects_delivered_90d", "on_time_delivery_rate_90d", "milestones_overdue",
    "hours_30d", "labour_cost_30d", "expenses_30d", "delivered_margin_pct_90d",
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
