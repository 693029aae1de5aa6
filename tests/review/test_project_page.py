"""A project's page (tasks/review/project/) on hand-built data: the health and its reasons, the
schedule elapsed at every date, milestones overdue first, the favourite product, the responses newest
first with their comments, the notes of the project open first; "no data" sentences (never an empty
chart) for what a project or an older warehouse lacks; every chart valid Vega-Lite that draws marks;
the Chinese page in Chinese.

Every expected value is worked out by hand below (the arithmetic in comments)."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pandas as pd
import pytest

from review.pages import D, assert_valid, drawn_marks, frame, rows_of
from schemas.tables import (
    EFFORT_WEEKLY,
    FEEDBACK_RESPONSES,
    PROJECT_DAILY,
    PROJECT_DIRECTORY,
    PROJECT_LICENSES,
    PROJECT_MILESTONES,
    REVIEW_NOTES,
)
from tasks.marts.project_daily import health
from tasks.review.paths import project_file_name, project_href, project_page_path
from tasks.review.project import build_project_page
from tasks.review.project.data import OPTIONAL, ProjectData
from tasks.review.project.page import elapsed_over_time, favourite, health_reasons, milestone_rows, note_rows
from tasks.review.sections.delivery import schedule_elapsed
from tasks.review.text import Words

P = "PRJ-1"
EN = Words("en")


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# --- the data ---------------------------------------------------------------------------------

# start 2026-01-01, planned end 2026-03-21: 31 + 28 + 20 = 79 days; D = 2026-03-31 is 10 days past it
DIRECTORY = frame(PROJECT_DIRECTORY, [{
    "project_id": P, "name": "Acme CRM rollout", "account_id": "ACC-1", "account_name": "Acme", "deal_id": "DEAL-9",
    "status": "active", "start_date": day("2026-01-01"), "planned_end_date": day("2026-03-21")}])
DATES = ["2026-03-01", "2026-03-15", "2026-03-29", "2026-03-30", "2026-03-31"]  # published dates (gaps between)
HEALTH = ["green", "amber", "red", "red", "red"]
BURN = [0.40, 0.85, 1.02, 1.03, 1.05]
TOP = ["CRM", "Analytics", "Analytics", "Analytics", "Analytics"]
USERS = [10, 20, 28, 29, 30]
SEATS = [70, 70, 50, 50, 50]
DAILY = frame(PROJECT_DAILY, [{
    "as_of_date": day(d), "project_id": P, "account_id": "ACC-1", "region": "EMEA", "industry": "retail",
    "state": "active", "health": h, "budget_cost": 100_000.0, "budget_burn": b, "total_cost_to_date": b * 100_000,
    "labour_cost_to_date": b * 80_000, "expenses_to_date": b * 20_000, "cost_variance": b * 100_000 - 100_000,
    "milestones_overdue": 2 if d >= "2026-03-29" else 0, "schedule_slip_days": max(0, (day(d) - day("2026-03-21")).days),
    "top_product": top, "active_users": u, "seats_live": s, "seat_utilization": u / s, "products_live": 2,
    "sales_cycle_days": 45, "contract_value": 150_000.0, "margin_to_date": 150_000 - b * 100_000,
    "feedback_responses_180d": 2, "nps_180d": 0.0, "hours_to_date": 63.0}
    for d, h, b, top, u, s in zip(DATES, HEALTH, BURN, TOP, USERS, SEATS, strict=True)])
MILESTONES = frame(PROJECT_MILESTONES, [
    {"milestone_id": "M1", "project_id": P, "name": "Data migration", "phase": "implementation",
     "due_date": day("2026-03-10")},  # open, due 21 days before D: overdue by 21
    {"milestone_id": "M2", "project_id": P, "name": "Go-live", "phase": "implementation",
     "due_date": day("2026-03-25"), "completed_date": day("2026-04-02")},  # completed after D: overdue by 6 at D
    {"milestone_id": "M3", "project_id": P, "name": "Acceptance", "phase": "acceptance",
     "due_date": day("2026-04-15")},  # due 15 days after D
    {"milestone_id": "M4", "project_id": P, "name": "Design sign-off", "phase": "presales",
     "due_date": day("2026-02-01"), "completed_date": day("2026-02-05")},  # 4 days late
    {"milestone_id": "M5", "project_id": P, "name": "Kick-off", "phase": "presales",
     "due_date": day("2026-01-20"), "completed_date": day("2026-01-18")},  # on time
])
LICENCES = frame(PROJECT_LICENSES, [
    {"license_id": "L1", "project_id": P, "product": "Analytics", "seats": 50, "start_date": day("2026-01-15"),
     "active_users_latest": 30, "latest_usage_date": day("2026-03-30")},
    {"license_id": "L2", "project_id": P, "product": "CRM", "seats": 20, "start_date": day("2026-02-01"),
     "end_date": day("2026-03-15"), "active_users_latest": 5, "latest_usage_date": day("2026-03-14")},
    {"license_id": "L3", "project_id": P, "product": "Portal", "seats": 10, "start_date": day("2026-05-01")},
])
RESPONSES = frame(FEEDBACK_RESPONSES, [
    {"feedback_id": "F2", "account_id": "ACC-1", "project_id": P, "respondent": "customer", "score": 9,
     "comment": "Training was excellent.", "submitted_date": day("2026-03-12")},
    {"feedback_id": "F4", "account_id": "ACC-1", "project_id": P, "respondent": "project_manager", "score": 8,
     "comment": "Scope creep from the client's side.", "submitted_date": day("2026-02-20")},
    {"feedback_id": "F1", "account_id": "ACC-1", "project_id": P, "respondent": "customer", "score": 3,
     "comment": "Go-live slipped twice.\nWe need a date we can trust & a plan <b>in writing</b>.",
     "submitted_date": day("2026-03-30")},
    {"feedback_id": "F3", "account_id": "ACC-1", "project_id": P, "respondent": "partner", "score": 7,
     "comment": None, "submitted_date": day("2026-03-12")},
    {"feedback_id": "F5", "account_id": "ACC-1", "project_id": P, "respondent": "customer", "score": 10,
     "comment": "Written after D.", "submitted_date": day("2026-04-02")},
])
NOTES = frame(REVIEW_NOTES, [
    {"note_id": "N1", "noted_on": day("2026-03-03"), "subject": P, "owner": "Li", "decision": "fix",
     "note": "Replan the go-live", "follow_up_by": day("2026-03-17")},  # open, overdue by 14 at D
    {"note_id": "N2", "noted_on": day("2026-03-24"), "subject": P, "owner": "Ann", "note": "Ask for a budget top-up",
     "follow_up_by": day("2026-04-07")},  # open, due after D
    {"note_id": "N3", "noted_on": day("2026-03-10"), "subject": P, "owner": "Li", "decision": "watch",
     "note": "Watch the burn", "follow_up_by": day("2026-03-20"), "closed_on": day("2026-03-19")},  # closed
    {"note_id": "N4", "noted_on": day("2026-03-17"), "subject": P, "owner": "Bo", "note": "Customer escalated"},
    {"note_id": "N5", "noted_on": day("2026-03-20"), "subject": P, "owner": "Bo", "note": "Get the data owner",
     "follow_up_by": day("2026-03-27"), "closed_on": day("2026-04-01")},  # closed after D: overdue by 4 at D
    {"note_id": "N6", "noted_on": day("2026-04-01"), "subject": P, "owner": "Bo", "note": "Noted after D"},
])
EFFORT = frame(EFFORT_WEEKLY, [
    {"week_start": day("2026-03-16"), "project_id": P, "role": "engineer", "phase": "implementation", "hours": 30.0,
     "labour_cost": 3_000.0},
    {"week_start": day("2026-03-16"), "project_id": P, "role": "project_manager", "phase": "implementation",
     "hours": 5.0, "labour_cost": 750.0},
    {"week_start": day("2026-03-23"), "project_id": P, "role": "engineer", "phase": "acceptance", "hours": 20.0,
     "labour_cost": 2_000.0},
    {"week_start": day("2026-03-30"), "project_id": P, "role": "consultant", "phase": "acceptance", "hours": 8.0,
     "labour_cost": 1_200.0},
    {"week_start": day("2026-04-06"), "project_id": P, "role": "engineer", "phase": "acceptance", "hours": 99.0,
     "labour_cost": 9_900.0},  # a week starting after D
])


def project(**changes) -> ProjectData:
    base = {"project_id": P, "as_of": D, "directory": DIRECTORY, "daily": DAILY, "effort": EFFORT,
            "milestones": MILESTONES, "licences": LICENCES, "responses": RESPONSES, "notes": NOTES,
            "source": "sqlite:///hand-built.db"}
    return ProjectData(**(base | changes))


def section_of(page: str, section_id: str) -> str:
    start = page.index(f'<section id="{section_id}">')
    return page[start:page.index("</section>", start)]


def chart_specs(page: str) -> dict[str, dict]:
    return json.loads(re.search(r"const specs = (\{.*?\});\n", page, re.S).group(1).replace("<\\/", "</"))


def text_of(html_text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_text)).replace("&#x27;", "'").replace("&amp;", "&")


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return {lang: build_project_page(project(), lang=lang, back="../review-2026-03-31.html")[0] for lang in ("en", "zh")}


# --- health -----------------------------------------------------------------------------------

def row(**values) -> pd.Series:
    return pd.Series({"state": "active", "cost_variance": -10_000.0, "budget_burn": 0.5, "total_cost_to_date": 50_000.0,
                      "budget_cost": 100_000.0, "milestones_overdue": 0, "schedule_slip_days": 0} | values)


def test_the_reasons_name_each_condition_that_holds_with_its_numbers():
    # D's row: cost 105,000 against 100,000 (variance +5,000), 2 overdue, 10 days past 2026-03-21
    reasons = health_reasons(DAILY.iloc[-1], EN, "USD", day("2026-03-21"))
    assert [(r.measure, r.colour, r.text) for r in reasons] == [
        ("budget", "red", "over budget: cost to date USD 105,000 is USD 5,000 above the budget USD 100,000 "
                          "(cost variance above 0)"),
        ("milestones", "red", "2 milestones overdue (2 or more)"),
        ("slip", "amber", "10 days past the planned end 2026-03-21 (1 to 14)")]
    # amber: a burn of 95,000 / 100,000 = 95.0% and one milestone overdue
    amber = health_reasons(row(cost_variance=-5_000.0, budget_burn=0.95, total_cost_to_date=95_000.0,
                               milestones_overdue=1), EN, "USD")
    assert [r.text for r in amber] == ["budget burn 95.0%, above 90% (cost to date USD 95,000 of USD 100,000)",
                                       "1 milestone overdue"]
    # 20 days of slip is red, and not amber as well; one reason per measure
    assert [(r.colour, r.text) for r in health_reasons(row(schedule_slip_days=20), EN, "USD", day("2026-03-11"))] == [
        ("red", "20 days past the planned end 2026-03-11 (more than 14)")]
    # the boundaries hold nothing: a burn of exactly 90%, a variance of 0, 14 days is amber not red
    assert health_reasons(row(budget_burn=0.9, cost_variance=0.0), EN, "USD") == []
    assert [r.colour for r in health_reasons(row(schedule_slip_days=14), EN, "USD")] == ["amber"]
    # no budget: no burn and no variance, nothing to hold
    assert health_reasons(row(budget_burn=None, cost_variance=None, budget_cost=None), EN, "USD") == []


def test_the_reasons_give_the_colour_the_marts_give():
    """Over a grid around every threshold, the strongest reason is the mart's health (green: none)."""
    grid = list(itertools.product([-1.0, 0.0, 1.0, None], [0.5, 0.9, 0.91, 1.1, None], [0, 1, 2, 3], [0, 1, 14, 15]))
    rows = pd.DataFrame([{"state": "active", "cost_variance": cv, "budget_burn": burn, "milestones_overdue": m,
                          "schedule_slip_days": slip} for cv, burn, m, slip in grid])
    rows = rows.astype({"cost_variance": "float64", "budget_burn": "float64"})
    expected = health(rows)
    for (_, r), colour in zip(rows.iterrows(), expected, strict=True):
        reasons = health_reasons(r, EN, "USD")
        assert (reasons[0].colour if reasons else "green") == colour, dict(r)


