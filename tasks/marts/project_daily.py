"""project_daily: one row per project per as-of date, for projects active, delivered or cancelled at D.

Per-project figures are (projects × dates) matrices grouped by project; the output rows are the
cells where the project has a state, read off each matrix at (`cell_project`, `cell_date`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.tables import HEALTH_AMBER_BURN, HEALTH_RED_OVERDUE, HEALTH_RED_SLIP_DAYS, PROJECT_DAILY
from tasks.marts.calendar import (
    NEVER,
    Grid,
    Groups,
    count_per_day,
    count_to_date,
    holds_at,
    ratio,
    sum_per_day,
    sums_to_date,
)
from tasks.marts.definitions import (
    contract_value_at,
    customer_responses,
    deal_won_by,
    has_state,
    latest_reading_in_w7,
    live,
    nps_in_window,
    overdue,
    state_at,
)
from tasks.marts.facts import Facts


def project_daily(facts: Facts, grid: Grid) -> pd.DataFrame:
    projects = facts.projects

    def by_project(frame: pd.DataFrame) -> Groups:
        return Groups.of(frame["project_id"], projects["project_id"])

    cell_project, cell_date = np.nonzero(holds_at(has_state(projects), grid))
    day = grid.days[cell_date]
    at = projects.take(cell_project).reset_index(drop=True)  # each output row's project

    def to_date(frame: pd.DataFrame, *values: str) -> list[np.ndarray]:
        """Σ value of the project's facts dated ≤ D, at each output row, for each of `values` (one
        pass over the facts: the time entries' 3 million rows are looked up and placed once)."""
        sums = sums_to_date(frame["day"], [frame[v] for v in values], grid, by_project(frame))
        return [total[cell_project, cell_date] for total in sums]

    milestones = facts.milestones
    state = state_at(at, day)
    contract_value = contract_value_at(at, day)
    hours, labour_cost = to_date(facts.entries, "hours", "labour_cost")
    (expenses,) = to_date(facts.expenses, "amount")
    total_cost = labour_cost + expenses
    budget_cost = at["budget_cost"].to_numpy()
    planned_end = at["planned_end_day"].to_numpy()
    out = pd.DataFrame({
        "as_of_date": grid.dates.date[cell_date],
        "project_id": at["project_id"].to_numpy(),
        "account_id": at["account_id"].to_numpy(),
        "region": at["region"].to_numpy(),
        "industry": at["industry"].to_numpy(),
        "state": state,
        "contract_value": contract_value,
        "sales_cycle_days": pd.array(np.where(deal_won_by(at, day), at["sales_cycle"].to_numpy(), np.nan),
                                     dtype="Int64"),
        "hours_to_date": hours,
        "labour_cost_to_date": labour_cost,
        "expenses_to_date": expenses,
        "total_cost_to_date": total_cost,
        "budget_cost": budget_cost,
        "budget_burn": ratio(total_cost, budget_cost),
        "cost_variance": total_cost - budget_cost,
        "margin_to_date": contract_value - total_cost,
        "margin_pct": ratio(contract_value - total_cost, contract_value),
        "milestones_total": at["project_id"].map(milestones.groupby("project_id").size())
                                            .fillna(0).astype("int64").to_numpy(),
        "milestones_completed": count_to_date(milestones["completed_day"], grid,
                                              by_project(milestones))[cell_project, cell_date],
        "milestones_overdue": count_per_day(overdue(milestones), grid, by_project(milestones))[cell_project, cell_date],
        "schedule_slip_days": np.where(state == "active", np.maximum(0, day - planned_end),
                                       at["end_day"].to_numpy() - planned_end),
    })
    out = out.join(_licences(facts, projects, grid, cell_project, cell_date))
    # customer responses whose project_id is this project (one of no valid project is in no group)
    responses = customer_responses(facts.feedback)
    count, nps = nps_in_window(responses, 180, grid, by_project(responses))
    out["feedback_responses_180d"] = count[cell_project, cell_date]
    out["nps_180d"] = nps[cell_project, cell_date]
    out["health"] = health(out)
    return out[PROJECT_DAILY.names]


def _licences(facts: Facts, projects: pd.DataFrame, grid: Grid, cell_project: np.ndarray,
              cell_date: np.ndarray) -> pd.DataFrame:
    """products_live, seats_live, active_users, seat_utilization, top_product at each output row.

    Products are counted and ranked per (project, product): its live licences and active users are
    (project-products × dates) matrices, read in long form where the product is live.
    """
    project = Groups.of(facts.licenses["project_id"], projects["project_id"])
    licences = facts.licenses.assign(project=project.codes)[project.codes >= 0]
    products = (licences[["project", "product"]].drop_duplicates().sort_values(["project", "product"])
                .reset_index(drop=True))
    licences = licences.merge(products.reset_index(names="project_product"), on=["project", "product"])
    readings = _readings(facts.usage, licences)
    live_licences = count_per_day(live(licences), grid, Groups(licences["project_product"].to_numpy(), len(products)))
    seats = sum_per_day(live(licences), licences["seats"], grid, Groups(licences["project"].to_numpy(), project.n))
    users = sum_per_day(latest_reading_in_w7(readings), readings["active_users"], grid,
                        Groups(readings["project_product"].to_numpy(), len(products)))
    live_product, live_date = np.nonzero(live_licences > 0)
    live_cells = pd.DataFrame({"project": products["project"].to_numpy()[live_product], "date": live_date,
                               "product": products["product"].to_numpy()[live_product],
                               "users": np.rint(users[live_product, live_date])})
    per_cell = live_cells.groupby(["project", "date"]).agg(products_live=("product", "size"),
                                                           active_users=("users", "sum"))
    ranked = live_cells.sort_values(["project", "date", "users", "product"], ascending=[True, True, False, True])
    per_cell["top_product"] = ranked.groupby(["project", "date"])["product"].first()
    per_cell["top_product"] = per_cell["top_product"].where(per_cell["active_users"] > 0)
    at = per_cell.reindex(pd.MultiIndex.from_arrays([cell_project, cell_date]))
    seats_live = np.rint(seats[cell_project, cell_date]).astype("int64")
    active_users = at["active_users"].fillna(0).astype("int64").to_numpy()
    return pd.DataFrame({
        "products_live": at["products_live"].fillna(0).astype("int64").to_numpy(),
        "seats_live": seats_live,
        "active_users": active_users,
        "seat_utilization": ratio(active_users, seats_live),
        "top_product": at["top_product"].to_numpy(),
    })


def _readings(usage: pd.DataFrame, licences: pd.DataFrame) -> pd.DataFrame:
    """Usage rows of `licences`, with their licence's dates and the day of the licence's next
    reading (NEVER if none)."""
    readings = (usage.merge(licences[["license_id", "project_product", "start_day", "end_day"]], on="license_id")
                .sort_values(["license_id", "day"]))
    readings["next_day"] = readings.groupby("license_id")["day"].shift(-1).fillna(NEVER).astype("int64")
    return readings


def health(rows: pd.DataFrame) -> np.ndarray:
    """red / amber / green for active projects (METRICS.md), null otherwise."""
    slip, overdue_milestones = rows["schedule_slip_days"], rows["milestones_overdue"]
    red = (rows["cost_variance"] > 0) | (overdue_milestones >= HEALTH_RED_OVERDUE) | (slip > HEALTH_RED_SLIP_DAYS)
    amber = (rows["budget_burn"] > HEALTH_AMBER_BURN) | (overdue_milestones == 1) | (slip > 0)
    colour = np.where(red, "red", np.where(amber, "amber", "green"))
    return np.where(rows["state"].eq("active"), colour, None)
