"""portfolio_daily: the project-wide view, one row per as-of date (METRICS.md)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.tables import PORTFOLIO_DAILY
from tasks.marts.calendar import NEVER, Grid, count, ratio, spread, sum_where, window
from tasks.marts.facts import Facts


def portfolio_daily(facts: Facts, grid: Grid) -> pd.DataFrame:
    out = {"as_of_date": grid.dates.date}
    out |= _leads(facts.leads, grid)
    out |= _deals(facts.deals, grid)
    out |= _customers(facts, grid)
    out |= _delivery(facts, grid)
    out |= _effort(facts, grid)
    return pd.DataFrame(out)[PORTFOLIO_DAILY.names]


def _leads(leads: pd.DataFrame, grid: Grid) -> dict[str, np.ndarray]:
    c = leads["created"].to_numpy()
    cohort = count(*window(c, 90), grid)[0]
    return {
        "leads_created_30d": count(*window(c, 30), grid)[0],
        "leads_qualified_30d": count(*window(leads["qualified"].to_numpy(), 30), grid)[0],
        # a cohort lead counts once qualified: from max(created, qualified) to the end of its W90
        "lead_qualification_rate_90d": ratio(count(np.maximum(c, leads["qualified"]), c + 89, grid)[0], cohort),
        "lead_conversion_rate_90d": ratio(count(np.maximum(c, leads["converted"]), c + 89, grid)[0], cohort),
    }


def won_lost_90d(deals: pd.DataFrame, grid: Grid, group=None, n_groups: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(won in W90, closed in W90) per group and date."""
    closed = deals["closed"].to_numpy()
    won = deals["won"].to_numpy()
    g = None if group is None else np.asarray(group)
    n_won = count(*window(closed[won], 90), grid, None if g is None else g[won], n_groups)
    n_closed = count(*window(closed, 90), grid, g, n_groups)
    return n_won, n_closed


