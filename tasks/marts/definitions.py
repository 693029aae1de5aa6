"""METRICS.md, "Shared definitions": the ones that more than one figure uses, in the spec's order,
each with the spec's sentence.

A definition that holds "at D" or "by D" is given as the as-of dates on which each row satisfies it:
a `Span` (calendar.py), one entry per row of the frame passed in, NEVER-first where the row never
does. The rest of that section is done once in facts.py, as columns:

- `date(ts)`: every `*_day` column (event dates in the business time zone, day numbers);
- "won by D", "closed by D": `won_day`, `closed_day` of a deal (NEVER if it never is);
- *sales cycle* of a won deal: `sales_cycle`; *labour cost* of a time entry: `labour_cost`;
- a project's deal, and so its contract value, sales cycle and segment: columns of `projects`;
- segment values compared trimmed: staging trims them; a missing one is `unknown` (industry,
  region, campaign: so a campaign literally named `unknown` is the same as a missing one);
- a feedback row whose project_id is no valid project: `project_id` null in facts.feedback.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from tasks.marts.calendar import (
    NEVER,
    Grid,
    Groups,
    Span,
    count_in_window,
    count_per_day,
    from_day,
    in_prior_window,
    in_window,
    overlap,
    ratio,
    sum_in_window,
    sum_per_day,
)


def open_at(deals: pd.DataFrame) -> Span:
    """Deal *open at D* = exists and not closed by D: `date(created_at) ≤ D < date(closed_at)`."""
    return Span(deals["created_day"].to_numpy(), deals["closed_day"].to_numpy() - 1)


def first_win_by_account(deals: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Customer: an `account_id` with a deal won by D. *Key account*: a customer with a deal won by
    D whose `is_key_account` is true. *New customer in Wn*: a customer whose first won deal's
    `date(closed_at)` ∈ Wn.

    Per account (and `by` columns): `first_win`, the first day one of its deals was won (it is a
    customer from then on), and `first_key_win`, the first day one of its key-account deals was won
    (a key account from then on); NEVER if none.
    """
    won = deals[deals["is_won"]]
    keys = (by or []) + ["account_id"]
    first = won.groupby(keys)["won_day"].min().rename("first_win")
    key = won[won["is_key_account"]].groupby(keys)["won_day"].min().rename("first_key_win")
    return pd.concat([first, key], axis=1).fillna(NEVER).astype("int64").reset_index()


def has_state(projects: pd.DataFrame) -> Span:
    """Project *state at D* (projects with status `planned` never have one): `not_started` if
    `start_date > D`, else a state: from the start date on."""
    planned = projects["status"].eq("planned").to_numpy()
    start = np.where(planned, NEVER, projects["start_day"].to_numpy())
    return Span(start, np.full(len(projects), NEVER))


def state_at(projects: pd.DataFrame, day: np.ndarray) -> np.ndarray:
    """Project *state at D*: `not_started` if `start_date > D`; `active` if `start_date ≤ D` and
    (`actual_end_date` missing or `> D`); otherwise its `status` (`delivered` or `cancelled`).
    A project `on_hold` is paused, not finished: it counts as active.

    `projects` holds one project per as-of date `day`, row by row; planned projects get None.
    """
    status = projects["status"].to_numpy()
    state = np.where(day < projects["start_day"].to_numpy(), "not_started",
                     np.where(day < projects["end_day"].to_numpy(), "active", status))
    return np.where(status == "planned", None, state)


def active(projects: pd.DataFrame) -> Span:
    """Projects whose state at D is `active`: `start_date ≤ D < actual_end_date`; planned ones never."""
    return Span(has_state(projects).first, projects["end_day"].to_numpy() - 1)


def contract_value_at(projects: pd.DataFrame, day: np.ndarray) -> np.ndarray:
    """*Contract value* of a project at D: the `amount` of its deal if that deal is won by D, else null.

    `projects` holds one project per as-of date `day`, row by row.
    """
    return np.where(deal_won_by(projects, day), projects["contract_value"].to_numpy(), np.nan)


def deal_won_by(projects: pd.DataFrame, day: np.ndarray) -> np.ndarray:
    """Whether the project's deal is won by D (`date(closed_at) ≤ D`), per row and as-of date `day`."""
    return projects["won_day"].to_numpy() <= day


def overdue(milestones: pd.DataFrame) -> Span:
    """Milestone *overdue at D*: `due_date < D` and not completed by D (`completed_date ≤ D`),
    i.e. D ∈ [due + 1, completed − 1]."""
    return Span(milestones["due_day"].to_numpy() + 1, milestones["completed_day"].to_numpy() - 1)


