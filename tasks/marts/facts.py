"""The intermediate layer: valid rows as day numbers (event dates in the business time zone),
with the joins every mart needs done once (a project's deal, a deal's first win per account, …)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tasks.marts.calendar import NEVER, days_of


@dataclass(frozen=True)
class Facts:
    leads: pd.DataFrame  # lead_id, channel, created, qualified, converted, won (first win of its deals)
    deals: pd.DataFrame  # deal_id, lead_id, account_id, region, industry, deal_type, amount, is_key_account,
    #                      created, closed, won (bool), lost (bool), cycle (days, won deals)
    spend: pd.DataFrame  # day, channel, amount
    projects: pd.DataFrame  # project_id, account_id, status, start, planned_end, end, budget_cost,
    #                         won_day, contract, cycle, region, industry (from its valid deal)
    milestones: pd.DataFrame  # project_id, due, completed
    licenses: pd.DataFrame  # license_id, project_id, product, seats, start, end
    usage: pd.DataFrame  # license_id, day, active_users
    entries: pd.DataFrame  # project_id, role, phase, work_date, day, hours, cost
    expenses: pd.DataFrame  # project_id, day, amount


def build_facts(valid: dict[str, pd.DataFrame], tz: str) -> Facts:
    deals = _deals(valid["deals"], tz)
    return Facts(
        leads=_leads(valid["leads"], deals, tz),
        deals=deals,
        spend=pd.DataFrame({"day": days_of(valid["marketing_spend"]["spend_date"]),
                            "channel": valid["marketing_spend"]["channel"],
                            "amount": valid["marketing_spend"]["amount"].astype("float64")}),
        projects=_projects(valid["projects"], deals),
        milestones=pd.DataFrame({"project_id": valid["milestones"]["project_id"],
                                 "due": days_of(valid["milestones"]["due_date"]),
                                 "completed": days_of(valid["milestones"]["completed_date"])}),
        licenses=pd.DataFrame({"license_id": valid["licenses"]["license_id"],
                               "project_id": valid["licenses"]["project_id"],
                               "product": valid["licenses"]["product"],
                               "seats": valid["licenses"]["seats"].astype("float64"),
                               "start": days_of(valid["licenses"]["start_date"]),
                               "end": days_of(valid["licenses"]["end_date"])}),
        usage=pd.DataFrame({"license_id": valid["usage"]["license_id"],
                            "day": days_of(valid["usage"]["usage_date"]),
                            "active_users": valid["usage"]["active_users"].astype("float64")}),
        entries=_entries(valid["time_entries"]),
        expenses=pd.DataFrame({"project_id": valid["expenses"]["project_id"],
                               "day": days_of(valid["expenses"]["expense_date"]),
                               "amount": valid["expenses"]["amount"].astype("float64")}),
    )


def _deals(deals: pd.DataFrame, tz: str) -> pd.DataFrame:
    created, closed = days_of(deals["created_at"], tz), days_of(deals["closed_at"], tz)
    won = deals["stage"].eq("won").to_numpy()
    return pd.DataFrame({
        "deal_id": deals["deal_id"], "lead_id": deals["lead_id"], "account_id": deals["account_id"],
        "region": deals["region"], "industry": deals["industry"], "deal_type": deals["deal_type"],
        "amount": deals["amount"].astype("float64"), "is_key_account": deals["is_key_account"].astype(bool),
        "created": created, "closed": closed, "won": won, "lost": deals["stage"].eq("lost").to_numpy(),
        "cycle": np.where(won, closed - created, np.nan),
    })


def _leads(leads: pd.DataFrame, deals: pd.DataFrame, tz: str) -> pd.DataFrame:
    # a lead is won by D when one of its valid deals is won by D: its earliest winning deal counts
    first_win = deals[deals["won"]].groupby("lead_id")["closed"].min()
    return pd.DataFrame({
        "lead_id": leads["lead_id"], "channel": leads["channel"],
        "created": days_of(leads["created_at"], tz), "qualified": days_of(leads["qualified_at"], tz),
        "converted": days_of(leads["converted_at"], tz),
        "won": leads["lead_id"].map(first_win).fillna(NEVER).astype("int64").to_numpy(),
    })


def _projects(projects: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
    deal = deals.set_index("deal_id")
    won_day = projects["deal_id"].map(deal["closed"].where(deal["won"]))
    return pd.DataFrame({
        "project_id": projects["project_id"], "account_id": projects["account_id"],
        "status": projects["status"],
        "start": days_of(projects["start_date"]), "planned_end": days_of(projects["planned_end_date"]),
        "end": days_of(projects["actual_end_date"]),
        "budget_cost": projects["budget_cost"].astype("float64"),
        # contract value and sales cycle only through a valid, won deal (else never)
        "won_day": won_day.fillna(NEVER).astype("int64").to_numpy(),
        "contract": projects["deal_id"].map(deal["amount"]).where(won_day.notna()).astype("float64"),
        "cycle": projects["deal_id"].map(deal["cycle"]).astype("float64"),
        "region": _segment(projects["deal_id"].map(deal["region"])),
        "industry": _segment(projects["deal_id"].map(deal["industry"])),
    })


def _segment(values: pd.Series) -> pd.Series:
    """A project's segment: its deal's, or `unknown` (astype first: with no deal matched the map
    gives floats, which "unknown" cannot fill)."""
    return values.astype("object").fillna("unknown").astype("str")


def _entries(entries: pd.DataFrame) -> pd.DataFrame:
    hours = entries["hours"].astype("float64")
    return pd.DataFrame({
        "project_id": entries["project_id"], "role": entries["role"], "phase": entries["phase"],
        "work_date": entries["work_date"], "day": days_of(entries["work_date"]),
        "hours": hours, "cost": hours * entries["rate"].astype("float64"),
    })
