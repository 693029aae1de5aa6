"""portfolio_daily: the project-wide view, one row per as-of date (METRICS.md), one line per column."""
from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.tables import PORTFOLIO_DAILY
from tasks.marts.calendar import (
    Grid,
    Groups,
    Span,
    count_cohort_reaching,
    count_in_window,
    count_per_day,
    count_to_date,
    from_day,
    in_window,
    mean_in_window,
    median_in_window,
    overlap,
    ratio,
    raw_total_per_day,
    sum_in_window,
    sum_per_day,
    sums_in_window,
)
from tasks.marts.definitions import (
    active,
    customer_responses,
    first_win_by_account,
    nps_in_window,
    open_at,
    overdue,
    team_responses,
)
from tasks.marts.facts import Facts


def portfolio_daily(facts: Facts, grid: Grid) -> pd.DataFrame:
    leads, deals, projects = facts.leads, facts.deals, facts.projects
    spend, entries, expenses = facts.spend, facts.entries, facts.expenses
    renewals = deals[deals["deal_type"].eq("renewal")]
    accounts = first_win_by_account(deals)
    delivered = projects[projects["status"].eq("delivered")]
    on_time = delivered[delivered["end_day"] <= delivered["planned_end_day"]]
    # each milestone beside its project, to ask whether the project is active
    milestones = facts.milestones.merge(projects, on="project_id")

    lead_cohort_90d = count_in_window(leads["created_day"], 90, grid)
    deals_won_90d = count_in_window(deals["won_day"], 90, grid)
    marketing_spend_30d = sum_in_window(spend["day"], spend["amount"], 30, grid)
    new_customers_30d = count_in_window(accounts["first_win"], 30, grid)
    projects_delivered_90d = count_in_window(delivered["end_day"], 90, grid)
    customers = customer_responses(facts.feedback)
    feedback_responses_90d, nps_90d = nps_in_window(customers, 90, grid)
    team = team_responses(facts.feedback)
    # Σ hours and Σ labour cost of the time entries dated in W30, and in W7 (one pass each over their
    # 3 million rows)
    hours_30d, labour_cost_30d = sums_in_window(entries["day"], [entries["hours"], entries["labour_cost"]], 30, grid)
    hours_7d, labour_cost_7d = sums_in_window(entries["day"], [entries["hours"], entries["labour_cost"]], 7, grid)
    return pd.DataFrame({
        "as_of_date": grid.dates.date,
        "leads_created_30d": count_in_window(leads["created_day"], 30, grid),
        "leads_qualified_30d": count_in_window(leads["qualified_day"], 30, grid),
        "lead_qualification_rate_90d": ratio(
            count_cohort_reaching(leads["created_day"], leads["qualified_day"], 90, grid), lead_cohort_90d),
        "lead_conversion_rate_90d": ratio(
            count_cohort_reaching(leads["created_day"], leads["converted_day"], 90, grid), lead_cohort_90d),
        "deals_created_30d": count_in_window(deals["created_day"], 30, grid),
        "open_pipeline_count": count_per_day(open_at(deals), grid),
        "open_pipeline_amount": sum_per_day(open_at(deals), deals["amount"], grid),
        "deals_won_30d": count_in_window(deals["won_day"], 30, grid),
        "bookings_30d": sum_in_window(deals["won_day"], deals["amount"], 30, grid),
        "win_rate_90d": ratio(deals_won_90d, count_in_window(deals["closed_day"], 90, grid)),
        "avg_sales_cycle_days_90d": mean_in_window(deals["won_day"], deals["sales_cycle"], 90, grid),
        "median_sales_cycle_days_90d": median_in_window(deals["won_day"], deals["sales_cycle"], 90, grid),
        "marketing_spend_30d": marketing_spend_30d,
        "new_customers_30d": new_customers_30d,
        "cac_30d": ratio(marketing_spend_30d, new_customers_30d),
        "customers_total": count_to_date(accounts["first_win"], grid),
        "key_accounts_total": count_to_date(accounts["first_key_win"], grid),
        "renewal_rate_90d": ratio(count_in_window(renewals["won_day"], 90, grid),
                                  count_in_window(renewals["closed_day"], 90, grid)),
        "active_projects": count_per_day(active(projects), grid),
        "projects_delivered_90d": projects_delivered_90d,
        "on_time_delivery_rate_90d": ratio(count_in_window(on_time["end_day"], 90, grid), projects_delivered_90d),
        "milestones_overdue": count_per_day(overlap(overdue(milestones), active(milestones)), grid),
        "hours_30d": hours_30d,
        "labour_cost_30d": labour_cost_30d,
        "expenses_30d": sum_in_window(expenses["day"], expenses["amount"], 30, grid),
        "delivered_margin_pct_90d": _delivered_margin_pct_90d(facts, delivered, grid),
        "feedback_responses_90d": feedback_responses_90d,
        "nps_90d": nps_90d,
        "team_score_avg_90d": mean_in_window(team["day"], team["score"], 90, grid),
        # the weekly flows: the review's weekly grain
        "leads_created_7d": count_in_window(leads["created_day"], 7, grid),
        "leads_qualified_7d": count_in_window(leads["qualified_day"], 7, grid),
        "deals_created_7d": count_in_window(deals["created_day"], 7, grid),
        "deals_won_7d": count_in_window(deals["won_day"], 7, grid),
        "bookings_7d": sum_in_window(deals["won_day"], deals["amount"], 7, grid),
        "marketing_spend_7d": sum_in_window(spend["day"], spend["amount"], 7, grid),
        "new_customers_7d": count_in_window(accounts["first_win"], 7, grid),
        "projects_delivered_7d": count_in_window(delivered["end_day"], 7, grid),
        "hours_7d": hours_7d,
        "labour_cost_7d": labour_cost_7d,
        "expenses_7d": sum_in_window(expenses["day"], expenses["amount"], 7, grid),
        "feedback_responses_7d": count_in_window(customers["day"], 7, grid),
    })[PORTFOLIO_DAILY.names]


def _delivered_margin_pct_90d(facts: Facts, delivered: pd.DataFrame, grid: Grid) -> np.ndarray:
    """Over projects delivered in W90 with a contract value: (Σ contract value − Σ total cost to
    date) / Σ contract value.

    A project is in that set while its end is in W90 and its deal is won by D; each of its costs
    counts from the later of that and the cost's own date on, because costs to date keep growing
    after delivery (after-sales work).
    """
    in_set = overlap(in_window(delivered["end_day"], 90), from_day(delivered["won_day"]))
    contract = sum_per_day(in_set, delivered["contract_value"], grid)
    cost = np.zeros(grid.n)
    for frame, value in ((facts.entries, "labour_cost"), (facts.expenses, "amount")):
        # each cost of a delivered project beside when its project is in the set, in the costs' order
        # (a lookup: merging 3 million time entries on project_id was a fifth of the portfolio's time)
        project = Groups.of(frame["project_id"], delivered["project_id"]).codes
        costs = project >= 0
        delivered_of = project[costs]  # each cost's row in `delivered`
        project_in_set = Span(in_set.first[delivered_of], in_set.last[delivered_of])
        cost += raw_total_per_day(overlap(project_in_set, from_day(frame["day"].to_numpy()[costs])),
                                  frame[value].to_numpy()[costs], grid)
    # a sum over no rows is 0: where no project is in the set (the projects' count decides, as for
    # the contract value, so both sums are zeroed on the same dates)
    cost = np.where(count_per_day(in_set, grid) > 0, cost, 0.0)
    return ratio(contract - cost, contract)
