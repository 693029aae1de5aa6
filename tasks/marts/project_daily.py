"""project_daily: one row per project per as-of date, for projects active, delivered or cancelled at D.

Per-project figures are (projects × dates) matrices from `spread` with one group per project;
the output rows are the cells where the project has a state (D ≥ start_date, not planned).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.tables import PROJECT_DAILY
from tasks.marts.calendar import NEVER, Grid, count, ratio, spread, sum_where
from tasks.marts.facts import Facts
from tasks.marts.portfolio_daily import overdue_interval


def project_daily(facts: Facts, grid: Grid) -> pd.DataFrame:
    p = facts.projects[facts.projects["status"].ne("planned")].reset_index(drop=True)
    index = pd.Series(np.arange(len(p)), index=p["project_id"])
    cells = grid.days[None, :] >= p["start"].to_numpy()[:, None]
    row, col = np.nonzero(cells)  # one output row per (project, date) with a state
    day = grid.days[col]
    take = lambda m: m[row, col]  # noqa: E731 - a matrix's values at the output cells

    def to_date(frame: pd.DataFrame, value: str | None, lo: str = "day") -> np.ndarray:
        """Σ value (or a count) of the project's facts dated ≤ D, per project and date."""
        f = frame.assign(g=frame["project_id"].map(index)).dropna(subset=["g"])
        w = 1.0 if value is None else f[value].to_numpy()
        return spread(f[lo].to_numpy(), np.full(len(f), NEVER), grid, w, f["g"].astype("int64"), len(p))

    end, won_day = p["end"].to_numpy()[row], p["won_day"].to_numpy()[row]
    finished = day >= end  # state delivered/cancelled from the actual end date on
    status = p["status"].to_numpy()[row]
    won = won_day <= day
    contract = np.where(won, p["contract"].to_numpy()[row], np.nan)
    n_entries, n_expenses = take(to_date(facts.entries, None)), take(to_date(facts.expenses, None))
    labour = sum_where(take(to_date(facts.entries, "cost")), n_entries)
    expenses = sum_where(take(to_date(facts.expenses, "amount")), n_expenses)
    total = labour + expenses
    budget = p["budget_cost"].to_numpy()[row]
    planned_end = p["planned_end"].to_numpy()[row]
    slip = np.where(finished, end - planned_end, np.maximum(0, day - planned_end))
    milestones = _milestones(facts.milestones, index, grid)
    out = pd.DataFrame({
        "as_of_date": grid.dates.date[col],
        "project_id": p["project_id"].to_numpy()[row],
        "account_id": p["account_id"].to_numpy()[row],
        "region": p["region"].to_numpy()[row],
        "industry": p["industry"].to_numpy()[row],
        "state": np.where(finished, status, "active"),
        "contract_value": contract,
        "sales_cycle_days": pd.array(np.where(won, p["cycle"].to_numpy()[row], np.nan), dtype="Int64"),
        "hours_to_date": sum_where(take(to_date(facts.entries, "hours")), n_entries),
        "labour_cost_to_date": labour,
        "expenses_to_date": expenses,
        "total_cost_to_date": total,
        "budget_cost": budget,
        "budget_burn": ratio(total, budget),
        "cost_variance": total - budget,
        "margin_to_date": contract - total,
        "margin_pct": ratio(contract - total, contract),
        "milestones_total": take(milestones["total"]),
        "milestones_completed": take(milestones["completed"]),
        "milestones_overdue": take(milestones["overdue"]),
        "schedule_slip_days": slip,
    })
    out = out.join(_licences(facts, index, grid, row, col))
    out["health"] = health(out)
    return out[PROJECT_DAILY.names]


def _milestones(ms: pd.DataFrame, index: pd.Series, grid: Grid) -> dict[str, np.ndarray]:
    g = ms["project_id"].map(index)
    ms, g = ms[g.notna()], g.dropna().astype("int64").to_numpy()
    n = len(index)
    never = np.full(len(ms), NEVER)
    return {
        "total": count(np.full(len(ms), -NEVER), never, grid, g, n),
        "completed": count(ms["completed"].to_numpy(), never, grid, g, n),
        "overdue": count(*overdue_interval(ms), grid, g, n),
    }


