"""Each configured channel as an Apprise URL (tasks/notify/channels.py): the URL a service gives,
held by an env: reference, mapped to the Apprise URL of the kind's plugin, which Apprise accepts;
a URL that is not the kind's refused, naming where it came from and never showing it."""
from __future__ import annotations

import apprise
import pytest

from schemas.config import NotifySettings
from tasks.notify.channels import channels

SLACK = "https://hooks.slack.com/services/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"
TEAMS = ("https://prod-11.westus.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/"
         "paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=TeamsSIGteamsSIG0123456789")
TEAMS_PA = ("https://default0123.ab.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/"
            "0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun"
            "&sv=1.0&sig=TeamsSIGteamsSIG0123456789")
FEISHU = "https://open.feishu.cn/open-apis/bot/v2/hook/feishu00-1111-2222-3333-TOKEN4444"
LARK = "https://open.larksuite.com/open-apis/bot/v2/hook/lark0000-1111-2222-3333-TOKEN4444"
DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdefdingtalktoken0123456789"
DINGTALK_SECRET = "SEC0123456789abcdefsigningsecret"
WEBHOOK = "https://ops.example.com/hooks/nightly?token=webhookTOKEN0123"


def resolved(monkeypatch, *chat: dict, **given) -> tuple[list, list]:
    """channels() of a notify section whose references name environment variables set to `given`."""
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    return channels(NotifySettings.model_validate({"chat": list(chat), "timeout_seconds": 7}))


@pytest.mark.parametrize("kind,given,expected,plugin", [
    ("slack", SLACK, "slack://T0123ABCD/B0123ABCD/slackTOKENslackTOKEN1234/", "NotifySlack"),
    ("teams", TEAMS, "workflow://prod-11.westus.logic.azure.com:443/0123456789abcdef0123456789abcdef/"
                     "TeamsSIGteamsSIG0123456789/", "NotifyWorkflows"),
    ("teams", TEAMS_PA, "workflow://default0123.ab.environment.api.powerplatform.com:443/"
                        "0123456789abcdef0123456789abcdef/TeamsSIGteamsSIG0123456789/", "NotifyWorkflows"),
    ("feishu", FEISHU, "feishu://feishu00-1111-2222-3333-TOKEN4444/", "NotifyFeishu"),
    ("lark", LARK, "lark://lark0000-1111-2222-3333-TOKEN4444/", "NotifyLark"),
    ("dingtalk", DINGTALK, "dingtalk://0123456789abcdefdingtalktoken0123456789/", "NotifyDingTalk"),
    ("webhook", WEBHOOK, "jsons://ops.example.com/hooks/nightly?-token=webhookTOKEN0123", "NotifyJSON"),
    ("webhook", "http://10.0.0.5:8080/hook", "json://10.0.0.5:8080/hook", "NotifyJSON"),
    # an Apprise URL of the kind's scheme is taken as it is
    ("slack", "slack://T0123ABCD/B0123ABCD/slackTOKENslackTOKEN1234", "slack://T0123ABCD/B0123ABCD/", "NotifySlack"),
    ("webhook", "json://127.0.0.1:9000/x", "json://127.0.0.1:9000/x", "NotifyJSON"),
])
def test_each_kind_maps_to_an_apprise_url_apprise_accepts(monkeypatch, kind, given, expected, plugin):
    found, problems = resolved(monkeypatch, {"kind": kind, "url": "env:HOOK_URL"}, HOOK_URL=given)
    assert problems == [] and len(found) == 1
    channel = found[0]
    assert channel.url.startswith(expected) and "cto=7" in channel.url and "rto=7" in channel.url
    assert apprise.Apprise().add(channel.url) is True
    assert type(apprise.Apprise.instantiate(channel.url)).__name__ == plugin
    assert channel.label == kind and given not in repr(channel) and given not in str(channel)


def test_slack_and_teams_messages_carry_no_apprise_logo_or_footer(monkeypatch):
    found, _ = resolved(monkeypatch, {"kind": "slack", "url": "env:S"}, {"kind": "teams", "url": "env:T"},
                        S=SLACK, T=TEAMS)
    assert "image=no" in found[0].url and "footer=no" in found[0].url and "image=no" in found[1].url


def test_a_signing_dingtalk_robot_gets_its_secret(monkeypatch):
    found, _ = resolved(monkeypatch, {"kind": "dingtalk", "url": "env:D", "secret": "env:DS"}, D=DINGTALK,
                        DS=DINGTALK_SECRET)
    assert found[0].url.startswith(f"dingtalk://{DINGTALK_SECRET}@0123456789abcdefdingtalktoken0123456789/")
    service = apprise.Apprise.instantiate(found[0].url)
    assert (service.secret, service.token) == (DINGTALK_SECRET, "0123456789abcdefdingtalktoken0123456789")
    assert DINGTALK_SECRET in found[0].secrets