def test_at_a_glance_says_why_and_since_when(pages):
    section = section_of(pages["en"], "summary")
    said = text_of(section)
    assert ("Red at 2026-03-31 because: over budget: cost to date USD 105,000 is USD 5,000 above the budget USD 100,000 "
            "(cost variance above 0); 2 milestones overdue (2 or more). Also amber: 10 days past the planned end "
            "2026-03-21 (1 to 14).") in said
    # red on 03-29, 03-30 and 03-31 (the published dates), amber on 03-15 before them
    assert "Red since 2026-03-29 (3 published dates in a row); amber before that." in said
    # burn 105% against all of the schedule passed (past the planned end): 105 − 100 = 5 points
    assert "Budget burn 105.0% against 100.0% of the schedule passed: spending 5.0 points faster than the schedule." \
        in said
    assert "Acme CRM rollout" in said and "PRJ-1" in said and "Acme" in said and "ACC-1" in said
    # each measure of the rule on its own: +5,000 > 0 red; 105% > 90% amber; 2 overdue red; 10 days amber
    assert re.findall(r'data-measure="(\w+)" data-reaches="(\w+)"', section) == [
        ("cost_variance", "red"), ("budget_burn", "amber"), ("milestones_overdue", "red"),
        ("schedule_slip_days", "amber")]
    assert '<a class="back" href="../review-2026-03-31.html">' in section
    # what to act on: M1 and M2 overdue (M1 by 21 days), M3 next; N1, N5 overdue and N2 open; F1 the latest
    # customer response (F5 is after D)
    assert re.findall(r"<li>(.*?)</li>", section) == [
        "2 milestones overdue, the longest “Data migration”, by 21 days.", "Next milestone: “Acceptance”, due 2026-04-15.",
        "3 follow-ups open, 2 of them overdue (Notes and decisions).",
        "The customer&#x27;s latest word, 2026-03-30, 3 (detractor): “Go-live slipped twice. We need a date we can trust "
        "&amp; a plan &lt;b&gt;in writing&lt;/b&gt;.”"]


