"""The review pack's "Decisions and follow-ups" section (issue 23) on hand-built review notes and
campaign figures, every expectation worked out by hand: the notes of the review week, the open
follow-ups (overdue first, closed ones gone, those due beyond a week not yet), and the decisions
on campaigns (a `drop` that still spends flagged, one that stopped not; a `keep` with its move)."""
from __future__ import annotations

import re

import pandas as pd

from review.pages import D, frame, rows_of
from schemas.tables import CAMPAIGN_DAILY, PROJECT_DIRECTORY
from tasks.review.data import ReviewData
from tasks.review.plan import Notes
from tasks.review.sections import Context
from tasks.review.sections.decisions import decisions
from tasks.review.text import Words

# D = 2026-03-31: the review week is 03-25 … 03-31; follow-ups due by D + 7 = 04-07 are listed


def note(note_id: str, noted_on: str, owner: str, text: str, *, metric: str | None = None, subject: str | None = None,
         decision: str | None = None, follow_up_by: str | None = None, closed_on: str | None = None) -> dict:
    return {"note_id": note_id, "noted_on": pd.Timestamp(noted_on), "metric": metric, "subject": subject,
            "owner": owner, "decision": decision, "note": text,
            "follow_up_by": pd.Timestamp(follow_up_by) if follow_up_by else pd.NaT,
            "closed_on": pd.Timestamp(closed_on) if closed_on else pd.NaT, "updated_at": None}


NOTES = pd.DataFrame([
    note("N1", "2026-03-30", "Li Wei", "The launch brought 30 leads", metric="leads_created_7d", decision="watch",
         follow_up_by="2026-04-06"),  # due within the week: listed, not overdue
    note("N2", "2026-03-23", "Priya", "Re-plan acceptance", subject="P1", decision="fix",
         follow_up_by="2026-03-27"),  # open, due 4 days before D: overdue
    note("N3", "2026-03-16", "Priya", "Add a tester", subject="P2", decision="fix", follow_up_by="2026-03-20",
         closed_on="2026-03-22"),  # closed: gone
    note("N4", "2026-03-16", "Anna", "No win in six months", subject="paid_ads/LinkedIn ABM", decision="drop"),
    note("N5", "2026-03-23", "Anna", "Best cost per win", subject="event/Trade show", decision="keep"),
    note("N6", "2026-03-30", "Anna", "Stop the webinars", subject="content/Webinar", decision="drop"),
    note("N8", "2026-03-25", "Sam", "Call the CFO", subject="A1", follow_up_by="2026-04-10"),  # due after 04-07
    note("N7", "2026-04-02", "Sam", "Noted after D", subject="P1", decision="fix", follow_up_by="2026-04-01"),
])


def campaign(day: str, channel: str, name: str, cpo: float, cpw: float | None, spend: float) -> dict:
    return {"as_of_date": pd.Timestamp(day), "channel": channel, "campaign": name, "cost_per_opportunity_90d": cpo,
            "cost_per_win_prior_90d": cpw, "spend_90d": spend}


DECIDED = [campaign("2026-03-16", "paid_ads", "LinkedIn ABM", 1_000.0, None, 9_000.0),
           campaign("2026-03-23", "event", "Trade show", 500.0, 2_000.0, 3_000.0),
           campaign("2026-03-30", "content", "Webinar", 800.0, None, 1_600.0)]
NOW = [campaign("2026-03-31", "paid_ads", "LinkedIn ABM", 1_200.0, None, 9_500.0),
       campaign("2026-03-31", "event", "Trade show", 400.0, 1_500.0, 3_500.0),
       campaign("2026-03-31", "content", "Webinar", 800.0, None, 1_600.0)]
# LinkedIn ABM spent on the decision's day (not after it) and 300 + 200 after; the webinars only that day
SPEND = pd.DataFrame([
    {"spend_date": pd.Timestamp("2026-03-20"), "channel": "paid_ads", "campaign": "LinkedIn ABM", "amount": 300.0},
    {"spend_date": pd.Timestamp("2026-03-27"), "channel": "paid_ads", "campaign": "LinkedIn ABM", "amount": 200.0},
    {"spend_date": pd.Timestamp("2026-03-30"), "channel": "content", "campaign": "Webinar", "amount": 100.0},
])


