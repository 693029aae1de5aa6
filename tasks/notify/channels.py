"""Each configured channel as an Apprise URL (Apprise 2.0: https://github.com/caronc/apprise).

The configuration names credentials (`env:`/`secret:`); they are resolved here, at the last moment,
into an Apprise URL that holds them. A `Channel` is what `send.py` delivers to: its URL is never
printed (not in its repr, not in a log line, not in an error), only its label ("email to
ops@example.com", "slack", "webhook #2").

The mapping, per kind (the reference holds the URL the service gave; → the Apprise URL sent to):

- email: host, port, security, username, password, from, to →
  `mailtos://USER:PASSWORD@HOST:PORT/?smtp=HOST&mode=starttls|ssl&from=FROM&to=TO&cto=…&rto=…`
  (`mailto://…&mode=insecure` with security none), one URL per recipient;
- slack: `https://hooks.slack.com/services/T…/B…/…` (or its /workflows/, /triggers/ URLs) →
  `slack://T…/B…/…` (Apprise's own reading of the URL), with `image=no&footer=no`;
- teams: a Workflows webhook, `https://….logic.azure.com:443/workflows/ID/triggers/manual/paths/invoke?…&sig=…`
  or `https://….environment.api.powerplatform.com/powerautomate/automations/direct/workflows/ID/…` →
  `workflow://HOST:PORT/ID/SIG/` (Apprise's own reading), with `image=no`; Apprise 2.0 has no
  plugin for the retired Office 365 connector webhooks (`….webhook.office.com`), which are refused;
- feishu: `https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN` → `feishu://TOKEN/`;
- lark: `https://open.larksuite.com/open-apis/bot/v2/hook/TOKEN` → `lark://TOKEN` (Apprise's reading);
- dingtalk: `https://oapi.dingtalk.com/robot/send?access_token=TOKEN`, and the robot's signing
  secret if it signs → `dingtalk://TOKEN/` or `dingtalk://SECRET@TOKEN/`;
- webhook: any `http(s)://HOST/PATH?QUERY` → `json(s)://HOST/PATH?-QUERY` (Apprise's JSON POST:
  version, title, message, type; the URL's own query passed on as `-name=value`).

Every chat URL also gets `cto` and `rto` (connect and read timeouts, notify.timeout_seconds).
A reference may also hold the Apprise URL itself (slack://…, feishu://…, json://…): it is used as it
is, provided Apprise reads it as that kind. Every URL is checked by instantiating it with Apprise
before anything is sent: a URL Apprise does not read as the configured kind is refused, naming the
kind and where the URL came from, never the URL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from schemas.config import ChatChannel, EmailChannel, NotifySettings
from tasks.credentials import resolve
from tasks.errors import one_line
from tasks.notify.apprise_io import instantiate

# the Apprise plugin each kind must be read as (apprise.plugins.<module>.<class>)
PLUGINS = {"email": "NotifyEmail", "slack": "NotifySlack", "teams": "NotifyWorkflows", "feishu": "NotifyFeishu",
           "lark": "NotifyLark", "dingtalk": "NotifyDingTalk", "webhook": "NotifyJSON"}
SCHEMES = {"email": ("mailto", "mailtos"), "slack": ("slack",), "teams": ("workflow", "workflows"),
           "feishu": ("feishu",), "lark": ("lark",), "dingtalk": ("dingtalk",), "webhook": ("json", "jsons")}
SHAPES = {"slack": "https://hooks.slack.com/services/…", "teams": "a Workflows webhook, https://…/workflows/…/triggers/"
          "manual/paths/invoke?…&sig=…", "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/…",
          "lark": "https://open.larksuite.com/open-apis/bot/v2/hook/…",
          "dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=…", "webhook": "http(s)://host/path"}
# a plain message: no Apprise logo fetched from GitHub by the chat client, no "Apprise" footer
PLAIN = {"slack": {"image": "no", "footer": "no"}, "teams": {"image": "no"}}
FEISHU = re.compile(r"https://open\.feishu\.cn/open-apis/bot/v2/hook/([A-Za-z0-9_-]+)/?")
DINGTALK = re.compile(r"https://oapi\.dingtalk\.com/robot/send\?(.+)")
RETIRED_TEAMS = re.compile(r"https://[^/]*\.webhook\.office\.com/|https://outlook\.office(365)?\.com/webhook/")


class ChannelError(ValueError):
    """A channel that cannot be sent to; the message names it and where its URL came from, never the URL."""


@dataclass(frozen=True)
class Channel:
    kind: str  # email, slack, teams, feishu, lark, dingtalk, webhook
    label: str  # what logs call it
    url: str = field(repr=False)  # the Apprise URL: it holds the credential
    secrets: tuple[str, ...] = field(default=(), repr=False)  # what must never be shown: scrubbed from reports

    def __str__(self) -> str:
        return self.label


def channels(conf: NotifySettings) -> tuple[list[Channel], list[tuple[str, str, str]]]:
    """The channels of the configuration, each resolved to an Apprise URL; and, for each that cannot
    be (a credential not set, a URL that is not the kind's), its kind, label and the reason. One channel's
    problem does not keep the others from being sent to."""
    found: list[Channel] = []
    problems: list[tuple[str, str, str]] = []
    if conf.email is not None:
        try:
            found += email_channels(conf.email, conf.timeout_seconds)
        except Exception as exc:  # one channel's problem; the others are still sent to
            problems.append(("email", "email", one_line(exc)))
    counts: dict[str, int] = {}
    for i, chat in enumerate(conf.chat):
        counts[chat.kind] = counts.get(chat.kind, 0) + 1
        label = chat.name or (chat.kind if counts[chat.kind] == 1 else f"{chat.kind} #{counts[chat.kind]}")
        try:
            found.append(chat_channel(chat, label, f"notify.chat.{i}", conf.timeout_seconds))
        except Exception as exc:
            problems.append((chat.kind, label, one_line(exc)))
    return found, problems


# --- e-mail -------------------------------------------------------------------------------------

def email_url(conf: EmailChannel, to: str, password: str | None, timeout: float) -> str:
    """The Apprise URL of one message to `to` through the configured SMTP server. `smtp=` names the
    server explicitly, so Apprise applies no provider defaults (it would otherwise guess a server
    from the sender's domain)."""
    login = ""
    if conf.username:
        login = quote(conf.username, safe="") + (f":{quote(password, safe='')}" if password else "") + "@"
    scheme, mode = ("mailto", "insecure") if conf.security == "none" else ("mailtos", conf.security)
    query = urlencode({"smtp": conf.host, "mode": mode, "from": conf.from_, "to": to, "cto": f"{timeout:g}",
                       "rto": f"{timeout:g}"})
    return f"{scheme}://{login}{conf.host}:{conf.default_port}/?{query}"


def email_channels(conf: EmailChannel, timeout: float) -> list[Channel]:
    """One channel per recipient: Apprise sends each its own message, and a retry then resends only
    to the recipient that failed."""
    password = resolve(conf.password, "notify.email.password") if conf.password else None
    secrets = (password.value,) if password else ()
    out = []
    for to in conf.to:
        url = email_url(conf, to, password.value if password else None, timeout)
        _check(url, "email", "notify.email")
        out.append(Channel("email", f"email to {to}", url, (*secrets, url)))
    return out


# --- chat ---------------------------------------------------------------------------------------

def chat_channel(conf: ChatChannel, label: str, where: str, timeout: float) -> Channel:
    """The channel of a chat webhook: its reference resolved, mapped to the kind's Apprise URL, checked."""
    given = resolve(conf.url, f"{where}.url")
    sign = resolve(conf.secret, f"{where}.secret") if conf.secret else None
    origin = f"{where}.url ({given.origin})"
    url = chat_url(conf.kind, given.value.strip(), sign.value.strip() if sign else None, origin)
    url = _with_args(url, {**PLAIN.get(conf.kind, {}), "cto": f"{timeout:g}", "rto": f"{timeout:g}"})
    _check(url, conf.kind, origin)
    secrets = tuple(s for s in (given.value, sign.value if sign else None, url) if s)
    return Channel(conf.kind, label, url, secrets + _tokens(given.value))


def chat_url(kind: str, given: str, sign_secret: str | None, origin: str) -> str:
    """The Apprise URL of a chat webhook: `given` is the URL the service gave (or an Apprise URL of
    the kind's scheme, used as it is)."""
    scheme = urlsplit(given).scheme.lower()
    if scheme in SCHEMES[kind]:
        return given
    if scheme not in ("http", "https"):
        raise ChannelError(f"{origin}: not a {kind} webhook URL (expected {SHAPES[kind]})")
    if kind == "feishu":
        match = FEISHU.fullmatch(given)
        if not match:
            raise ChannelError(f"{origin}: not a {kind} webhook URL (expected {SHAPES[kind]})")
        return f"feishu://{match.group(1)}/"
    if kind == "dingtalk":
        match = DINGTALK.fullmatch(given)
        token = dict(parse_qsl(match.group(1))).get("access_token", "") if match else ""
        if not token:
            raise ChannelError(f"{origin}: not a {kind} webhook URL (expected {SHAPES[kind]})")
        return f"dingtalk://{quote(sign_secret, safe='') + '@' if sign_secret else ''}{quote(token, safe='')}/"
    if kind == "webhook":
        return _json_url(given)
    if kind == "teams" and RETIRED_TEAMS.match(given):
        raise ChannelError(f"{origin}: an Office 365 connector webhook, which Microsoft retired: create a Workflows "
                           "webhook (Teams → the channel's … → Workflows → \"Post to a channel when a webhook request "
                           "is received\") and give its URL")
    # slack, teams (Workflows), lark: Apprise reads the service's own URL
    service = instantiate(given)
    if service is None or type(service).__name__ != PLUGINS[kind]:
        raise ChannelError(f"{origin}: not a {kind} webhook URL (expected {SHAPES[kind]})")
    return service.url(privacy=False)


def _json_url(given: str) -> str:
    """A generic webhook: Apprise's JSON notifier POSTs to the same host, port and path; the URL's own
    query parameters are passed on as they are (`-name=value`: Apprise's syntax for them)."""
    parts = urlsplit(given)
    scheme = "jsons" if parts.scheme.lower() == "https" else "json"
    query = urlencode([(f"-{k}", v) for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    return f"{scheme}://{parts.netloc}{parts.path or '/'}" + (f"?{query}" if query else "")


def _with_args(url: str, args: dict[str, str]) -> str:
    """`url` with these Apprise arguments set (replacing the URL's own of the same name)."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in args]
    return parts._replace(query=urlencode([*kept, *args.items()])).geturl()


def _tokens(url: str) -> tuple[str, ...]:
    """The parts of a webhook URL that look like its secret (path segments, query values, the
    password; the token host of an Apprise URL such as feishu://TOKEN): scrubbed from anything
    Apprise reports, whatever form it prints the URL in. Words like `services` or `open-apis` are
    not secrets and stay readable."""
    parts = urlsplit(url)
    pieces = [p for p in parts.path.split("/") if _token_like(p)]
    pieces += [v for _, v in parse_qsl(parts.query) if _token_like(v)]
    host = parts.netloc.rpartition("@")[2].split(":")[0]  # as written: .hostname is lower-cased
    if parts.scheme.lower() not in ("http", "https") and _token_like(host):
        pieces.append(host)
    if parts.password:
        pieces.append(parts.password)
    return tuple(pieces)


def _token_like(piece: str) -> bool:
    """At least 8 characters with a digit, or with both cases: what tokens and signatures are made of."""
    return len(piece) >= 8 and (any(c.isdigit() for c in piece) or (piece.lower() != piece != piece.upper()))


def _check(url: str, kind: str, origin: str) -> None:
    """Apprise must read `url` as the kind's plugin: what is refused here is never tried."""
    service = instantiate(url)
    if service is None or type(service).__name__ != PLUGINS[kind]:
        raise ChannelError(f"{origin}: Apprise cannot send to it as {kind} (expected "
                           f"{SHAPES.get(kind, 'the settings of notify.email')})")