def test_a_project_not_active_has_no_health_and_says_so():
    delivered = DAILY.assign(state="delivered", health=None)
    page, _ = build_project_page(project(daily=delivered))
    assert "No health: only active projects have one (state at the date: delivered)." in text_of(
        section_of(page, "summary"))
    # its measures are shown, but give no colour: health is for active projects only
    assert set(re.findall(r'data-reaches="(\w+)"', section_of(page, "summary"))) == {"none"}


def test_a_project_without_a_budget_draws_its_schedule_alone():
    page, _ = build_project_page(project(daily=DAILY.assign(budget_cost=None, budget_burn=None, cost_variance=None)))
    assert "No budget: the burn cannot be drawn, only the schedule." in text_of(section_of(page, "budget"))
    lines = chart_specs(page)["chart-burn"]["vconcat"][1]["layer"][1]
    assert {r["series"] for r in lines["data"]["values"]} == {"Schedule elapsed"}
    assert lines["encoding"]["color"]["scale"] == {"domain": ["Schedule elapsed"], "range": ["#0969da"]}


# --- budget and schedule ----------------------------------------------------------------------

def test_the_schedule_elapsed_at_every_date_is_the_packs_at_each():
    dates = DAILY["as_of_date"]
    got = elapsed_over_time(DIRECTORY, dates)
    # 79 days from start to planned end: 03-01 is day 59 (31 + 28), 03-15 day 73; 03-29 on are past the end
    assert got.round(6).tolist() == [round(59 / 79, 6), round(73 / 79, 6), 1.0, 1.0, 1.0]
    one = pd.DataFrame({"project_id": [P]})
    assert got.tolist() == [float(schedule_elapsed(one, DIRECTORY, d.date()).iloc[0]) for d in dates]
    # before the start: 0; a schedule of no days: all passed once started; no dates: null
    assert elapsed_over_time(DIRECTORY, [day("2025-12-01")]).tolist() == [0.0]
    same_day = DIRECTORY.assign(planned_end_date=day("2026-01-01"))
    assert elapsed_over_time(same_day, [day("2025-12-31"), day("2026-01-01")]).tolist() == [0.0, 1.0]
    assert elapsed_over_time(DIRECTORY.assign(start_date=pd.NaT), dates).isna().all()
    assert elapsed_over_time(DIRECTORY.iloc[0:0], dates).isna().all()