@pytest.mark.parametrize("security,scheme,mode,port", [("starttls", "mailtos", "starttls", 587),
                                                       ("ssl", "mailtos", "ssl", 465)])
def test_email_maps_to_one_mailto_url_per_recipient(monkeypatch, security, scheme, mode, port):
    monkeypatch.setenv("SMTP_PASSWORD", "p@ss:w/rd%")
    found, problems = channels(NotifySettings.model_validate({"email": {
        "host": "smtp.example.com", "security": security, "username": "ops@example.com",
        "password": "env:SMTP_PASSWORD", "from": "ops@example.com", "to": ["a@example.com", "b@example.com"]}}))
    assert problems == [] and [c.label for c in found] == ["email to a@example.com", "email to b@example.com"]
    service = apprise.Apprise.instantiate(found[0].url)
    assert found[0].url.startswith(f"{scheme}://ops%40example.com:p%40ss%3Aw%2Frd%25@smtp.example.com:{port}/")
    assert type(service).__name__ == "NotifyEmail" and service.secure_mode == mode
    assert (service.user, service.password, service.smtp_host, service.port) == (
        "ops@example.com", "p@ss:w/rd%", "smtp.example.com", port)
    assert service.from_addr[1] == "ops@example.com" and [t[1] for t in service.targets] == ["a@example.com"]
    assert "p@ss:w/rd%" in found[0].secrets


def test_email_without_security_has_no_login():
    found, _ = channels(NotifySettings.model_validate({"email": {
        "host": "relay.internal", "port": 25, "security": "none", "from": "ops@example.com", "to": ["a@example.com"]}}))
    service = apprise.Apprise.instantiate(found[0].url)
    assert found[0].url.startswith("mailto://relay.internal:25/?") and service.secure_mode == "insecure"
    assert service.user is None and service.password is None


@pytest.mark.parametrize("kind,given,why", [
    ("slack", FEISHU, "not a slack webhook URL (expected https://hooks.slack.com/services/…)"),
    ("feishu", SLACK, "not a feishu webhook URL (expected https://open.feishu.cn/open-apis/bot/v2/hook/…)"),
    ("lark", FEISHU, "not a lark webhook URL"),
    ("dingtalk", "https://oapi.dingtalk.com/robot/send?nothing=here", "not a dingtalk webhook URL"),
    ("teams", "https://acme.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d",
     "an Office 365 connector webhook, which Microsoft retired: create a Workflows webhook"),
    ("webhook", "ftp://files.example.com/x", "not a webhook webhook URL"),
])
def test_a_url_that_is_not_the_kinds_is_refused_without_being_shown(monkeypatch, kind, given, why):
    found, problems = resolved(monkeypatch, {"kind": kind, "url": "env:HOOK_URL"}, HOOK_URL=given)
    assert found == []
    [(k, label, reason)] = problems
    assert (k, label) == (kind, kind)
    assert reason.startswith("notify.chat.0.url (environment variable HOOK_URL): ") and why in reason
    assert given not in reason


def test_an_unset_variable_is_one_channels_problem_not_the_others(monkeypatch):
    monkeypatch.delenv("NOT_SET", raising=False)
    found, problems = resolved(monkeypatch, {"kind": "slack", "url": "env:NOT_SET"},
                               {"kind": "slack", "url": "env:S", "name": "ops room"}, S=SLACK)
    assert [c.label for c in found] == ["ops room"]
    assert problems == [("slack", "slack", "notify.chat.0.url: environment variable NOT_SET is not set or empty")]


def test_labels_tell_channels_of_one_kind_apart(monkeypatch):
    found, _ = resolved(monkeypatch, {"kind": "webhook", "url": "env:A"}, {"kind": "webhook", "url": "env:B"},
                        A="http://127.0.0.1:1/a", B="http://127.0.0.1:1/b")
    assert [c.label for c in found] == ["webhook", "webhook #2"]


def test_what_is_scrubbed_is_the_secret_not_the_words_around_it(monkeypatch):
    found, _ = resolved(monkeypatch, {"kind": "slack", "url": "env:S"}, {"kind": "feishu", "url": "env:F"},
                        {"kind": "slack", "url": "env:A"}, S=SLACK, F=FEISHU, A="slack://T0123ABCD/B0123ABCD/x")
    slack, feishu, given = (set(c.secrets) for c in found)
    assert {SLACK, "T0123ABCD", "B0123ABCD", "slackTOKENslackTOKEN1234"} <= slack
    assert {FEISHU, "feishu00-1111-2222-3333-TOKEN4444"} <= feishu and "T0123ABCD" in given
    assert not {"services", "open-apis", "hooks.slack.com"} & (slack | feishu)
