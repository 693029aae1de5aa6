"""The configuration file of SOURCES.md ("Configuration"), declared once as typed models.

Every level rejects keys it does not know, so a typo (`sources.files.pth`) is an error, not a
silently ignored setting. `load_settings` reads the YAML file, applies the environment and the
run options, and turns pydantic's errors into one line per problem that names the file and the
setting's full path (`config.yaml: sources.hubspot.entities: expected a list, got 'leads'`).

Nothing here imports Prefect, Great Expectations or SQLAlchemy: the CLI checks a configuration
before any of them is imported, so a bad one fails in well under a second.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from schemas.sources import ENTITIES

DEFAULT_WAREHOUSE = "sqlite:///warehouse.db"
DEFAULT_SOURCE_DIR = "data/sample"
CONFIG_ENV, WAREHOUSE_ENV, REPORTS_ENV = "OPSMETRICS_CONFIG", "OPSMETRICS_WAREHOUSE", "OPSMETRICS_REPORTS_DIR"
SNAPSHOT_ENV, DEFAULT_SNAPSHOT_DIR = "OPSMETRICS_SNAPSHOT_DIR", ".opsmetrics/snapshots"
CACHE_ENV = "OPSMETRICS_CACHE_DIR"  # what a process may keep between runs (tasks/review/page.py: the Vega bundle)
REFERENCE = re.compile(r"(env|secret):\S+")  # where a credential is, never the credential itself
# a string that is not a URL with a password (`scheme://user:password@…`): in the parameter schema
# of the flows, so Prefect's server refuses such a parameter before it stores the run
NO_PASSWORD_PATTERN = r"^(?![^:]*://[^/@]*:[^/@]*@)"

EntityName = Literal[tuple(ENTITIES)]  # type: ignore[valid-type]


class SettingsError(ValueError):
    """The configuration is unusable; the message names the file and the setting."""


def is_reference(value: str) -> bool:
    """`env:NAME` or `secret:BLOCK`: a credential named, not given."""
    return bool(REFERENCE.fullmatch(value.strip()))


def url_password(url: str) -> str | None:
    """The password a URL carries literally (`postgresql://u:pw@host/db`), if any."""
    try:
        return urlsplit(url).password
    except ValueError:
        return None


# a SQLite URL as SQLAlchemy reads it: `sqlite[+driver]://[host]/[database][?query]`
_SQLITE_URL = re.compile(r"sqlite(?:\+\w+)?://(?P<host>[^/?]*)(?:/(?P<database>[^?]*))?(?:\?(?P<query>.*))?",
                         re.IGNORECASE | re.DOTALL)


def sqlite_not_kept(url: str) -> str | None:
    """Why a SQLite warehouse URL keeps nothing after the run, or None. No database file
    (`sqlite://`, `sqlite:///`: an empty variable in the URL), `:memory:`, `file::memory:` or
    `?mode=memory` are databases that vanish when the run's connection closes (SQLAlchemy opens
    `:memory:` for a URL without a database; SQLite takes an empty `file:` name as a temporary
    database, deleted the same way). Such a run would say "published" and leave nothing to read."""
    match = _SQLITE_URL.fullmatch(url.strip())
    if match is None:
        return None
    database = match["database"] or ""
    name = database.removeprefix("file:") if database.lower().startswith("file:") else database
    modes = [m.lower() for m in parse_qs(match["query"] or "").get("mode", [])]
    if match["host"]:  # not a URL SQLAlchemy's SQLite dialect takes: it says so itself
        return None
    if not name and "memory" not in modes:  # SQLAlchemy opens :memory: (a variable left empty in the URL?)
        said = f"{url.strip()!r} names no database file, so SQLite would hold the warehouse in memory"
    elif name.startswith(":memory:") or "memory" in modes:
        said = f"{url.strip()!r} is an in-memory SQLite database"
    else:
        return None
    return f"{said}: nothing would be kept after the run; give a file, e.g. sqlite:///warehouse.db"


def check_warehouse_url(value: str) -> str:
    """The warehouse setting: a reference (checked when resolved, tasks/warehouse/connect.py) or a
    URL whose database outlives the run."""
    if not is_reference(value):
        reason = sqlite_not_kept(value)
        if reason:
            raise ValueError(reason)
    return value


class Strict(BaseModel):
    """Unknown keys are errors at every level; models are values (frozen)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- sources ----------------------------------------------------------------------------------

