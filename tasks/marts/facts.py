"""The intermediate layer: valid rows as the marts use them, with the joins every mart needs done
once (a project's deal, a lead's first win, …).

Every `*_day` column is a day number (calendar.py): the event date in the business time zone of a
timestamp, the date itself of a date; NEVER where there is none (a deal not closed, a project not
finished, a licence without an end).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tasks.marts.calendar import NEVER, days_of


@dataclass(frozen=True)
class Facts:
    leads: pd.DataFrame  # lead_id, channel, campaign, created_day, qualified_day, converted_day,
    #                      won_day (the first day one of its valid deals was won)
    deals: pd.DataFrame  # deal_id, lead_id, account_id, account_name, region, industry, deal_type, amount,
    #                      is_key_account,
    #                      created_day, closed_day, is_won (stage won), won_day (closed_day if won),
    #                      sales_cycle (days, won deals)
    spend: pd.DataFrame  # day, channel, campaign, amount
    projects: pd.DataFrame  # project_id, name, deal_id, account_id, status, start_day, planned_end_day,
    #                         end_day (actual),
    #                         budget_cost, and from its valid deal: won_day, contract_value (the deal's amount
    #                         if it is won: the contract value from won_day on), sales_cycle, region, industry
    milestones: pd.DataFrame  # milestone_id, project_id, name, phase, due_day, completed_day
    licenses: pd.DataFrame  # license_id, project_id, product, seats, start_day, end_day
    usage: pd.DataFrame  # license_id, day, active_users
    entries: pd.DataFrame  # project_id, role, phase, work_date, day, hours, labour_cost (hours × rate)
    expenses: pd.DataFrame  # project_id, day, amount
    feedback: pd.DataFrame  # feedback_id, account_id, project_id (null unless a valid project), respondent,
    #                         score, comment, day (date(submitted_at))
    # the plan and the review's notes: the valid rows as staging gave them, every column (no mart
    # computes on them: they are published as they are)
    targets: pd.DataFrame
    review_notes: pd.DataFrame


def build_facts(valid: dict[str, pd.DataFrame], tz: str) -> Facts:
    deals = _deals(valid["deals"], tz)
    spend, milestones = valid["marketing_spend"], valid["milestones"]
    licenses, usage, expenses = valid["licenses"], valid["usage"], valid["expenses"]
    return Facts(
        leads=_leads(valid["leads"], deals, tz),
        deals=deals,
        spend=pd.DataFrame({"day": days_of(spend["spend_date"]), "channel": spend["channel"],
                            "campaign": spend["campaign"], "amount": spend["amount"].astype("float64")}),
        projects=_projects(valid["projects"], deals),
        milestones=pd.DataFrame({"milestone_id": milestones["milestone_id"], "project_id": milestones["project_id"],
                                 "name": milestones["name"], "phase": milestones["phase"],
                                 "due_day": days_of(milestones["due_date"]),
                                 "completed_day": days_of(milestones["completed_date"])}),
        licenses=pd.DataFrame({"license_id": licenses["license_id"], "project_id": licenses["project_id"],
                               "product": licenses["product"], "seats": licenses["seats"].astype("float64"),
                               "start_day": days_of(licenses["start_date"]),
                               "end_day": days_of(licenses["end_date"])}),
        usage=pd.DataFrame({"license_id": usage["license_id"], "day": days_of(usage["usage_date"]),
                            "active_users": usage["active_users"].astype("float64")}),
        entries=_entries(valid["time_entries"]),
        expenses=pd.DataFrame({"project_id": expenses["project_id"], "day": days_of(expenses["expense_date"]),
                               "amount": expenses["amount"].astype("float64")}),
        feedback=_feedback(valid["feedback"], valid["projects"], tz),
        targets=valid["targets"],
        review_notes=valid["review_notes"],
    )


def _deals(deals: pd.DataFrame, tz: str) -> pd.DataFrame:
    created, closed = days_of(deals["created_at"], tz), days_of(deals["closed_at"], tz)
    is_won = deals["stage"].eq("won").to_numpy()
    return pd.DataFrame({
        "deal_id": deals["deal_id"], "lead_id": deals["lead_id"], "account_id": deals["account_id"],
        "account_name": deals["account_name"], "region": deals["region"], "industry": deals["industry"],
        "deal_type": deals["deal_type"],
        "amount": deals["amount"].astype("float64"), "is_key_account": deals["is_key_account"].astype(bool),
        "created_day": created, "closed_day": closed, "is_won": is_won,
        "won_day": np.where(is_won, closed, NEVER),
        "sales_cycle": np.where(is_won, closed - created, np.nan),
    })


def _leads(leads: pd.DataFrame, deals: pd.DataFrame, tz: str) -> pd.DataFrame:
    # a lead is won by D when one of its valid deals is won by D: its earliest winning deal counts
    first_win = deals[deals["is_won"]].groupby("lead_id")["won_day"].min()
    return pd.DataFrame({
        "lead_id": leads["lead_id"], "channel": leads["channel"], "campaign": leads["campaign"],
        "created_day": days_of(leads["created_at"], tz), "qualified_day": days_of(leads["qualified_at"], tz),
        "converted_day": days_of(leads["converted_at"], tz),
        "won_day": leads["lead_id"].map(first_win).fillna(NEVER).astype("int64").to_numpy(),
    })


def _projects(projects: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
    by_id = deals.set_index("deal_id")

    def of_deal(column: str) -> pd.Series:
        """The column of each project's deal: missing where it has no valid deal."""
        return projects["deal_id"].map(by_id[column])

    won_day = of_deal("won_day").fillna(NEVER).astype("int64").to_numpy()
    return pd.DataFrame({
        "project_id": projects["project_id"], "name": projects["name"], "deal_id": projects["deal_id"],
        "account_id": projects["account_id"], "status": projects["status"],
        "start_day": days_of(projects["start_date"]), "planned_end_day": days_of(projects["planned_end_date"]),
        "end_day": days_of(projects["actual_end_date"]),
        "budget_cost": projects["budget_cost"].astype("float64"),
        # contract value and sales cycle only through a valid, won deal
        "won_day": won_day,
        "contract_value": of_deal("amount").where(won_day < NEVER).astype("float64"),
        "sales_cycle": of_deal("sales_cycle").astype("float64"),
        "region": _segment(of_deal("region")),
        "industry": _segment(of_deal("industry")),
    })


def _segment(values: pd.Series) -> pd.Series:
    """A project's segment: its deal's, or `unknown` (astype first: with no deal matched the map
    gives floats, which "unknown" cannot fill)."""
    return values.astype("object").fillna("unknown").astype("str")


def _feedback(feedback: pd.DataFrame, projects: pd.DataFrame, tz: str) -> pd.DataFrame:
    # a project_id of no valid project is kept as if the response had no project (SOURCES.md)
    project = feedback["project_id"].where(feedback["project_id"].isin(projects["project_id"]))
    return pd.DataFrame({
        "feedback_id": feedback["feedback_id"], "account_id": feedback["account_id"], "project_id": project,
        "respondent": feedback["respondent"], "score": feedback["score"].astype("float64"),
        "comment": feedback["comment"], "day": days_of(feedback["submitted_at"], tz),
    })


def _entries(entries: pd.DataFrame) -> pd.DataFrame:
    hours = entries["hours"].astype("float64")
    return pd.DataFrame({
        "project_id": entries["project_id"], "role": entries["role"], "phase": entries["phase"],
        "work_date": entries["work_date"], "day": days_of(entries["work_date"]),
        "hours": hours, "labour_cost": hours * entries["rate"].astype("float64"),
    })
