"""project_directory: who is who, so the review names what it lists (not a table of METRICS.md).

Every valid project with its name, its account's name and its dates (today's values, not as-of).
A project names no account: its account's name is taken from the deals, the `account_name` of the
latest created valid deal of that account that gives one (the CRM's latest spelling; ties on the
creation date go to the greater deal_id, so the choice never depends on row order).
"""
from __future__ import annotations

import pandas as pd

from schemas.tables import PROJECT_DIRECTORY
from tasks.marts.calendar import dates_of
from tasks.marts.facts import Facts


def project_directory(facts: Facts) -> pd.DataFrame:
    projects, deals = facts.projects, facts.deals
    named = deals[deals["account_name"].notna()].sort_values(["account_id", "created_day", "deal_id"])
    account_name = named.drop_duplicates("account_id", keep="last").set_index("account_id")["account_name"]
    out = pd.DataFrame({
        "project_id": projects["project_id"], "name": projects["name"], "account_id": projects["account_id"],
        "account_name": projects["account_id"].map(account_name), "deal_id": projects["deal_id"],
        "status": projects["status"], "start_date": dates_of(projects["start_day"]),
        "planned_end_date": dates_of(projects["planned_end_day"]), "actual_end_date": dates_of(projects["end_day"]),
    })
    return out.sort_values("project_id", ignore_index=True)[PROJECT_DIRECTORY.names]