class FilesSource(Strict):
    """The file drop: one `<entity>.csv` (or `.parquet`) per entity in one folder."""

    path: str = Field(DEFAULT_SOURCE_DIR, description="folder of the file drop")


class HubSpotSource(Strict):
    """Leads (contacts) and deals from HubSpot's CRM v3 API."""

    base_url: str = Field("https://api.hubapi.com", description="API root")
    token: str = Field(description="env:VARIABLE or secret:BLOCK_NAME holding the private-app token")
    entities: list[Literal["leads", "deals"]] = Field(description="the entities HubSpot provides")
    safety_margin_minutes: float = Field(10, ge=0, description="re-read what changed shortly before the cursor")
    channel_map: dict[str, str] = Field(default_factory=dict, description="extra hs_analytics_source → channel")
    stage_map: dict[str, str] = Field(default_factory=dict, description="custom deal stages → stage")
    deal_type_map: dict[str, str] = Field(default_factory=dict, description="custom deal types → deal_type")
    campaign_property: str | None = Field(None, description="the contact property holding the lead's campaign")
    timeout_seconds: float = Field(30, gt=0, description="per HTTP request")
    ca_bundle: str | None = Field(None, description="a CA bundle (PEM file) to verify HubSpot's certificate with, "
                                                    "e.g. a proxy's private CA; certificates are always verified")
    max_attempts: int = Field(6, ge=1, description="attempts per request (429, 5xx, timeouts)")

    @field_validator("token")
    @classmethod
    def _reference_only(cls, value: str) -> str:
        if not is_reference(value):
            raise ValueError("give it as env:VARIABLE or secret:BLOCK_NAME, never as the value itself")
        return value.strip()


class SqlSource(Strict):
    """Entities from the project system's database: a table or a query per entity."""

    url: str = Field(description="env:VARIABLE, secret:BLOCK_NAME or a SQLAlchemy URL (its password is never printed)")
    entities: dict[EntityName, str] = Field(description="entity → a table name (schema.name) or a query")
    incremental: list[EntityName] = Field(default_factory=list, description="entities synced on updated_at")
    chunk_size: int = Field(50_000, ge=1, description="rows per fetch")
    safety_margin_minutes: float = Field(10, ge=0, description="re-read what changed shortly before the cursor")
    max_attempts: int = Field(3, ge=1, description="attempts when the connection drops")

    @field_validator("entities")
    @classmethod
    def _not_blank(cls, value: dict[str, str]) -> dict[str, str]:
        blank = [name for name, spec in value.items() if not spec.strip()]
        if blank:
            raise ValueError(f"{', '.join(blank)}: give a table name or a query")
        return value

    @model_validator(mode="after")
    def _incremental_entities(self) -> SqlSource:
        for name in self.incremental:
            if name not in self.entities:
                raise ValueError(f"incremental: {name} is not one of sources.sql.entities")
            if ENTITIES[name].version_column is None:
                raise ValueError(f"incremental: {name} has no updated_at to be read incrementally by")
        return self


class Sources(Strict):
    """Where each entity comes from: a connector that lists it, else the file drop."""

    files: FilesSource = FilesSource()
    hubspot: HubSpotSource | None = None
    sql: SqlSource | None = None

    def connectors(self) -> dict[str, Strict]:
        """The configured connectors (not the file drop), by name, in the order of precedence."""
        return {name: conf for name in type(self).model_fields if name != "files"
                if (conf := getattr(self, name)) is not None}

    def source_of(self, entity: str) -> str:
        """The connector that provides `entity`: the first one listing it, else `files`."""
        for name, conf in self.connectors().items():
            if entity in conf.entities:
                return name
        return "files"


MIN_RESPONSES = 5  # review.min_responses unless set


class ReviewSettings(Strict):
    """How the weekly review pack judges what it shows."""

    min_responses: int = Field(MIN_RESPONSES, ge=1, description="a project's NPS is shown as a judgement only over at least "
                                                    "this many customer answers (180 days); fewer are listed as "
                                                    "too few answers, with their count")


# --- delivery: the team told after each nightly run (tasks/notify/) -----------------------------