def test_the_burn_chart_draws_both_lines_under_the_health_of_each_date(pages):
    spec = chart_specs(pages["en"])["chart-burn"]
    strip, lines = spec["vconcat"][0], spec["vconcat"][1]["layer"][1]
    assert [r["health"] for r in strip["data"]["values"]] == ["Green", "Amber", "Red", "Red", "Red"]
    # each date's band runs to the next published date; D's to the day after
    assert [r["until"] for r in strip["data"]["values"]] == ["2026-03-15", "2026-03-29", "2026-03-30", "2026-03-31",
                                                             "2026-04-01"]
    burn = [r["value"] for r in lines["data"]["values"] if r["series"] == "Budget burn"]
    assert [round(v, 6) for v in burn] == [40.0, 85.0, 102.0, 103.0, 105.0]
    elapsed = [r["value"] for r in lines["data"]["values"] if r["series"] == "Schedule elapsed"]
    assert [round(v, 4) for v in elapsed] == [round(5900 / 79, 4), round(7300 / 79, 4), 100.0, 100.0, 100.0]


# --- milestones, products, voice, notes ---------------------------------------------------------

def test_milestones_overdue_first_as_they_stood_at_d(pages):
    m = milestone_rows(MILESTONES, D)
    assert list(zip(m["milestone_id"], m["status"], m["days"], strict=True)) == [
        ("M1", "overdue", 21), ("M2", "overdue", 6),  # 03-31 − 03-10; 03-31 − 03-25 (completed after D)
        ("M3", "open", 15),  # 04-15 − 03-31
        ("M5", "done", -2), ("M4", "done", 4)]  # done by due date: 01-18 − 01-20; 02-05 − 02-01
    section = section_of(pages["en"], "milestones")
    assert "5 milestones at 2026-03-31: 2 overdue, 1 open, 2 completed." in text_of(section)
    assert [r[0] for r in rows_of(section)] == ["Data migration M1", "Go-live M2", "Acceptance M3", "Kick-off M5",
                                                "Design sign-off M4"]
    assert [r[3:] for r in rows_of(section)] == [["–", "overdue by 21 days"], ["–", "overdue by 6 days"],
                                                 ["–", "due in 15 days"], ["2026-01-18", "completed on time"],
                                                 ["2026-02-05", "completed 4 days late"]]
    assert "project_daily published" not in section  # its count at D (2) is the list's