def open_pipeline(deals: pd.DataFrame, grid: Grid, group=None, n_groups: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(count, Σ amount) of deals open at D: created by D and not closed by D."""
    lo, hi = deals["created"].to_numpy(), deals["closed"].to_numpy() - 1
    n = count(lo, hi, grid, group, n_groups)
    return n, sum_where(spread(lo, hi, grid, deals["amount"].to_numpy(), group, n_groups), n)


def _deals(deals: pd.DataFrame, grid: Grid) -> dict[str, np.ndarray]:
    won = deals[deals["won"]]
    n_open, open_amount = open_pipeline(deals, grid)
    n_won_30 = count(*window(won["closed"], 30), grid)[0]
    n_won_90, n_closed_90 = won_lost_90d(deals, grid)
    renewals = deals[deals["deal_type"].eq("renewal")]
    ren_won, ren_closed = won_lost_90d(renewals, grid)
    cycles = spread(*window(won["closed"], 90), grid, won["cycle"].to_numpy())[0]
    return {
        "deals_created_30d": count(*window(deals["created"], 30), grid)[0],
        "open_pipeline_count": n_open[0],
        "open_pipeline_amount": open_amount[0],
        "deals_won_30d": n_won_30,
        "bookings_30d": sum_where(spread(*window(won["closed"], 30), grid, won["amount"].to_numpy())[0], n_won_30),
        "win_rate_90d": ratio(n_won_90[0], n_closed_90[0]),
        "avg_sales_cycle_days_90d": ratio(cycles, n_won_90[0]),
        "median_sales_cycle_days_90d": rolling_median(won["closed"].to_numpy(), won["cycle"].to_numpy(), 90, grid),
        "renewal_rate_90d": ratio(ren_won[0], ren_closed[0]),
    }


def rolling_median(day: np.ndarray, value: np.ndarray, n: int, grid: Grid) -> np.ndarray:
    """Median of the values dated in Wn, per D (null over no rows).

    A median does not add up like the other figures; sorting once makes each window a slice.
    """
    order = np.argsort(day, kind="stable")
    day, value = day[order], value[order]
    ends = np.searchsorted(day, grid.days, side="right")
    starts = np.searchsorted(day, grid.days - (n - 1), side="left")
    return np.array([np.median(value[s:e]) if e > s else np.nan for s, e in zip(starts, ends)])


def first_win_by_account(deals: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Per account (and `by` columns): the first day one of its deals was won, and the first day
    one of its key-account deals was won (NEVER if none)."""
    won = deals[deals["won"]]
    keys = (by or []) + ["account_id"]
    first = won.groupby(keys)["closed"].min().rename("first_win")
    key = won[won["is_key_account"]].groupby(keys)["closed"].min().rename("first_key_win")
    return pd.concat([first, key], axis=1).fillna(NEVER).astype("int64").reset_index()


def _customers(facts: Facts, grid: Grid) -> dict[str, np.ndarray]:
    accounts = first_win_by_account(facts.deals)
    spend = facts.spend
    spend_30 = spread(*window(spend["day"], 30), grid, spend["amount"].to_numpy())[0]
    spend_30 = sum_where(spend_30, count(*window(spend["day"], 30), grid)[0])
    new_30 = count(*window(accounts["first_win"], 30), grid)[0]
    return {
        "marketing_spend_30d": spend_30,
        "new_customers_30d": new_30,
        "cac_30d": ratio(spend_30, new_30),
        "customers_total": count(accounts["first_win"], np.full(len(accounts), NEVER), grid)[0],
        "key_accounts_total": count(accounts["first_key_win"], np.full(len(accounts), NEVER), grid)[0],
    }


def active_interval(projects: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The dates on which a project is active: [start, actual end − 1]; planned ones never."""
    planned = projects["status"].eq("planned").to_numpy()
    lo = np.where(planned, NEVER, projects["start"].to_numpy())
    return lo, projects["end"].to_numpy() - 1


def _delivery(facts: Facts, grid: Grid) -> dict[str, np.ndarray]:
    projects = facts.projects
    active = count(*active_interval(projects), grid)[0]
    delivered = projects[projects["status"].eq("delivered")]
    on_time = delivered[delivered["end"] <= delivered["planned_end"]]
    n_delivered = count(*window(delivered["end"], 90), grid)[0]
    return {
        "active_projects": active,
        "projects_delivered_90d": n_delivered,
        "on_time_delivery_rate_90d": ratio(count(*window(on_time["end"], 90), grid)[0], n_delivered),
        "milestones_overdue": _milestones_overdue(facts, grid),
        "delivered_margin_pct_90d": _delivered_margin(facts, delivered, grid),
    }


def overdue_interval(milestones: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Overdue at D: due_date < D and not completed by D, i.e. D ∈ [due + 1, completed − 1]."""
    return milestones["due"].to_numpy() + 1, milestones["completed"].to_numpy() - 1


def _milestones_overdue(facts: Facts, grid: Grid) -> np.ndarray:
    ms = facts.milestones.merge(facts.projects[["project_id", "status", "start", "end"]], on="project_id")
    lo, hi = overdue_interval(ms)
    p_lo, p_hi = active_interval(ms)
    return count(np.maximum(lo, p_lo), np.minimum(hi, p_hi), grid)[0]


def _delivered_margin(facts: Facts, delivered: pd.DataFrame, grid: Grid) -> np.ndarray:
    """(Σ contract − Σ cost to date) / Σ contract over projects delivered in W90 with a contract value.

    A project is in the set on D ∈ [max(end, won_day), end + 89]; each cost it has counts from
    max(that, the cost's date) on, because costs to date grow with D (after-sales work).
    """
    p = delivered[delivered["won_day"] < NEVER]
    lo = np.maximum(p["end"].to_numpy(), p["won_day"].to_numpy())
    hi = p["end"].to_numpy() + 89
    contract = spread(lo, hi, grid, p["contract"].to_numpy())[0]
    n = count(lo, hi, grid)[0]
    bounds = pd.DataFrame({"project_id": p["project_id"], "lo": lo, "hi": hi})
    cost = np.zeros(grid.n)
    for frame, value in ((facts.entries, "cost"), (facts.expenses, "amount")):
        f = frame.merge(bounds, on="project_id")
        cost += spread(np.maximum(f["lo"], f["day"]), f["hi"], grid, f[value].to_numpy())[0]
    return ratio(sum_where(contract, n) - sum_where(cost, n), sum_where(contract, n))


def _effort(facts: Facts, grid: Grid) -> dict[str, np.ndarray]:
    e, x = facts.entries, facts.expenses
    n_e = count(*window(e["day"], 30), grid)[0]
    return {
        "hours_30d": sum_where(spread(*window(e["day"], 30), grid, e["hours"].to_numpy())[0], n_e),
        "labour_cost_30d": sum_where(spread(*window(e["day"], 30), grid, e["cost"].to_numpy())[0], n_e),
        "expenses_30d": sum_where(spread(*window(x["day"], 30), grid, x["amount"].to_numpy())[0],
                                  count(*window(x["day"], 30), grid)[0]),
    }