def _licences(facts: Facts, index: pd.Series, grid: Grid, row: np.ndarray, col: np.ndarray) -> pd.DataFrame:
    """products_live, seats_live, active_users, seat_utilization, top_product per output cell."""
    lic = facts.licenses.assign(g=facts.licenses["project_id"].map(index)).dropna(subset=["g"])
    lic["g"] = lic["g"].astype("int64")
    pairs = lic[["g", "product"]].drop_duplicates().sort_values(["g", "product"]).reset_index(drop=True)
    lic = lic.merge(pairs.reset_index(names="pp"), on=["g", "product"])
    n_pp, n_p = len(pairs), len(index)
    live = count(lic["start"], lic["end"], grid, lic["pp"], n_pp)  # live licences per (project, product)
    seats = spread(lic["start"], lic["end"], grid, lic["seats"].to_numpy(), lic["g"], n_p)
    readings = _readings(facts.usage, lic)
    users = spread(*_reading_interval(readings), grid, readings["active_users"].to_numpy(), readings["pp"], n_pp)
    # long form of the live (project, product) cells, to count products and pick the top one
    pp_i, d_i = np.nonzero(live > 0)
    cells = pd.DataFrame({"g": pairs["g"].to_numpy()[pp_i], "d": d_i, "product": pairs["product"].to_numpy()[pp_i],
                          "users": np.rint(users[pp_i, d_i])})
    per_cell = cells.groupby(["g", "d"]).agg(products_live=("product", "size"), active_users=("users", "sum"))
    top = cells.sort_values(["g", "d", "users", "product"], ascending=[True, True, False, True])
    per_cell["top_product"] = top.groupby(["g", "d"])["product"].first()
    per_cell["top_product"] = per_cell["top_product"].where(per_cell["active_users"] > 0)
    at = per_cell.reindex(pd.MultiIndex.from_arrays([row, col]))
    seats_live = np.rint(seats[row, col]).astype("int64")
    active = at["active_users"].fillna(0).astype("int64").to_numpy()
    return pd.DataFrame({
        "products_live": at["products_live"].fillna(0).astype("int64").to_numpy(),
        "seats_live": seats_live,
        "active_users": active,
        "seat_utilization": ratio(active, seats_live),
        "top_product": at["top_product"].to_numpy(),
    })


def _readings(usage: pd.DataFrame, lic: pd.DataFrame) -> pd.DataFrame:
    """Usage rows of the licences in `lic`, with the next reading of the same licence (or NEVER)."""
    u = usage.merge(lic[["license_id", "pp", "start", "end"]], on="license_id").sort_values(["license_id", "day"])
    u["next"] = u.groupby("license_id")["day"].shift(-1).fillna(NEVER).astype("int64")
    return u


def _reading_interval(u: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A reading is "the latest in W7" for D from its day until 6 days later or the next reading,
    and it only counts while the licence is live."""
    lo = np.maximum(u["day"].to_numpy(), u["start"].to_numpy())
    hi = np.minimum.reduce([u["day"].to_numpy() + 6, u["next"].to_numpy() - 1, u["end"].to_numpy()])
    return lo, hi


def health(rows: pd.DataFrame) -> np.ndarray:
    """red / amber / green for active projects (METRICS.md), null otherwise."""
    slip, overdue = rows["schedule_slip_days"], rows["milestones_overdue"]
    red = (rows["cost_variance"] > 0) | (overdue >= 2) | (slip > 14)
    amber = (rows["budget_burn"] > 0.9) | (overdue == 1) | (slip > 0)
    colour = np.where(red, "red", np.where(amber, "amber", "green"))
    return np.where(rows["state"].eq("active"), colour, None)