def test_the_favourite_product_and_how_often_it_was_top(pages):
    top, counts = favourite(DAILY)
    assert top == "Analytics" and counts.to_dict() == {"Analytics": 4, "CRM": 1}
    said = text_of(section_of(pages["en"], "products"))
    assert ("Favourite product: Analytics, the one with the most active users at 2026-03-31; the top product on 4 of "
            "the 5 published dates that have one. Also top: CRM on 1.") in said
    licences = rows_of(section_of(pages["en"], "products"))[-3:]
    # by product: Analytics live (latest usage 30 on 03-30), CRM ended 03-15, Portal starts 05-01
    assert [(r[0], r[5], r[6]) for r in licences] == [("Analytics", "live", "30 (2026-03-30)"),
                                                      ("CRM", "ended", "5 (2026-03-14)"),
                                                      ("Portal", "not started", "–")]
    usage = chart_specs(pages["en"])["chart-usage"]["vconcat"][1]["data"]["values"]
    # 10 / 70, 20 / 70, 28 / 50, 29 / 50, 30 / 50 in percent
    assert [round(r["utilisation"], 4) for r in usage] == [round(1000 / 70, 4), round(2000 / 70, 4), 56.0, 58.0, 60.0]


def test_responses_newest_first_with_their_comments_in_full(pages):
    section = section_of(pages["en"], "voice")
    assert [r for r in rows_of(section)] == [
        ["2026-03-30", "Customer", "3 · detractor",
         "Go-live slipped twice.\nWe need a date we can trust & a plan <b>in writing</b>."],
        ["2026-03-12", "Customer", "9 · promoter", "Training was excellent."],  # same day as F3: by id
        ["2026-03-12", "Partner", "7 · passive", "–"],
        ["2026-02-20", "Project manager", "8 · passive", "Scope creep from the client's side."]]  # F5 is after D
    assert re.findall(r'data-feedback="(\w+)" data-kind="(\w+)"', section) == [
        ("F1", "detractor"), ("F2", "promoter"), ("F3", "passive"), ("F4", "passive")]
    assert '<span class="badge bad"' in section and '<td class="comment">' in section
    assert "&lt;b&gt;in writing&lt;/b&gt;" in section  # a comment is text, never markup
    said = text_of(section)
    assert "NPS (180 d) at 2026-03-31: +0.0 over 2 customer responses." in said
    assert "4 responses: 1 promoters, 2 passives, 1 detractors." in said


