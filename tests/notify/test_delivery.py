"""Delivery end to end (tasks/notify/): the message of a run reaches an SMTP server and HTTP(S)
receivers started here, through Apprise, for every kind of channel; a receiver that fails and then
answers is retried, one that always fails is logged under its kind while the run and the tables
stay as they were; a secret planted in the environment appears in no message and no log line.

Slack, Feishu, Lark and DingTalk post to their own hosts, which Apprise does not let a URL change:
their plugins' endpoint is pointed at the local receiver here (class attributes, for the test), so
the URL mapping and the payload Apprise builds are what is sent. Teams Workflows and the generic
webhook take any host: their real URLs point at the receiver."""
from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import pytest
import sqlalchemy as sa
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.lark import NotifyLark
from apprise.plugins.slack import NotifySlack
from builders import dataset

from notify.data import D, fill
from notify.receivers import SMTP_PASSWORD, SMTP_USER
from schemas.config import Settings
from tasks import pipeline
from tasks.notify import notify_run
from tasks.report import RunResult
from tasks.review import pack_path

# planted: each credential of the test holds one of these, and none may be seen but by its service
SECRETS = {"HOOK_TOKEN": "planted-hook-SECRET-0123456789", "SIGNING": "SECplantedsigningsecret0123456789",
           "SLACK_TOKEN": "plantedSLACKsecret0123456789", "CHAT_TOKEN": "planted-chat-SECRET-0123456789"}
LOG = logging.getLogger("opsmetrics.test.notify")


def completed(day: dt.date = D) -> RunResult:
    return RunResult("run-7", "nightly_refresh", day, day, "completed", f"published 1 as-of date {day} … {day}")


def settings_for(tmp_path, currency: str = "EUR", **notify) -> Settings:
    return Settings(warehouse=f"sqlite:///{tmp_path / 'w.db'}", reports_dir=str(tmp_path / "reports"),
                    reporting_currency=currency, notify={"backoff_seconds": 0.5, **notify})


def no_wait(waited: list[float]):
    return waited.append


def assert_nothing_secret(texts: list[str], *secrets: str) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"a secret in: {text[:300]}"


@pytest.fixture
def filled(wh, tmp_path):
    """The migrated SQLite warehouse holding D, and its review pack on disk."""
    fill(wh)
    pack = pack_path(tmp_path / "reports", D)
    pack.parent.mkdir(parents=True)
    pack.write_text("<html></html>")
    return wh


@pytest.fixture
def chat_endpoints(monkeypatch):
    """Point Slack, Feishu, Lark and DingTalk's plugins at `base` (a local HTTPS receiver)."""
    def at(base: str) -> None:
        monkeypatch.setattr(NotifySlack, "webhook_url", f"{base}/services")
        monkeypatch.setattr(NotifyFeishu, "notify_url", f"{base}/open-apis/bot/v2/hook/{{token}}/")
        monkeypatch.setattr(NotifyLark, "notify_url", f"{base}/open-apis/bot/v2/hook/")
        monkeypatch.setattr(NotifyDingTalk, "notify_url", f"{base}/robot/send?access_token={{token}}")
    return at