RUN_OUTCOMES = ("completed", "failed")
# chat services: each a webhook whose URL is a secret (whoever has it can post to the channel)
CHAT_KINDS = ("slack", "teams", "feishu", "lark", "dingtalk", "webhook")
ChatKind = Literal[CHAT_KINDS]  # type: ignore[valid-type]
EMAIL_ADDRESS = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+")
HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")


def reference_only(value: str, hint: str = "") -> str:
    """A credential setting: `env:NAME` or `secret:BLOCK`, never the value (a literal would be kept in
    the YAML file, in version control and in `check-config`'s output)."""
    if not is_reference(value):
        raise ValueError(f"{hint}give it as env:VARIABLE or secret:BLOCK_NAME, never as the value itself")
    return value.strip()


class EmailChannel(Strict):
    """E-mail over SMTP: one message per recipient (a retry resends only to the one that failed)."""

    model_config = ConfigDict(extra="forbid", frozen=True, serialize_by_alias=True)

    host: str = Field(description="the SMTP server, e.g. smtp.example.com (a host name, not a URL)")
    port: int | None = Field(None, ge=1, le=65535, description="default: 587 with starttls, 465 with ssl, 25 with none")
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="starttls (upgrade a plain connection, usually port 587), ssl (TLS from the start, "
                                "usually 465) or none (a relay on a trusted network; never with a password); "
                                "certificates are always verified")
    username: str | None = Field(None, description="the SMTP login, if the server asks for one")
    password: str | None = Field(None, description="env:VARIABLE or secret:BLOCK_NAME holding the SMTP password")
    from_: str = Field(alias="from", description="the sender's address")
    to: list[str] = Field(min_length=1, description="the recipients' addresses")

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip()
        if not HOST_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not a host name (give smtp.example.com, with the port under port:)")
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        return None if value is None else reference_only(value)

    @field_validator("from_")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _address(value)

    @field_validator("to")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        return [_address(v) for v in value]

    @model_validator(mode="after")
    def _login(self) -> EmailChannel:
        if self.password and not self.username:
            raise ValueError("password: give username too")
        if self.username and not self.password:
            raise ValueError("username: give password too (env:VARIABLE or secret:BLOCK_NAME)")
        if self.password and self.security == "none":
            raise ValueError("security: none would send the password unencrypted; use starttls or ssl")
        return self

    @property
    def default_port(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


def _address(value: str) -> str:
    value = value.strip()
    if not EMAIL_ADDRESS.fullmatch(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


class ChatChannel(Strict):
    """A chat channel's incoming webhook; its URL is given as a reference, since it is the secret."""

    kind: ChatKind = Field(description="slack, teams (a Workflows webhook), feishu, lark, dingtalk, or webhook "
                                       "(any URL taking a JSON POST)")
    url: str = Field(description="env:VARIABLE or secret:BLOCK_NAME holding the webhook URL the service gave")
    secret: str | None = Field(None, description="dingtalk only: env:VARIABLE or secret:BLOCK_NAME holding the "
                                                 "robot's signing secret (SEC…), if it signs")
    name: str | None = Field(None, description="what the logs call this channel (default: its kind)")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return reference_only(value, "a webhook URL is a secret (whoever has it can post to the channel): ")

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        return None if value is None else reference_only(value)

    @model_validator(mode="after")
    def _secret_is_dingtalk(self) -> ChatChannel:
        if self.secret is not None and self.kind != "dingtalk":
            raise ValueError(f"secret: only a dingtalk robot signs its messages, not {self.kind}")
        return self


class NotifySettings(Strict):
    """Who is told, and how, after a nightly run: the review pack's link, its signals, the red projects
    and the overdue follow-ups of a completed run; the reason of a failed one (tasks/notify/)."""

    when: list[Literal[RUN_OUTCOMES]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(RUN_OUTCOMES),
        description="which nightly runs send a message: completed, failed, or both (the default)")
    email: EmailChannel | None = None
    chat: list[ChatChannel] = Field(default_factory=list, description="chat channels' webhooks")
    pack_url: str | None = Field(None, description="where reports_dir is served (https://reports.example.com/ops): "
                                                   "the pack's link is this plus its file name; default: its file:// "
                                                   "path, which opens on the machine that ran the flow")
    lang: Literal["en", "zh"] = Field("en", description="the message's language")
    attempts: int = Field(3, ge=1, le=6, description="attempts per channel before a delivery is given up")
    backoff_seconds: float = Field(5, ge=0, le=60, description="wait before the second attempt, doubled before each "
                                                               "next one (at most 60 s)")
    timeout_seconds: float = Field(10, gt=0, le=120, description="connect and read timeout of one attempt")

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        # YAML 1.1 (PyYAML) reads the key `on` as the boolean true
        if isinstance(data, dict) and True in data:
            raise ValueError("`on:` is read by YAML as true, not as a name: write `when: [completed, failed]`")
        return data

    @field_validator("pack_url")
    @classmethod
    def _pack_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        parts = urlsplit(value)
        if not (parts.scheme in ("http", "https") and parts.netloc or parts.scheme == "file"):
            raise ValueError(f"{value!r} is not an http(s) or file: URL")
        if url_password(value):
            raise ValueError("the URL carries a password: the link goes into every message")
        return value

    @model_validator(mode="after")
    def _some_channel(self) -> NotifySettings:
        if self.email is None and not self.chat:
            raise ValueError("no channel: give email or chat (or leave notify out)")
        return self


# --- the whole file ---------------------------------------------------------------------------

class Settings(Strict):
    """The configuration of one run (SOURCES.md, "Configuration")."""

    business_timezone: str = Field("UTC", description="event dates of timestamps are taken here")
    reporting_currency: str = Field("USD", description="ISO 4217; rows in another currency are quarantined")
    max_quarantine_share: float = Field(0.05, ge=0, le=1, description="the gate: a larger share of an entity fails the run")
    min_row_share: float = Field(0.5, ge=0, le=1, description="the shrink guard (SOURCES.md, Gate)")
    allow_shrink: list[EntityName] = Field(default_factory=list, description="entities the shrink guard lets through")
    warehouse: str = Field(DEFAULT_WAREHOUSE, description="SQLAlchemy URL, or env:VARIABLE / secret:BLOCK_NAME")
    warehouse_schema: str = Field("opsmetrics", pattern=r"^[a-z_][a-z0-9_]{0,62}$",
                                  description="PostgreSQL: the schema of the output tables")
    sources: Sources = Sources()
    review: ReviewSettings = ReviewSettings()
    notify: NotifySettings | None = Field(None, description="e-mail and chat channels told after each nightly run")
    # the environment's default, like the warehouse's: where a worker (or a test session) keeps packs
    reports_dir: str = Field(default_factory=lambda: os.environ.get(REPORTS_ENV) or "reports",
                             description="folder the weekly review pack (review-<as-of date>.html) of every "
                                         "successful run is written to (default: $OPSMETRICS_REPORTS_DIR, else reports)")
    snapshot_dir: str = Field(default_factory=lambda: os.environ.get(SNAPSHOT_ENV) or DEFAULT_SNAPSHOT_DIR,
                              description="where a backfill run from its deployment leaves the staged sources for "
                                          "its chunks: a folder, or an fsspec URL (s3://bucket/path) every worker "
                                          "reaches; credentials come from the filesystem's own configuration, never "
                                          "the URL (default: $OPSMETRICS_SNAPSHOT_DIR, else .opsmetrics/snapshots)")

    @property
    def source_dir(self) -> str:
        return self.sources.files.path

    @field_validator("business_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("reporting_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        code = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError(f"{value!r} is not an ISO 4217 code")
        return code

    @field_validator("snapshot_dir")
    @classmethod
    def _snapshot_dir(cls, value: str) -> str:
        return check_snapshot_dir(value)

    @field_validator("warehouse")
    @classmethod
    def _warehouse(cls, value: str) -> str:
        return check_warehouse_url(value)


def check_snapshot_dir(value: str) -> str:
    """A folder or an fsspec URL, not blank, carrying no password: chunks are handed it as a flow
    run parameter, which Prefect stores and shows."""
    value = value.strip()
    if not value:
        raise ValueError("give a folder or an fsspec URL (s3://bucket/path)")
    if url_password(value):
        raise ValueError("the URL carries a password; give the filesystem's credentials through its own "
                         "configuration (e.g. AWS_* environment variables for s3://), never in the URL")
    return value


class SnapshotRef(Strict):
    """The staged sources a backfill left for its chunks (tasks/snapshot.py): where, and the
    fingerprint of the sources and settings they were staged from. A chunk publishes nothing staged
    from other sources."""

    location: str = Field(description="snapshot_dir of the backfill that wrote it (a folder or an fsspec URL)",
                          json_schema_extra={"pattern": NO_PASSWORD_PATTERN})
    fingerprint: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the sources and staging settings")

    @field_validator("location")
    @classmethod
    def _location(cls, value: str) -> str:
        return check_snapshot_dir(value)


# --- run options: what a flow run or a CLI command may override -------------------------------

class RunOptions(Strict):
    """The options every run takes (the three flows and the CLI): each overrides the configuration."""

    config: str | None = Field(None, description="YAML configuration file (default: $OPSMETRICS_CONFIG, else the "
                                                 "built-in defaults)")
    source_dir: str | None = Field(None, description="folder of the file drop, overriding the configuration")
    warehouse: str | None = Field(None, description="warehouse: a SQLAlchemy URL without a password, or "
                                                    "env:VARIABLE / secret:BLOCK_NAME; overrides the configuration",
                                  json_schema_extra={"pattern": NO_PASSWORD_PATTERN})
    timezone: str | None = Field(None, description="business time zone, e.g. Europe/Paris")
    currency: str | None = Field(None, description="reporting currency, ISO 4217")
    allow_shrink: list[EntityName] | None = Field(None, description="entities the shrink guard lets through "
                                                                     "this run")
    full_refresh: bool = Field(False, description="connectors re-read everything and drop records the source "
                                                  "no longer has")
    allow_future: bool = Field(False, description="accept an as-of date after today in the business time zone "
                                                  "(the run's as_of, a backfill's end date); without it such a "
                                                  "date is refused as a typo: published, it would be the latest "
                                                  "date every reader and the next nightly run take as done")
    snapshot_dir: str | None = Field(None, description="backfill: where the staged sources are left for the chunks, "
                                                       "a folder or an fsspec URL every worker reaches; overrides the "
                                                       "configuration", json_schema_extra={"pattern": NO_PASSWORD_PATTERN})

    @field_validator("snapshot_dir")
    @classmethod
    def _snapshot_dir(cls, value: str | None) -> str | None:
        return None if value is None else check_snapshot_dir(value)

    @field_validator("warehouse")
    @classmethod
    def _no_literal_password(cls, value: str | None) -> str | None:
        # a run's parameters are stored by Prefect and shown in its UI: a password must not be one
        if value and not is_reference(value) and url_password(value):
            raise ValueError("the URL carries a password; give the warehouse as env:VARIABLE or "
                             "secret:BLOCK_NAME instead, so the password is never stored with the run")
        return None if value is None else check_warehouse_url(value)


def load_settings(options: RunOptions | None = None, *, config: str | Path | None = None) -> Settings:
    """Settings from the configuration file (`options.config`, else `config`, else the file
    $OPSMETRICS_CONFIG names: how a worker points deployments at its configuration), then
    $OPSMETRICS_WAREHOUSE, then the run options. Every problem is a SettingsError naming the file
    and the setting."""
    options = options or RunOptions()
    path = options.config or config or os.environ.get(CONFIG_ENV) or None
    data = _read_yaml(Path(path)) if path else {}
    where = str(path) if path else "settings"
    if os.environ.get(WAREHOUSE_ENV):
        data["warehouse"] = os.environ[WAREHOUSE_ENV]
    overrides = {"warehouse": options.warehouse, "business_timezone": options.timezone,
                 "reporting_currency": options.currency, "allow_shrink": options.allow_shrink,
                 "snapshot_dir": options.snapshot_dir}
    data.update({k: v for k, v in overrides.items() if v is not None})
    if options.source_dir:
        sources = data.setdefault("sources", {})
        if isinstance(sources, dict):
            files = sources.setdefault("files", {})
            if isinstance(files, dict):
                files["path"] = str(options.source_dir)
    return parse_settings(data, where)


def parse_settings(data: dict[str, Any], where: str = "settings") -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError("; ".join(f"{where}: {line}" for line in describe(exc))) from None


def parse_options(data: dict[str, Any], where: str = "run options") -> RunOptions:
    try:
        return RunOptions.model_validate(data)
    except ValidationError as exc:
        raise SettingsError("; ".join(f"{where}: {line}" for line in describe(exc))) from None


class DuplicateKey(yaml.YAMLError):
    """A mapping of the file gives a key twice: YAML's loaders keep the last value silently."""


class _SettingsLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping (at any level): one of the two
    values would be ignored without a word. Keys brought by a merge (`<<: *defaults`) may be
    overridden, as YAML means them to be."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key, line = self.construct_object(key_node, deep=True), key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the safe loader's own error says so
                break
            if first is not None:
                raise DuplicateKey(f"line {line}: {key_node.value!r} is given twice (first on line {first}); "
                                   "YAML would keep the last value and ignore the other")
            seen[key] = line
        return super().construct_mapping(node, deep)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise SettingsError(f"{path}: configuration file not found")
    if not path.is_file():
        raise SettingsError(f"{path}: not a file")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SettingsLoader)  # a SafeLoader
    except DuplicateKey as exc:
        raise SettingsError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if data is None:  # empty, or white space and comments only: every default, then a warehouse.db
        raise SettingsError(f"{path}: the configuration is empty")  # in the working folder, was not what was meant
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of settings at the top level, got {_shown(data)}")
    return data


# pydantic's error types, said the way a person editing a YAML file thinks of them
_EXPECTED = {
    "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "float_parsing": "a number", "float_type": "a number", "int_parsing": "a whole number", "int_type": "a whole number",
    "int_from_float": "a whole number", "string_type": "text", "bool_parsing": "true or false", "bool_type": "true or false",
}


def describe(exc: ValidationError) -> list[str]:
    """One line per error: the setting's dotted path, then what is wrong with the value given."""
    lines = []
    for err in exc.errors(include_url=False):
        # a bad mapping key's location ends in "[key]": the key itself names the setting
        path = ".".join(str(p) for p in err["loc"] if p != "[key]") or "(top level)"
        kind, value = err["type"], err.get("input")
        if kind == "extra_forbidden":
            text = "unknown setting"
        elif kind == "missing":
            text = "required setting missing"
        elif kind in _EXPECTED:
            text = f"expected {_EXPECTED[kind]}, got {_shown(value)}"
        elif kind == "literal_error":
            text = f"{_shown(value)} is not one of {err['ctx']['expected']}"
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            text = f"{_shown(value)}: {err['msg'].lower()}"
        elif kind == "too_short":
            text = f"give at least {err['ctx']['min_length']}"
        elif kind == "string_pattern_mismatch":
            text = f"{_shown(value)} is not a lower-case SQL name"
        else:  # our own validators: their message is already the reason
            text = err["msg"].removeprefix("Value error, ")
        lines.append(f"{path}: {text}")
    return lines


def _shown(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value) if isinstance(value, int | float | bool) or value is None else type(value).__name__


MAX_BACKFILL_DAYS = 3660  # ten years: a typo in a year is caught before it computes a century


def check_range(start: object, end: object, max_days: int) -> tuple[dt.date, dt.date]:
    """Dates as `datetime.date`, or a SettingsError naming the parameter (Prefect does not reject
    "not-a-date" by itself, and the UI can send a datetime)."""
    out = []
    for name, value in (("start_date", start), ("end_date", end)):
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                raise SettingsError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
        if not isinstance(value, dt.date):
            raise SettingsError(f"{name}: {value!r} is not a date (YYYY-MM-DD)")
        out.append(value)
    first, last = out
    if first > last:
        raise SettingsError(f"start_date {first} is after end_date {last}")
    if (last - first).days + 1 > max_days:
        raise SettingsError(f"{first} … {last} is {(last - first).days + 1} dates; at most {max_days} in one run")
    return first, last


def check_not_future(as_of: dt.date, timezone: str, allow_future: bool = False, *, name: str = "as_of",
                     now: dt.datetime | None = None) -> dt.date:
    """`as_of` (a run's date, a backfill's last), or a SettingsError when it is after today in the
    business time zone and `allow_future` is not given. A date typed wrong (2030 for 2023) would be
    published as the latest: `portfolio_latest` would show it, and the next nightly run would take
    every night before it as done. The CLI calls this before Prefect or GX is imported; the
    pipeline and the flows call it too (a run started from Prefect's UI or from Python)."""
    today = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(timezone)).date()
    if as_of > today and not allow_future:
        raise SettingsError(f"{name}: {as_of} is after today ({today} in {timezone}); if that date is meant, "
                            "give --allow-future (run option allow_future)")
    return as_of