def test_the_notes_of_the_project_open_follow_ups_first(pages):
    n = note_rows(NOTES, D)
    # open: N1 (due 03-17) and N5 (due 03-27, closed only after D) overdue, then N2 due after D; then the
    # rest newest first: N4 (03-17), N3 (03-10); N6 is noted after D
    assert list(zip(n["note_id"], n["state"], strict=True)) == [
        ("N1", "overdue"), ("N5", "overdue"), ("N2", "open"), ("N4", "none"), ("N3", "closed")]
    section = section_of(pages["en"], "notes")
    assert [r[-1] for r in rows_of(section)] == ["overdue by 14 days", "overdue by 4 days", "open, due 2026-04-07", "–",
                                                 "closed on 2026-03-19"]
    assert [r[2] for r in rows_of(section)] == ["fix", "–", "–", "–", "watch"]


def test_the_deal_and_its_sales_cycle(pages):
    said = text_of(section_of(pages["en"], "deal"))
    assert "Deal DEAL-9, won: its sales cycle (created → won) was 45 days." in said
    assert "USD 150,000" in said


def test_effort_by_week_role_and_phase_up_to_ds_week(pages):
    section = section_of(pages["en"], "effort")
    # 30 + 5 + 20 + 8 = 63 hours, 3,000 + 750 + 2,000 + 1,200 = 6,950; the week of 04-06 starts after D
    assert "63.0 hours and USD 6,950 of labour in 3 weeks with time entries, the weeks starting 2026-03-16 … " \
           "2026-03-30" in text_of(section)
    specs = chart_specs(pages["en"])
    hours = specs["chart-weekly-hours"]["data"]["values"]
    assert sorted((r["week_start"], r["role"], r["hours"]) for r in hours) == [
        ("2026-03-16", "Engineer", 30.0), ("2026-03-16", "Project manager", 5.0), ("2026-03-23", "Engineer", 20.0),
        ("2026-03-30", "Consultant", 8.0)]
    # stacked in the roles' order (project manager before engineer): 0 … 5, then 5 … 5 + 30 = 35
    assert [(r["role"], r["lo"], r["hi"]) for r in hours if r["week_start"] == "2026-03-16"] == [
        ("Project manager", 0.0, 5.0), ("Engineer", 5.0, 35.0)]
    cost = specs["chart-weekly-labour_cost"]["data"]["values"]
    assert sorted((r["week_start"], r["phase"], r["labour_cost"]) for r in cost) == [
        ("2026-03-16", "Implementation", 3_750.0), ("2026-03-23", "Acceptance", 2_000.0),
        ("2026-03-30", "Acceptance", 1_200.0)]
    heat = {(r["role"], r["phase"]): r["hours"] for r in specs["chart-heat-hours"]["data"]["values"]}
    assert heat == {("Engineer", "Implementation"): 30.0, ("Engineer", "Acceptance"): 20.0,
                    ("Project manager", "Implementation"): 5.0, ("Consultant", "Acceptance"): 8.0}


