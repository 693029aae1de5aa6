"""What a nightly run tells the team (tasks/notify/message.py), from the warehouse alone: the pack's
link, the signals of D with their rule in words and owner, the red projects by name, the overdue
follow-ups; tables the warehouse does not have give nothing. A failed run: flow, dates, reason."""
from __future__ import annotations

import datetime as dt

import pytest

from notify.data import D, drop_team_tables, fill, insert, signal
from schemas.config import Settings
from tasks.notify.message import completed_message, failed_message, read_findings, run_message
from tasks.report import RunResult
from tasks.review import pack_path
from tasks.warehouse.migrate import prepare


@pytest.fixture
def published(warehouse):
    """Each kind of warehouse (SQLite, PostgreSQL), migrated and holding D (notify/data.py)."""
    prepare(warehouse)
    fill(warehouse)
    return warehouse


def completed() -> RunResult:
    return RunResult("run-1", "nightly_refresh", D, D, "completed", f"published 1 as-of date {D} … {D}")


def test_a_completed_run_lists_signals_red_projects_and_overdue_follow_ups(published, tmp_path):
    message = completed_message(completed(), read_findings(published, D, currency="EUR"),
                                "https://reports.example.com/ops/review-2026-11-30.html")
    assert message.title == "opsmetrics: nightly refresh completed, as of 2026-11-30"
    assert message.body == f"""\
The nightly refresh completed (run run-1): published 1 as-of date {D} … {D}.
Review pack: https://reports.example.com/ops/review-2026-11-30.html

Signals as of 2026-11-30 (2):
- Customers, weekly change: −3, this week below the lower limit; no owner
- Leads created (7 d): 31, 3 of the last 4 weeks above the upper midway; owner: Alice Chen

Red projects (2):
- Acme CRM rollout (P0042), Acme Corp: over budget by EUR 12,000; 2 overdue milestones; 20 days past its planned end
- P0077, A9: 30 days past its planned end

Overdue follow-ups (2):
- Why did partner leads jump? (Leads created (7 d)); owner: Alice Chen; due 2026-11-20 (10 days overdue); decision: watch
- Renewal risk at Globex; no owner; due 2026-11-29 (1 day overdue)
"""


def test_tables_the_warehouse_does_not_have_give_nothing(published):
    drop_team_tables(published)
    findings = read_findings(published, D)
    assert [s.owner for s in findings.signals] == [None, None] and findings.follow_ups is None
    body = completed_message(completed(), findings, None).body
    assert "owner: Alice Chen" not in body and body.count("no owner") == 2
    assert "follow-up" not in body and "Review pack: not written (see the run's log)" in body


def test_a_date_without_signals_or_red_projects_says_so(published):
    day = D + dt.timedelta(days=1)
    insert(published, "review_signals", [{**signal("bookings_7d", "weekly", 1.0), "as_of_date": day}])
    body = completed_message(RunResult("r", "nightly_refresh", day, day, "completed", "published"),
                             read_findings(published, day), None).body
    assert f"Signals as of {day}: none. No analysed metric moved beyond its usual variation this week." in body
    assert "Red projects: none." in body and "Overdue follow-ups (3):" in body
    older = read_findings(published, dt.date(2026, 1, 1))
    assert older.signals is None and older.red_projects == []
    assert "review_signals has no rows for this date" in completed_message(completed(), older, None).body


def test_the_message_in_chinese_uses_the_packs_words(published):
    body = completed_message(completed(), read_findings(published, D, lang="zh"), None, lang="zh").body
    assert "客户总数, 周变化: −3, 本周低于下限; 无负责人" in body
    assert "新线索（7天）: 31, 最近 4 周中有 3 周高于上中线; 负责人：Alice Chen" in body


def test_long_lists_are_cut_and_counted(published):
    insert(published, "project_daily", [{"as_of_date": D, "project_id": f"Q{i:03}", "health": "red"} for i in range(30)])
    body = completed_message(completed(), read_findings(published, D), None).body
    assert "Red projects (32):" in body and "  … and 12 more" in body


def test_the_pack_link_is_its_file_or_under_pack_url(tmp_path, published):
    settings = Settings(reports_dir=str(tmp_path / "reports"), notify={"chat": [{"kind": "slack", "url": "env:S"}]})
    assert "Review pack: not written" in run_message(settings, completed(), published).body
    path = pack_path(settings.reports_dir, D)
    path.parent.mkdir(parents=True)
    path.write_text("<html></html>")
    assert f"Review pack: {path.absolute().as_uri()}\n" in run_message(settings, completed(), published).body
    settings = settings.model_copy(update={"notify": settings.notify.model_copy(
        update={"pack_url": "https://reports.example.com/ops/"})})
    assert "Review pack: https://reports.example.com/ops/review-2026-11-30.html\n" in run_message(
        settings, completed(), published).body


def test_a_warehouse_that_cannot_be_read_still_gives_a_message(tmp_path):
    settings = Settings(reports_dir=str(tmp_path), notify={"chat": [{"kind": "slack", "url": "env:S"}]})
    message = run_message(settings, completed(), None)
    assert message.title.endswith("completed, as of 2026-11-30")
    assert "The signals, red projects and follow-ups could not be read: no warehouse" in message.body


def test_a_failed_run_says_the_flow_the_dates_and_the_reason():
    result = RunResult("run-2", "nightly_refresh", D - dt.timedelta(days=2), D, "failed",
                       "quarantine gate: deals: 230 of 4012 rows quarantined (5.7% > 5.0%)")
    message = failed_message(result)
    assert message.title == "opsmetrics: nightly refresh FAILED, as of 2026-11-28 … 2026-11-30"
    assert message.body.splitlines()[:2] == [
        "The nightly refresh failed for the as-of dates 2026-11-28 … 2026-11-30 (run run-2).",
        "Reason: quarantine gate: deals: 230 of 4012 rows quarantined (5.7% > 5.0%)"]
    assert "the tables are as the last good run left them" in message.body


def test_the_messages_own_words_never_hide_the_packs():
    """The message falls back on the pack's words (tasks/review/text.py): a key of its own with the
    same name would silently replace the pack's everywhere the message uses it."""
    from tasks.notify.message import WORDS
    from tasks.review.text import TEXT

    assert set(WORDS) & set(TEXT) == set()
    assert all(set(v) == {"en", "zh"} for v in WORDS.values())
