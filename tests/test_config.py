"""The configuration file of SOURCES.md, the environment, and CLI flags, in that order of strength."""
from __future__ import annotations

import pytest

from opsmetrics.settings import SettingsError, load_settings


def test_defaults(monkeypatch):
    monkeypatch.delenv("OPSMETRICS_WAREHOUSE", raising=False)
    s = load_settings()
    assert (s.business_timezone, s.reporting_currency, s.max_quarantine_share) == ("UTC", "USD", 0.05)
    assert s.warehouse == "sqlite:///warehouse.db" and s.source_dir == "data/sample"


def test_file_then_env_then_flags(tmp_path, monkeypatch):
    conf = tmp_path / "c.yaml"
    conf.write_text("business_timezone: Asia/Shanghai\nreporting_currency: cny\nmax_quarantine_share: 0.1\n"
                    "warehouse: sqlite:///a.db\nsources:\n  files:\n    path: in\n")
    monkeypatch.setenv("OPSMETRICS_WAREHOUSE", "sqlite:///env.db")
    s = load_settings(conf)
    assert (s.business_timezone, s.reporting_currency, s.max_quarantine_share) == ("Asia/Shanghai", "CNY", 0.1)
    assert s.warehouse == "sqlite:///env.db" and s.source_dir == "in"
    s = load_settings(conf, warehouse="sqlite:///flag.db", business_timezone="Europe/Paris", source_dir="other")
    assert (s.warehouse, s.business_timezone, s.source_dir) == ("sqlite:///flag.db", "Europe/Paris", "other")


@pytest.mark.parametrize("text,match", [
    ("business_timezone: Mars/Olympus\n", "unknown time zone"),
    ("reporting_currency: dollars\n", "not an ISO 4217 code"),
    ("max_quarantine_share: 2\n", "not between 0 and 1"),
    ("colour: blue\n", "unknown setting"),
    ("- a\n- b\n", "mapping"),
    ("a: [\n", "not valid YAML"),
])
def test_bad_configuration_names_the_setting(tmp_path, text, match):
    conf = tmp_path / "c.yaml"
    conf.write_text(text)
    with pytest.raises(SettingsError, match=match):
        load_settings(conf)


def test_missing_config_file(tmp_path):
    with pytest.raises(SettingsError, match="configuration file not found"):
        load_settings(tmp_path / "nope.yaml")