# --- the page as a whole ------------------------------------------------------------------------

def test_every_chart_is_valid_and_draws_marks(pages):
    for lang, page in pages.items():
        specs = chart_specs(page)
        assert set(specs) == {"chart-burn", "chart-weekly-hours", "chart-weekly-labour_cost", "chart-heat-hours",
                              "chart-heat-cost", "chart-usage", "chart-scores"}, lang
        for chart_id, spec in specs.items():
            assert_valid(spec)
            assert sum(drawn_marks(spec).values()) > 0, chart_id


def test_the_sections_in_order_and_the_chinese_page_in_chinese(pages):
    ids = re.findall(r'<section id="([a-z-]+)">', pages["en"])
    assert ids == ["summary", "budget", "milestones", "effort", "products", "deal", "voice", "notes"]
    zh = pages["zh"]
    assert '<html lang="zh-CN">' in zh and "专项盘点" in zh
    body = zh[:zh.index("<script>")] + json.dumps(chart_specs(zh), ensure_ascii=False)
    english = ("At a glance", "Milestones", "overdue by", "Favourite product", "Budget burn", "Schedule elapsed",
               "What the customer said", "Notes and decisions", "Engineer", "Implementation", "promoter", "Partner",
               "Red", "Amber", "ended", "not started", "Hours per week", "Respondent")
    leftover = [w for w in english if re.search(rf"\b{re.escape(w)}\b", text_of(body))]
    assert leftover == []  # comments, names and notes are the source's own words (none of these)


def test_what_a_project_or_an_older_warehouse_lacks_is_said_never_drawn_empty():
    bare = project(effort=EFFORT.iloc[0:0], milestones=MILESTONES.iloc[0:0], licences=LICENCES.iloc[0:0],
                   responses=RESPONSES.iloc[0:0], notes=NOTES.iloc[0:0],
                   daily=DAILY.assign(active_users=0, seats_live=0, seat_utilization=None, top_product=None,
                                      feedback_responses_180d=0, nps_180d=None),
                   directory=DIRECTORY.assign(deal_id=None))
    page, n = build_project_page(bare)
    said = text_of(page[:page.index("<script>")])
    for sentence in ("No time entry of this project in the weeks starting by 2026-03-31.",
                     "No milestone: the source lists none for this project.",
                     "No licence: the source lists none for this project.",
                     "No seat live and no active user at any published date: no usage to draw.",
                     "No product of this project has had an active user at any published date.",
                     "No customer response in the 180 days to 2026-03-31: no NPS.",
                     "No response about this project submitted by 2026-03-31.",
                     "No review note about this project by 2026-03-31.", "No deal: the project names none."):
        assert sentence in said, sentence
    assert set(chart_specs(page)) == {"chart-burn"} and n == 1
    older, _ = build_project_page(project(absent=frozenset(OPTIONAL)))
    said = text_of(older[:older.index("<script>")])
    for table in OPTIONAL:
        assert f"no data, the warehouse has no table {table}" in said, table
    assert "chart-scores" not in chart_specs(older)


def test_the_page_name_and_link_of_a_project():
    assert project_file_name("PRJ-1", D) == "PRJ-1-2026-03-31.html"
    assert project_file_name("PRJ-1", D, "zh") == "PRJ-1-2026-03-31.zh.html"
    assert project_href("PRJ-1", D) == "projects/PRJ-1-2026-03-31.html"
    assert str(project_page_path("reports", "PRJ-1", D)) == "reports/projects/PRJ-1-2026-03-31.html"
    # an id a file name should not hold: replaced, with a hash so two ids never share a file
    odd = project_file_name("A/B 1", D)
    assert re.fullmatch(r"A_B_1-[0-9a-f]{8}-2026-03-31\.html", odd) and odd != project_file_name("A_B_1", D)
    assert project_file_name("A_B_1", dt.date(2026, 3, 31)) == "A_B_1-2026-03-31.html"
    assert project_href("A B", D).startswith("projects/A_B-")
