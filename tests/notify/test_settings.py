"""`notify:` in the configuration (schemas/config.py): every key checked, credentials only as
references, each problem one line naming the setting."""
from __future__ import annotations

import subprocess
import sys

import pytest

from schemas.config import SettingsError, load_settings

GOOD = """\
notify:
  when: [completed, failed]
  pack_url: https://reports.example.com/ops
  lang: zh
  email:
    host: smtp.example.com
    port: 587
    security: starttls
    username: opsmetrics@example.com
    password: env:SMTP_PASSWORD
    from: opsmetrics@example.com
    to: [ops-review@example.com, cfo@example.com]
  chat:
    - {kind: slack, url: env:SLACK_WEBHOOK_URL}
    - {kind: teams, url: secret:teams-webhook, name: ops room}
    - {kind: feishu, url: env:FEISHU_WEBHOOK_URL}
    - {kind: lark, url: env:LARK_WEBHOOK_URL}
    - {kind: dingtalk, url: env:DINGTALK_WEBHOOK_URL, secret: env:DINGTALK_SECRET}
    - {kind: webhook, url: env:OPS_WEBHOOK_URL}
"""


def write(tmp_path, text: str) -> str:
    conf = tmp_path / "config.yaml"
    conf.write_text(text)
    return str(conf)


def test_a_full_notify_section_is_read(tmp_path):
    n = load_settings(config=write(tmp_path, GOOD)).notify
    assert n.when == ["completed", "failed"] and n.lang == "zh" and (n.attempts, n.backoff_seconds) == (3, 5)
    assert (n.email.host, n.email.default_port, n.email.from_, n.email.to) == (
        "smtp.example.com", 587, "opsmetrics@example.com", ["ops-review@example.com", "cfo@example.com"])
    assert [c.kind for c in n.chat] == ["slack", "teams", "feishu", "lark", "dingtalk", "webhook"]
    assert n.chat[4].secret == "env:DINGTALK_SECRET" and n.chat[1].name == "ops room"


def test_no_notify_section_means_no_message():
    assert load_settings().notify is None


@pytest.mark.parametrize("text,message", [
    # a credential given literally: refused, naming the setting, the value never repeated
    ("notify:\n  email: {host: smtp.x.com, username: u, password: hunter2, from: a@x.com, to: [b@x.com]}\n",
     "notify.email.password: give it as env:VARIABLE or secret:BLOCK_NAME, never as the value itself"),
    ("notify:\n  chat: [{kind: slack, url: 'https://hooks.slack.com/services/T0/B0/XXXXXXXXXXXX'}]\n",
     "notify.chat.0.url: a webhook URL is a secret (whoever has it can post to the channel): give it as "
     "env:VARIABLE or secret:BLOCK_NAME, never as the value itself"),
    ("notify:\n  chat: [{kind: dingtalk, url: env:D, secret: SEC0123}]\n",
     "notify.chat.0.secret: give it as env:VARIABLE or secret:BLOCK_NAME"),
    # every key checked
    ("notify:\n  chat: [{kind: slack, url: env:S, channel: '#ops'}]\n", "notify.chat.0.channel: unknown setting"),
    ("notify:\n  emails: {}\n", "notify.emails: unknown setting"),
    ("notify:\n  chat: [{kind: skype, url: env:S}]\n",
     "notify.chat.0.kind: 'skype' is not one of 'slack', 'teams', 'feishu', 'lark', 'dingtalk' or 'webhook'"),
    ("notify:\n  when: [sometimes]\n  chat: [{kind: slack, url: env:S}]\n",
     "notify.when.0: 'sometimes' is not one of 'completed' or 'failed'"),
    ("notify:\n  on: [failed]\n  chat: [{kind: slack, url: env:S}]\n",
     "notify: `on:` is read by YAML as true, not as a name: write `when: [completed, failed]`"),
    ("notify: {}\n", "notify: no channel: give email or chat (or leave notify out)"),
    ("notify:\n  email: {host: 'smtp://x.com', from: a@x.com, to: [b@x.com]}\n",
     "notify.email.host: 'smtp://x.com' is not a host name"),
    ("notify:\n  email: {host: x.com, from: ops, to: [b@x.com]}\n", "notify.email.from: 'ops' is not an e-mail address"),
    ("notify:\n  email: {host: x.com, from: a@x.com, to: []}\n", "notify.email.to: give at least 1"),
    ("notify:\n  email: {host: x.com, from: a@x.com, to: b@x.com}\n", "notify.email.to: expected a list, got 'b@x.com'"),
    ("notify:\n  email: {host: x.com, from: a@x.com, to: [b@x.com], username: u}\n",
     "notify.email: username: give password too"),
    ("notify:\n  email: {host: x.com, from: a@x.com, to: [b@x.com], username: u, password: env:P, security: none}\n",
     "notify.email: security: none would send the password unencrypted; use starttls or ssl"),
    ("notify:\n  email: {host: x.com, port: 70000, from: a@x.com, to: [b@x.com]}\n", "notify.email.port: 70000: input"),
    ("notify:\n  chat: [{kind: slack, url: env:S, secret: env:T}]\n",
     "notify.chat.0: secret: only a dingtalk robot signs its messages, not slack"),
    ("notify:\n  pack_url: 'https://u:pw@reports.example.com/'\n  chat: [{kind: slack, url: env:S}]\n",
     "notify.pack_url: the URL carries a password"),
    ("notify:\n  attempts: 50\n  chat: [{kind: slack, url: env:S}]\n", "notify.attempts: 50: input should be less"),
])
def test_bad_notify_settings_name_the_setting(tmp_path, text, message):
    with pytest.raises(SettingsError) as error:
        load_settings(config=write(tmp_path, text))
    assert f"{tmp_path / 'config.yaml'}: {message}" in str(error.value)
    assert "hunter2" not in str(error.value) and "XXXXXXXXXXXX" not in str(error.value)


def test_check_config_prints_the_references_not_the_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "the-real-password")
    done = subprocess.run([sys.executable, "-m", "opsmetrics.cli", "check-config", write(tmp_path, GOOD)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "password: env:SMTP_PASSWORD" in done.stdout and "from: opsmetrics@example.com" in done.stdout
    assert "the-real-password" not in done.stdout