def live(licenses: pd.DataFrame) -> Span:
    """Licence *live at D*: `start_date ≤ D` and (`end_date` missing or `≥ D`)."""
    return Span(licenses["start_day"].to_numpy(), licenses["end_day"].to_numpy())


def latest_reading_in_w7(readings: pd.DataFrame) -> Span:
    """A licence's *active users at D*: `active_users` of its usage row with the latest
    `usage_date` in W7; 0 if none. Only while the licence is live.

    `readings` are usage rows with their licence's `start_day`/`end_day` and the day of the next
    reading of the same licence (`next_day`, NEVER if none): a reading is the latest in W7 from its
    day until 6 days later or the day before the next reading, whichever comes first.
    """
    day = readings["day"].to_numpy()
    first = np.maximum(day, readings["start_day"].to_numpy())
    last = np.minimum.reduce([in_window(day, 7).last, readings["next_day"].to_numpy() - 1,
                              readings["end_day"].to_numpy()])
    return Span(first, last)


def customer_responses(feedback: pd.DataFrame) -> pd.DataFrame:
    """A *customer response in Wn*: a valid feedback row with respondent `customer` and
    `date(submitted_at)` ∈ Wn. The rows; each is in Wn while `in_window(day, n)` holds."""
    return feedback[feedback["respondent"].eq("customer")]


def team_responses(feedback: pd.DataFrame) -> pd.DataFrame:
    """A *team response* in Wn: likewise, with any other respondent (partners included)."""
    return feedback[feedback["respondent"].ne("customer")]


def net_promoter(score) -> np.ndarray:
    """A *promoter* scores 9 or 10 (+1 to the net), a *detractor* 0 to 6 (−1); 7 and 8 neither (0)."""
    score = np.asarray(score, dtype="float64")
    return (score >= 9).astype("int64") - (score <= 6).astype("int64")