def test_every_kind_of_channel_receives_the_message_and_no_secret(filled, tmp_path, monkeypatch, receivers, smtp,
                                                                  chat_endpoints, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, Apprise's and urllib3's included
    plain, tls = receivers(), receivers(tls=True)
    chat_endpoints(tls.base)
    workflow = (f"{tls.base}/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?"
                f"api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SECRETS['CHAT_TOKEN']}")
    env = {"SMTP_PASSWORD": SMTP_PASSWORD,
           "HOOK_URL": f"{plain.base}/hooks/{SECRETS['HOOK_TOKEN']}?key={SECRETS['CHAT_TOKEN']}",
           "HOOKS_URL": f"{tls.base}/ops/{SECRETS['HOOK_TOKEN']}",
           "SLACK_URL": f"https://hooks.slack.com/services/T0123ABCD/B0123ABCD/{SECRETS['SLACK_TOKEN']}",
           "TEAMS_URL": workflow,
           "FEISHU_URL": f"https://open.feishu.cn/open-apis/bot/v2/hook/{SECRETS['CHAT_TOKEN']}",
           "LARK_URL": f"https://open.larksuite.com/open-apis/bot/v2/hook/{SECRETS['CHAT_TOKEN']}",
           "DINGTALK_URL": "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdefplantedtoken",
           "DINGTALK_SECRET": SECRETS["SIGNING"]}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = settings_for(tmp_path, email={
        "host": "127.0.0.1", "port": smtp.port, "security": "starttls", "username": SMTP_USER,
        "password": "env:SMTP_PASSWORD", "from": "opsmetrics@example.com", "to": ["ops@example.com", "cfo@example.com"]},
        chat=[{"kind": "webhook", "url": "env:HOOK_URL"}, {"kind": "webhook", "url": "env:HOOKS_URL"},
              {"kind": "slack", "url": "env:SLACK_URL"}, {"kind": "teams", "url": "env:TEAMS_URL"},
              {"kind": "feishu", "url": "env:FEISHU_URL"}, {"kind": "lark", "url": "env:LARK_URL"},
              {"kind": "dingtalk", "url": "env:DINGTALK_URL", "secret": "env:DINGTALK_SECRET"}])
    waited: list[float] = []

    done = notify_run(settings, completed(), filled, LOG, sleep=no_wait(waited))

    assert [(d.label, d.delivered, d.attempts) for d in done] == [
        ("email to ops@example.com", True, 1), ("email to cfo@example.com", True, 1), ("webhook", True, 1),
        ("webhook #2", True, 1), ("slack", True, 1), ("teams", True, 1), ("feishu", True, 1), ("lark", True, 1),
        ("dingtalk", True, 1)] and waited == []
    # e-mail: over STARTTLS, logged in with the password of the environment, one message per recipient
    assert smtp.logins == [(SMTP_USER, SMTP_PASSWORD)] * 2
    assert sorted(m.recipients[0] for m in smtp.mails) == ["cfo@example.com", "ops@example.com"]
    mail = smtp.mails[0]
    assert mail.sender == "opsmetrics@example.com"
    assert mail.subject == "opsmetrics: nightly refresh completed, as of 2026-11-30"
    # the generic webhook: Apprise's JSON POST to the URL's own path and query
    [hook] = plain.received
    assert hook.path == f"/hooks/{SECRETS['HOOK_TOKEN']}?key={SECRETS['CHAT_TOKEN']}"
    assert hook.json["title"] == mail.subject and hook.json["type"] == "info"
    by_path = {r.path.split("?")[0].split("/")[1]: r for r in tls.received}
    assert set(by_path) == {"ops", "services", "workflows", "open-apis", "robot"} and len(tls.received) == 6
    chats = {"slack": by_path["services"].json["attachments"][0]["text"],
             "teams": str(by_path["workflows"].json["attachments"][0]["content"]["body"]),
             "dingtalk": by_path["robot"].json["text"]["content"],
             **{f"open-apis {i}": r.json["content"]["text"] for i, r in enumerate(tls.received)
                if r.path.startswith("/open-apis/")}}
    assert "sign=" in by_path["robot"].path  # DingTalk: signed with the secret, which is not sent itself
    pack = pack_path(tmp_path / "reports", D).absolute().as_uri()
    for where, text in {"mail": mail.body, "webhook": hook.json["message"], **chats}.items():
        # Teams' card and the rest may escape or wrap the text: look for each line's words
        for expected in (f"Review pack: {pack}", "Leads created (7 d): 31, 3 of the last 4 weeks above the upper "
                         "midway; owner: Alice Chen", "Customers, weekly change: −3, this week below the lower limit; "
                         "no owner", "Acme CRM rollout (P0042), Acme Corp: over budget by EUR 12,000",
                         "Why did partner leads jump? (Leads created (7 d)); owner: Alice Chen; due 2026-11-20"):
            assert expected.replace("\\", "") in text.replace("\\", ""), (where, expected)
    received = [mail.raw for mail in smtp.mails] + [r.body for r in plain.received + tls.received]
    assert_nothing_secret(received, SMTP_PASSWORD, SECRETS["SIGNING"], env["HOOK_URL"], env["SLACK_URL"], workflow)
    assert_nothing_secret([r.getMessage() for r in caplog.records], SMTP_PASSWORD, *SECRETS.values(),
                          "0123456789abcdefplantedtoken")
    assert "notify: completed as of 2026-11-30 → email to ops@example.com, email to cfo@example.com, webhook, " \
           "webhook #2, slack, teams, feishu, lark, dingtalk" in caplog.messages


def test_a_failed_run_tells_its_reason(tmp_path, monkeypatch, receivers, caplog):
    caplog.set_level(logging.DEBUG)
    hook = receivers()
    monkeypatch.setenv("HOOK_URL", f"{hook.base}/hook/{SECRETS['HOOK_TOKEN']}")
    # a reason that quotes a channel's secret (a broken export holding it, say) does not carry it on
    reason = f"quarantine gate: deals: 230 of 4012 rows quarantined (5.7% > 5.0%; near {SECRETS['HOOK_TOKEN']})"
    result = RunResult("run-8", "nightly_refresh", D - dt.timedelta(days=1), D, "failed", reason)
    done = notify_run(settings_for(tmp_path, chat=[{"kind": "webhook", "url": "env:HOOK_URL"}]), result, None, LOG)
    assert [d.delivered for d in done] == [True]
    [got] = hook.received
    assert got.json["title"] == "opsmetrics: nightly refresh FAILED, as of 2026-11-29 … 2026-11-30"
    assert got.json["message"].splitlines()[:2] == [
        "The nightly refresh failed for the as-of dates 2026-11-29 … 2026-11-30 (run run-8).",
        "Reason: quarantine gate: deals: 230 of 4012 rows quarantined (5.7% > 5.0%; near ***)"]
    assert_nothing_secret([got.body] + caplog.messages, SECRETS["HOOK_TOKEN"])


def test_when_says_which_runs_notify(tmp_path, monkeypatch, receivers):
    hook = receivers()
    monkeypatch.setenv("HOOK_URL", f"{hook.base}/hook")
    settings = settings_for(tmp_path, when=["failed"], chat=[{"kind": "webhook", "url": "env:HOOK_URL"}])
    assert notify_run(settings, completed(), None, LOG) == [] and hook.received == []
    assert notify_run(Settings(), completed(), None, LOG) == []  # no notify: section, nothing to do


def test_a_receiver_that_fails_then_answers_is_retried_and_delivered(tmp_path, monkeypatch, receivers, caplog):
    caplog.set_level(logging.DEBUG)
    flaky = receivers(statuses=[500, 503])
    monkeypatch.setenv("HOOK_URL", f"{flaky.base}/hook/{SECRETS['HOOK_TOKEN']}")
    waited: list[float] = []
    [done] = notify_run(settings_for(tmp_path, attempts=4, backoff_seconds=2,
                                     chat=[{"kind": "webhook", "url": "env:HOOK_URL"}]),
                        completed(), None, LOG, sleep=no_wait(waited))
    assert (done.delivered, done.attempts) == (True, 3) and waited == [2, 4] and len(flaky.received) == 3
    assert len({r.body for r in flaky.received}) == 1  # the same message each time
    retries = [r.getMessage() for r in caplog.records if r.name == LOG.name and r.levelno == logging.WARNING]
    assert retries[0].startswith("notify webhook: attempt 1 of 4 failed (") and retries[0].endswith("again in 2 s")
    assert "error=500" in retries[0] and "error=503" in retries[1]
    assert "notify webhook: delivered (attempt 3 of 4)" in caplog.messages
    assert_nothing_secret(caplog.messages, SECRETS["HOOK_TOKEN"], "127.0.0.1:")


def test_a_channel_that_always_fails_is_logged_and_the_run_and_tables_stay(tmp_path, monkeypatch, receivers,
                                                                            caplog):
    """A nightly run in-process (tasks.pipeline.nightly), then the delivery: one receiver always
    answers 500, one port refuses connections, one variable is not set; the working channel still
    gets the message, each failure is one error line naming the channel's kind, and no table changes."""
    caplog.set_level(logging.DEBUG)
    drop = tmp_path / "drop"
    drop.mkdir()
    for name, frame in dataset(leads=[{"lead_id": f"L{i}"} for i in range(40)],
                               deals=[{"deal_id": "D1", "stage": "won", "closed_at": "2026-02-01T00:00:00Z"}],
                               projects=[{"project_id": "P1", "deal_id": "D1"}]).items():
        frame.to_csv(drop / f"{name}.csv", index=False)
    down, good = receivers(otherwise=500), receivers()
    monkeypatch.setenv("DOWN_URL", f"{down.base}/hook/{SECRETS['HOOK_TOKEN']}")
    monkeypatch.setenv("REFUSED_URL", f"http://127.0.0.1:1/hook/{SECRETS['CHAT_TOKEN']}")
    monkeypatch.setenv("GOOD_URL", f"{good.base}/hook")
    monkeypatch.delenv("UNSET_URL", raising=False)
    settings = settings_for(tmp_path, "USD", attempts=3, chat=[
        {"kind": "webhook", "url": "env:DOWN_URL", "name": "ops webhook"}, {"kind": "slack", "url": "env:UNSET_URL"},
        {"kind": "webhook", "url": "env:REFUSED_URL"}, {"kind": "webhook", "url": "env:GOOD_URL"}])
    settings = settings.model_copy(update={"sources": settings.sources.model_copy(
        update={"files": settings.sources.files.model_copy(update={"path": str(drop)})})})
    wh = pipeline.open_warehouse(settings)
    try:
        day = dt.date(2026, 3, 1)
        result = pipeline.nightly(settings, day, warehouse=wh, log=LOG, run_id="run-9")
        assert result.status == "completed", result.message
        before = everything(wh)
        waited: list[float] = []
        done = notify_run(settings, result, wh, LOG, sleep=no_wait(waited))
        after = everything(wh)
    finally:
        wh.dispose()
    assert result.status == "completed" and result.error is None
    assert set(before) == set(after) and "run_log" in before
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)
    assert [(d.label, d.kind, d.delivered, d.attempts) for d in done] == [
        ("ops webhook", "webhook", False, 3), ("webhook #2", "webhook", False, 3), ("webhook #3", "webhook", True, 1),
        ("slack", "slack", False, 0)]
    assert len(down.received) == 3 and len(good.received) == 1 and waited == [0.5, 1.0] * 2
    assert "The nightly refresh completed (run run-9)" in good.received[0].json["message"]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.name == LOG.name]
    assert errors == [
        "notify slack: not sent: notify.chat.1.url: environment variable UNSET_URL is not set or empty",
        "notify ops webhook: not delivered after 3 attempts (Failed to send JSON POST notification: Internal "
        "server error., error=500.); the run is not affected",
        "notify webhook #2: not delivered after 3 attempts (A Connection error occurred sending JSON notification "
        "to 127.0.0.1.); the run is not affected"]
    assert_nothing_secret(caplog.messages, SECRETS["HOOK_TOKEN"], SECRETS["CHAT_TOKEN"])


def everything(wh) -> dict[str, pd.DataFrame]:
    """Every table of the (SQLite) warehouse, rows in a stable order."""
    with wh.engine.connect() as conn:
        frames = {n: pd.read_sql_table(n, conn) for n in sa.inspect(conn).get_table_names()}
    return {n: f.sort_values(list(f.columns), ignore_index=True) if len(f.columns) else f for n, f in frames.items()}
