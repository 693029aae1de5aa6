"""The configuration file of SOURCES.md (schemas/config.py): the file, the environment and the run
options, in that order of strength; and every error naming the file and the setting's full path."""
from __future__ import annotations

import datetime as dt
import os
import re
import resource
import subprocess
import sys

import pytest

from schemas.config import RunOptions, Settings, SettingsError, check_not_future, load_settings, parse_options


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("OPSMETRICS_WAREHOUSE", raising=False)
    monkeypatch.delenv("OPSMETRICS_CONFIG", raising=False)


def write(tmp_path, text: str) -> str:
    conf = tmp_path / "config.yaml"
    conf.write_text(text)
    return str(conf)


def test_defaults():
    s = load_settings()
    assert (s.business_timezone, s.reporting_currency, s.max_quarantine_share) == ("UTC", "USD", 0.05)
    assert s.warehouse == "sqlite:///warehouse.db" and s.source_dir == "data/sample"
    assert s.sources.connectors() == {} and s.sources.source_of("leads") == "files"


def test_file_then_env_then_options(tmp_path, monkeypatch):
    conf = write(tmp_path, "business_timezone: Asia/Shanghai\nreporting_currency: cny\nmax_quarantine_share: 0.1\n"
                           "warehouse: sqlite:///a.db\nsources:\n  files:\n    path: in\n")
    monkeypatch.setenv("OPSMETRICS_WAREHOUSE", "sqlite:///env.db")
    s = load_settings(config=conf)
    assert (s.business_timezone, s.reporting_currency, s.max_quarantine_share) == ("Asia/Shanghai", "CNY", 0.1)
    assert s.warehouse == "sqlite:///env.db" and s.source_dir == "in"
    s = load_settings(RunOptions(config=conf, warehouse="sqlite:///flag.db", timezone="Europe/Paris",
                                 source_dir="other"))
    assert (s.warehouse, s.business_timezone, s.source_dir) == ("sqlite:///flag.db", "Europe/Paris", "other")


def test_the_config_file_can_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSMETRICS_CONFIG", write(tmp_path, "reporting_currency: EUR\n"))
    assert load_settings().reporting_currency == "EUR"


@pytest.mark.parametrize("text,message", [
    # each of these was an unhelpful error, or none, before the settings were typed models
    ("max_quarantine_share: lots\n", "config.yaml: max_quarantine_share: expected a number, got 'lots'"),
    ("sources: {files: data}\n", "config.yaml: sources.files: expected a mapping, got 'data'"),
    ("sources:\n  hubspot:\n    token: env:T\n    entities: leads\n",
     "config.yaml: sources.hubspot.entities: expected a list, got 'leads'"),
    ("sources:\n  files:\n    pth: x\n", "config.yaml: sources.files.pth: unknown setting"),
    ("colour: blue\n", "config.yaml: colour: unknown setting"),
    ("sources:\n  hubspot:\n    token: env:T\n    entities: [leads, projects]\n",
     "config.yaml: sources.hubspot.entities.1: 'projects' is not one of 'leads' or 'deals'"),
    ("sources:\n  hubspot:\n    token: pat-na1-123\n    entities: [leads]\n",
     "config.yaml: sources.hubspot.token: give it as env:VARIABLE or secret:BLOCK_NAME, never as the value itself"),
    ("sources:\n  hubspot:\n    entities: [leads]\n", "config.yaml: sources.hubspot.token: required setting missing"),
    ("sources:\n  sql:\n    url: env:DB\n    entities: {projects: pm.projects}\n    incremental: [milestones]\n",
     "config.yaml: sources.sql: incremental: milestones is not one of sources.sql.entities"),
    ("sources:\n  sql:\n    url: env:DB\n    entities: {gizmos: x}\n",
     "config.yaml: sources.sql.entities.gizmos: 'gizmos' is not one of"),
    ("business_timezone: Mars/Olympus\n", "config.yaml: business_timezone: unknown time zone 'Mars/Olympus'"),
    ("reporting_currency: dollars\n", "config.yaml: reporting_currency: 'dollars' is not an ISO 4217 code"),
    ("max_quarantine_share: 2\n", "config.yaml: max_quarantine_share: 2: input should be less than or equal to 1"),
    ("warehouse_schema: Bad-Name\n", "config.yaml: warehouse_schema: 'Bad-Name' is not a lower-case SQL name"),
    ("- a\n- b\n", "config.yaml: expected a mapping of settings at the top level, got a list"),
    ("a: [\n", "config.yaml: not valid YAML"),
])
def test_bad_configuration_names_the_file_and_the_setting(tmp_path, text, message):
    with pytest.raises(SettingsError) as error:
        load_settings(config=write(tmp_path, text))
    assert str(error.value).startswith(str(tmp_path / message.split(": ", 1)[0]) + ": " + message.split(": ", 1)[1])