def nps_in_window(responses: pd.DataFrame, n: int, grid: Grid, by: Groups | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The responses dated in Wn and their **NPS** = 100 × (promoters − detractors) / responses,
    unrounded (null over no responses), per D (and with `by` per group): (responses, nps).

    `responses` has `day` and `score`; promoters − detractors is the sum of `net_promoter`, an
    integer, so the difference array adds it exactly."""
    count = count_in_window(responses["day"], n, grid, by)
    net = sum_in_window(responses["day"], net_promoter(responses["score"]), n, grid, by)
    return count, ratio(100.0 * net, count)


class CampaignMeasures(NamedTuple):
    """The measures of campaign_daily, which funnel_by_channel_daily has too (METRICS.md): per group
    of leads and spend, (groups × dates) matrices. Two cohorts of the group's leads: the young one,
    created in W90, and the matured one, created in P90 (D−179 … D−90, past most sales cycles)."""

    leads: np.ndarray  # leads created in W90 (the cohort)
    qualified: np.ndarray  # of the cohort, qualified by D
    converted: np.ndarray  # of the cohort, converted by D
    won: np.ndarray  # of the cohort, leads with a valid deal won by D
    cohort_won_amount: np.ndarray  # Σ amount of the valid deals won by D (whenever they closed) of the cohort's leads
    spend: np.ndarray  # Σ spend with spend_date in W90
    opportunities: np.ndarray  # opportunities created in W90 of the group's leads created by D
    pipeline_amount: np.ndarray  # Σ amount of those opportunities, whatever their stage at D
    leads_prior: np.ndarray  # leads created in P90 (the matured cohort)
    won_prior: np.ndarray  # of the matured cohort, leads with a valid deal won by D
    won_amount_prior: np.ndarray  # Σ amount of the valid deals won by D of the matured cohort's leads
    spend_prior: np.ndarray  # Σ spend with spend_date in P90

    def columns(self) -> dict[str, np.ndarray]:
        """The measures under their names in campaign_daily and funnel_by_channel_daily, in the
        contract's order: each line is the column's line of METRICS.md."""
        return {
            "leads_90d": self.leads,  # leads created in W90 (the cohort)
            "qualified_90d": self.qualified,  # of the cohort, qualified by D
            "converted_90d": self.converted,  # of the cohort, converted by D
            "won_90d": self.won,  # of the cohort, leads with a valid deal won by D
            "cohort_won_amount": self.cohort_won_amount,  # Σ amount of their valid deals won by D
            "spend_90d": self.spend,  # Σ spend with spend_date in W90
            "cost_per_lead_90d": self.cost_per_lead,  # spend_90d / leads_90d
            "cost_per_win_90d": self.cost_per_win,  # spend_90d / won_90d
            "return_on_spend_90d": self.return_on_spend,  # cohort_won_amount / spend_90d
            "opportunities_90d": self.opportunities,  # opportunities created in W90 of leads created by D
            "pipeline_amount_90d": self.pipeline_amount,  # Σ amount of those opportunities
            "cost_per_opportunity_90d": self.cost_per_opportunity,  # spend_90d / opportunities_90d
            "leads_prior_90d": self.leads_prior,  # leads created in P90 (the matured cohort)
            "won_prior_90d": self.won_prior,  # of the matured cohort, leads with a valid deal won by D
            "won_amount_prior_90d": self.won_amount_prior,  # Σ amount of their valid deals won by D
            "spend_prior_90d": self.spend_prior,  # Σ spend with spend_date in P90
            "cost_per_win_prior_90d": self.cost_per_win_prior,  # spend_prior_90d / won_prior_90d
            "return_on_spend_prior_90d": self.return_on_spend_prior,  # won_amount_prior_90d / spend_prior_90d
        }

    @property
    def cost_per_lead(self) -> np.ndarray:
        return ratio(self.spend, self.leads)

    @property
    def cost_per_win(self) -> np.ndarray:
        return ratio(self.spend, self.won)

    @property
    def return_on_spend(self) -> np.ndarray:
        return ratio(self.cohort_won_amount, self.spend)

    @property
    def cost_per_opportunity(self) -> np.ndarray:
        return ratio(self.spend, self.opportunities)

    @property
    def cost_per_win_prior(self) -> np.ndarray:
        return ratio(self.spend_prior, self.won_prior)

    @property
    def return_on_spend_prior(self) -> np.ndarray:
        return ratio(self.won_amount_prior, self.spend_prior)


def opportunities(deals: pd.DataFrame, leads: pd.DataFrame, of_lead: Groups) -> tuple[pd.DataFrame, Groups]:
    """An *opportunity* of a lead is a valid deal whose `lead_id` is that lead; it is *created in
    Wn* when `date(created_at)` ∈ Wn.

    The deals that are an opportunity of one of `leads`, each beside its lead's `lead_created_day`,
    and the group of `of_lead` its lead is in (a deal whose lead_id is no valid lead is in none)."""
    lead = pd.DataFrame({"lead_id": leads["lead_id"], "lead_created_day": leads["created_day"].to_numpy(),
                         "group": of_lead.codes})
    found = deals[["lead_id", "created_day", "won_day", "amount"]].merge(lead, on="lead_id")
    return found, Groups(found["group"].to_numpy(), of_lead.n)


def campaign_measures(leads: pd.DataFrame, deals: pd.DataFrame, spend: pd.DataFrame, grid: Grid,
                      of_lead: Groups, of_spend: Groups) -> CampaignMeasures:
    """The measures of each group of `of_lead` (its leads, and through them their deals) and of
    `of_spend` (the same groups: its spend), per D."""
    young, matured = in_window(leads["created_day"], 90), in_prior_window(leads["created_day"], 90)
    opportunity, of_deal = opportunities(deals, leads, of_lead)
    # a deal won by D counts for its lead's cohort whenever it closed, so a lead with two won deals
    # adds both amounts (and counts once among the cohort's won leads: leads.won_day is its first win)
    won_by_d = from_day(opportunity["won_day"])
    # counted from when both exist: the deal created in W90, the lead created by D (a deal may be
    # created before its lead)
    created_in_w90 = overlap(in_window(opportunity["created_day"], 90), from_day(opportunity["lead_created_day"]))

    def reaching(cohort: Span, step_day: str) -> np.ndarray:
        return count_per_day(overlap(cohort, from_day(leads[step_day])), grid, of_lead)

    def won_amount(cohort_of_deal: Span) -> np.ndarray:
        return sum_per_day(overlap(cohort_of_deal, won_by_d), opportunity["amount"], grid, of_deal)

    return CampaignMeasures(
        leads=count_per_day(young, grid, of_lead),
        qualified=reaching(young, "qualified_day"),
        converted=reaching(young, "converted_day"),
        won=reaching(young, "won_day"),
        cohort_won_amount=won_amount(in_window(opportunity["lead_created_day"], 90)),
        spend=sum_per_day(in_window(spend["day"], 90), spend["amount"], grid, of_spend),
        opportunities=count_per_day(created_in_w90, grid, of_deal),
        pipeline_amount=sum_per_day(created_in_w90, opportunity["amount"], grid, of_deal),
        leads_prior=count_per_day(matured, grid, of_lead),
        won_prior=reaching(matured, "won_day"),
        won_amount_prior=won_amount(in_prior_window(opportunity["lead_created_day"], 90)),
        spend_prior=sum_per_day(in_prior_window(spend["day"], 90), spend["amount"], grid, of_spend),
    )