def review_data(notes: pd.DataFrame = NOTES) -> ReviewData:
    empty = pd.DataFrame()
    return ReviewData(
        as_of=D, portfolio=empty, changes=empty, signals=empty, signal_history=empty, funnel=empty,
        campaigns=frame(CAMPAIGN_DAILY, NOW), projects=empty, projects_week_ago=empty, effort=empty, latest_run=None,
        week_ago_run=None, quarantine=empty, restatements=empty,
        directory=frame(PROJECT_DIRECTORY, [{"project_id": "P1", "name": "Acme CRM rollout", "account_id": "A1"}]),
        notes=notes, decided=frame(CAMPAIGN_DAILY, DECIDED).assign(
            as_of_date=[pd.Timestamp(c["as_of_date"]) for c in DECIDED]), spend_since=SPEND)


def tables(html: str) -> list[list[list[str]]]:
    return [rows_of(t) for t in re.findall(r"<table.*?</table>", html, re.S)]


def test_the_notes_of_the_review_week():
    week, *_ = tables(decisions(Context(review_data(), Words("en"), "USD")).html)
    # noted 03-25 … 03-31, by date then id: N8 (03-25), N1 and N6 (03-30); a project by its name, a
    # metric by its label, a campaign by its channel's label
    assert week == [
        ["2026-03-25", "Sam", "A1", "–", "Call the CFO", "2026-04-10"],
        ["2026-03-30", "Li Wei", "Leads created (7 d)", "watch", "The launch brought 30 leads", "2026-04-06"],
        ["2026-03-30", "Anna", "Content · Webinar", "drop", "Stop the webinars", "–"]]


def test_open_follow_ups_overdue_first_closed_ones_gone():
    html = decisions(Context(review_data(), Words("en"), "USD")).html
    _, follow, _ = tables(html)
    # N2 due 03-27, 4 days before D: overdue, first; N1 due 04-06 within the week; N3 closed, N8 due
    # 04-10 after D + 7 and N7 noted after D are not listed
    assert follow == [["2026-03-27 overdue by 4 days", "Priya", "Acme CRM rollout P1", "Re-plan acceptance",
                       "2026-03-23"],
                      ["2026-04-06", "Li Wei", "Leads created (7 d)", "The launch brought 30 leads", "2026-03-30"]]
    assert 'data-note="N2" data-overdue="true"' in html and 'data-note="N1" data-overdue="false"' in html
    # once N2 is closed it is gone
    closed = NOTES.assign(closed_on=[pd.Timestamp("2026-03-29") if n == "N2" else c
                                     for n, c in zip(NOTES["note_id"], NOTES["closed_on"], strict=True)])
    assert Notes.of(closed).open_follow_ups(D)["note_id"].tolist() == ["N1"]


def test_a_dropped_campaign_that_still_spends_is_flagged_and_a_kept_one_shows_its_move():
    html = decisions(Context(review_data(), Words("en"), "USD")).html
    *_, decided = tables(html)
    # N4: dropped 03-16, spent 300 (03-20) + 200 (03-27) = 500 after it; N5 kept: cost per opportunity
    # 500 -> 400, matured cost per win 2,000 -> 1,500; N6: dropped 03-30, spent only that day: not flagged
    # 400 / 500 - 1 = -20%, 1,500 / 2,000 - 1 = -25%
    assert decided == [
        ["Paid ads · LinkedIn ABM", "drop", "2026-03-16", "Anna", "USD 1,000 → USD 1,200", "–",
         "USD 9,000 → USD 9,500", "still spending: USD 500 since 2026-03-16"],
        ["Events · Trade show", "keep", "2026-03-23", "Anna", "USD 500 → USD 400", "USD 2,000 → USD 1,500",
         "USD 3,000 → USD 3,500", "since kept: cost per opportunity −20.0%, per win −25.0%"],
        ["Content · Webinar", "drop", "2026-03-30", "Anna", "USD 800 → USD 800", "–", "USD 1,600 → USD 1,600", ""]]
    assert 'data-campaign="paid_ads/LinkedIn ABM" data-decision="drop" data-still-spending="500.00"' in html
    assert 'data-campaign="content/Webinar" data-decision="drop" data-still-spending="0.00"' in html


def test_no_notes_is_a_sentence_in_both_languages():
    empty = review_data(pd.DataFrame())
    assert "No notes: the warehouse has no review notes" in decisions(Context(empty, Words("en"), "USD")).html
    section = decisions(Context(empty, Words("zh"), "USD"))
    assert section.title == "决定与跟进" and "无记录" in section.html


def test_notes_without_campaign_decisions_or_follow_ups_say_so():
    only = NOTES[NOTES["note_id"] == "N3"]  # closed, last fortnight, no campaign
    html = decisions(Context(review_data(only), Words("en"), "USD")).html
    assert "No note dated this week." in html and "No follow-up is open and due within the week." in html
    assert "No decision on a campaign yet." in html