def test_every_problem_is_reported_at_once(tmp_path):
    with pytest.raises(SettingsError) as error:
        load_settings(config=write(tmp_path, "max_quarantine_share: lots\nreporting_currency: dollars\n"))
    assert "max_quarantine_share: expected a number" in str(error.value)
    assert "reporting_currency: 'dollars' is not an ISO 4217 code" in str(error.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(SettingsError, match="nope.yaml: configuration file not found"):
        load_settings(config=tmp_path / "nope.yaml")


def test_a_connector_listing_an_entity_provides_it():
    s = Settings(sources={"hubspot": {"token": "env:T", "entities": ["deals"]},
                          "sql": {"url": "env:DB", "entities": {"projects": "pm.projects", "deals": "crm.deals"}}})
    assert [s.sources.source_of(e) for e in ("leads", "deals", "projects")] == ["files", "hubspot", "sql"]


def test_the_plan_and_the_notes_can_come_from_the_sql_source():
    # entities are named from schemas/sources.py, so the optional ones of issue 23 are accepted; notes
    # have an updated_at to sync on, the plan has none (like usage and the rate card)
    s = Settings(sources={"sql": {"url": "env:DB", "entities": {"targets": "plan.targets", "review_notes": "select 1"},
                                  "incremental": ["review_notes"]}})
    assert [s.sources.source_of(e) for e in ("targets", "review_notes", "feedback")] == ["sql", "sql", "files"]
    with pytest.raises(ValueError, match="incremental: targets has no updated_at to be read incrementally by"):
        Settings(sources={"sql": {"url": "env:DB", "entities": {"targets": "plan.targets"},
                                  "incremental": ["targets"]}})


@pytest.mark.parametrize("url", ["postgresql+psycopg://etl:s3cret@db/analytics", "postgresql://:pw@db/x"])
def test_a_run_option_with_a_literal_password_is_refused(url):
    with pytest.raises(SettingsError, match="warehouse: the URL carries a password; give the warehouse as "
                                            "env:VARIABLE or secret:BLOCK_NAME"):
        parse_options({"warehouse": url})


@pytest.mark.parametrize("url", ["env:WAREHOUSE_URL", "secret:warehouse", "postgresql+psycopg://etl@db/analytics",
                                 "sqlite:///w.db"])
def test_references_and_urls_without_password_are_run_options(url):
    assert parse_options({"warehouse": url}).warehouse == url


def test_the_cli_reports_a_bad_configuration_fast_without_importing_prefect(tmp_path):
    conf = write(tmp_path, "max_quarantine_share: lots\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "opsmetrics.cli", "run", "--config", conf],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time, not wall time: the promise is "under 2 s", and a loaded CI machine must not make
    # this test flaky (wall time is measured by `make bench`); importing Prefect alone costs 3.5-5 s
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == f"opsmetrics run failed: {conf}: max_quarantine_share: expected a number, got 'lots'"
    imported = {line.split("|")[-1].strip() for line in lines if line.startswith("import time:")}
    assert not {"prefect", "great_expectations", "sqlalchemy"} & imported
    assert cpu < 2.0, f"{cpu:.1f}s of CPU"


def test_check_config_prints_the_settings_or_the_problem(tmp_path):
    good = write(tmp_path, "reporting_currency: eur\n")
    done = subprocess.run([sys.executable, "-m", "opsmetrics.cli", "check-config", good], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0 and f"{good}: ok" in done.stdout and "reporting_currency: EUR" in done.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  files:\n    pth: x\n")
    done = subprocess.run([sys.executable, "-m", "opsmetrics.cli", "check-config", str(bad)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"opsmetrics check-config failed: {bad}: sources.files.pth: unknown setting"


@pytest.mark.parametrize("url,allowed", [("postgresql+psycopg://etl:s3cret@db/analytics", False),
                                         ("postgresql://etl@db/analytics", True), ("env:W", True),
                                         ("sqlite:////tmp/w.db", True)])
def test_the_parameter_schema_refuses_a_password_before_a_server_stores_it(url, allowed):
    """Prefect's server validates a deployment run's parameters against this JSON schema, so a
    pasted password is refused there too, not only when the flow starts."""
    import jsonschema

    schema = RunOptions.model_json_schema()
    valid = jsonschema.Draft202012Validator(schema).is_valid({"warehouse": url})
    assert valid is allowed


# --- issue 25: a warehouse that keeps nothing -----------------------------------------------------

NOT_KEPT = [("sqlite://", "names no database file"), ("sqlite:///", "names no database file"),
            ("sqlite:///:memory:", "is an in-memory SQLite database"),
            ("sqlite+pysqlite:///:memory:", "is an in-memory SQLite database"),
            ("sqlite:///file::memory:?cache=shared&uri=true", "is an in-memory SQLite database"),
            ("sqlite:///w.db?mode=memory&uri=true", "is an in-memory SQLite database"),
            ("sqlite:///file:?uri=true", "names no database file")]


@pytest.mark.parametrize("url,why", NOT_KEPT)
def test_an_in_memory_or_temporary_sqlite_warehouse_is_refused_wherever_it_is_given(tmp_path, monkeypatch, url, why):
    # `--warehouse sqlite:///` (an empty variable in the URL) ran into memory: "completed, published 1
    # as-of date", nothing kept
    reason = f"warehouse: {url!r} {why}"
    with pytest.raises(SettingsError, match=f"^command line: {re.escape(reason)}.*: nothing would be kept after "
                                            "the run; give a file, e.g. sqlite:///warehouse.db$"):
        parse_options({"warehouse": url}, where="command line")
    conf = write(tmp_path, f"warehouse: '{url}'\n")
    with pytest.raises(SettingsError, match=f"^{re.escape(conf)}: {re.escape(reason)}"):
        load_settings(config=conf)
    monkeypatch.setenv("OPSMETRICS_WAREHOUSE", url)
    with pytest.raises(SettingsError, match=f"^settings: {re.escape(reason)}"):
        load_settings()


@pytest.mark.parametrize("url", ["sqlite:///warehouse.db", "sqlite:////tmp/w.db", "sqlite:///file:w.db?uri=true",
                                 "postgresql+psycopg://etl@db/analytics", "env:W", "secret:warehouse"])
def test_a_warehouse_that_is_kept_is_accepted(url):
    assert load_settings(RunOptions(warehouse=url)).warehouse == url


def test_the_cli_refuses_an_in_memory_warehouse_before_importing_anything(tmp_path):
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "opsmetrics.cli", "run", "--warehouse",
                           "sqlite:///"], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          env={**os.environ, "OPSMETRICS_WAREHOUSE": "", "OPSMETRICS_CONFIG": ""})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == ("opsmetrics run failed: command line: warehouse: 'sqlite:///' names no database file, so "
                         "SQLite would hold the warehouse in memory: nothing would be kept after the run; give a "
                         "file, e.g. sqlite:///warehouse.db")
    imported = {line.split("|")[-1].strip() for line in lines if line.startswith("import time:")}
    assert not {"prefect", "great_expectations", "sqlalchemy"} & imported
    assert list(tmp_path.iterdir()) == []  # nothing written, no ./warehouse.db


# --- issue 25: an as-of date after today -----------------------------------------------------------

def test_an_as_of_date_after_today_in_the_business_time_zone_is_refused_unless_allowed():
    # `--as-of 2030-01-01` (a typo) was published: portfolio_latest showed 2030 and the next nightly
    # run took every night before it as done
    now = dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC)  # 2026-03-02 04:00 in Shanghai
    with pytest.raises(SettingsError, match=r"^--as-of: 2030-01-01 is after today \(2026-03-01 in UTC\); if that "
                                            r"date is meant, give --allow-future \(run option allow_future\)$"):
        check_not_future(dt.date(2030, 1, 1), "UTC", name="--as-of", now=now)
    assert check_not_future(dt.date(2030, 1, 1), "UTC", allow_future=True, now=now) == dt.date(2030, 1, 1)
    assert check_not_future(dt.date(2026, 3, 1), "UTC", now=now) == dt.date(2026, 3, 1)  # today is no future
    # the business time zone's today, not the machine's
    assert check_not_future(dt.date(2026, 3, 2), "Asia/Shanghai", now=now) == dt.date(2026, 3, 2)
    with pytest.raises(SettingsError, match=r"^end_date: 2026-03-02 is after today \(2026-03-01 in America/"
                                            r"New_York\)"):
        check_not_future(dt.date(2026, 3, 2), "America/New_York", name="end_date", now=now)


def test_allow_future_is_a_run_option_with_its_description_for_prefects_ui():
    prop = RunOptions.model_json_schema()["properties"]["allow_future"]
    assert prop["default"] is False and prop["type"] == "boolean"
    assert "after today in the business time zone" in prop["description"]
    assert parse_options({"allow_future": True}).allow_future is True and RunOptions().allow_future is False


# --- issue 25: a key given twice, an empty file -----------------------------------------------------

@pytest.mark.parametrize("text,line,key,first", [
    # the last value won silently
    ("business_timezone: Asia/Shanghai\nreporting_currency: CNY\nbusiness_timezone: UTC\n", 3, "business_timezone", 1),
    ("sources:\n  files:\n    path: a\n    path: b\n", 4, "path", 3),
    ("sources:\n  files: {path: a}\nsources:\n  files: {path: b}\n", 3, "sources", 1),
    ("review: {min_responses: 3, min_responses: 5}\n", 1, "min_responses", 1),
])
def test_a_key_given_twice_is_an_error_naming_the_file_and_its_second_line(tmp_path, text, line, key, first):
    conf = write(tmp_path, text)
    with pytest.raises(SettingsError) as error:
        load_settings(config=conf)
    assert str(error.value) == (f"{conf}: line {line}: {key!r} is given twice (first on line {first}); YAML would "
                                "keep the last value and ignore the other")


def test_keys_brought_by_a_merge_may_be_overridden(tmp_path):
    conf = write(tmp_path, "notify:\n  chat:\n    - &team {kind: slack, url: 'env:TEAM_HOOK'}\n"
                           "    - <<: *team\n      url: env:OPS_HOOK\n      name: ops\n")
    chat = load_settings(config=conf).notify.chat
    assert [(c.kind, c.url, c.name) for c in chat] == [("slack", "env:TEAM_HOOK", None), ("slack", "env:OPS_HOOK", "ops")]


@pytest.mark.parametrize("text", ["", "\n  \n", "# opsmetrics settings, to be filled in\n\n# warehouse: …\n", "---\n"])
def test_an_empty_configuration_file_is_an_error(tmp_path, text):
    # every default was taken, then ./warehouse.db created in the working folder
    conf = write(tmp_path, text)
    with pytest.raises(SettingsError) as error:
        load_settings(config=conf)
    assert str(error.value) == f"{conf}: the configuration is empty"
