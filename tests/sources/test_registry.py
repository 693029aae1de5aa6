"""The registry of connectors: one per source the configuration knows, each agreeing with its
configuration model; imported only when used; and the dispatch of sync and read (HubSpot here,
against the fake; SQL's in test_sql.py)."""
from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from fakes.hubspot import FakeHubSpot

from schemas.config import SettingsError, Sources, parse_settings
from tasks.sources.base import SourceError
from tasks.sources.registry import CONNECTORS, read_entity, sync_sources

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "pat-na1-planted-token-0000"
LEAD_FILE = "lead_id,created_at,updated_at,channel\nL1,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z,website\n"


def literal_values(annotation) -> set[str]:
    """The values of every Literal inside a type (list[Literal[...]], dict[Literal[...], str])."""
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    return set().union(*(literal_values(a) for a in typing.get_args(annotation)))


@pytest.mark.parametrize("name", [n for n in Sources.model_fields if n != "files"])
def test_every_configurable_source_has_a_connector_that_agrees_with_its_model(name):
    connector = importlib.import_module(CONNECTORS[name]).CONNECTOR
    assert connector.name == name
    assert Sources.model_fields[name].annotation == connector.config_model | None
    # what the model lets the configuration ask of it is what it can provide
    assert literal_values(connector.config_model.model_fields["entities"].annotation) == set(connector.provides)


def test_the_registry_imports_no_connector_until_one_is_used():
    code = ("import sys, tasks.sources.registry; "
            "print(sorted(m for m in ('sqlalchemy', 'requests', 'tasks.sources.sql', 'tasks.sources.hubspot') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_an_entity_a_connector_cannot_provide_is_a_configuration_error():
    with pytest.raises(SettingsError, match=r"sources\.hubspot\.entities\.0: 'projects' is not one of 'leads' or 'deals'"):
        parse_settings({"sources": {"hubspot": {"token": "env:HUBSPOT_TOKEN", "entities": ["projects"]}}})


def test_without_connectors_everything_comes_from_the_file_drop(tmp_path, wh):
    (tmp_path / "leads.csv").write_text(LEAD_FILE, encoding="utf-8")
    settings = parse_settings({"sources": {"files": {"path": str(tmp_path)}}})
    assert sync_sources(settings, wh) == {}
    assert read_entity(settings, "leads").to_dict("records") == [
        {"lead_id": "L1", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
         "channel": "website"}]


def test_the_dispatch_syncs_and_reads_hubspot_entities(tmp_path, wh, monkeypatch):
    monkeypatch.setenv("HUBSPOT_TOKEN", TOKEN)
    (tmp_path / "leads.csv").write_text(LEAD_FILE, encoding="utf-8")  # not read: HubSpot provides the leads
    t0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with FakeHubSpot(token=TOKEN) as fake:
        fake.add_contact(7, {"hs_analytics_source": "REFERRALS"}, created=t0, modified=t0)
        settings = parse_settings({"sources": {"files": {"path": str(tmp_path)}, "hubspot": {
            "token": "env:HUBSPOT_TOKEN", "entities": ["leads"], "base_url": fake.url, "timeout_seconds": 5}}})
        done = sync_sources(settings, wh)
    assert [(s.stream, s.mode, s.landed, s.cursor) for s in done["hubspot"]] == [("contacts", "full", 1, t0)]
    leads = read_entity(settings, "leads", wh)
    assert (leads["lead_id"].tolist(), leads["channel"].tolist()) == (["7"], ["referral"])
    assert leads.attrs["source"] == "HubSpot contacts"
    with pytest.raises(SourceError, match="hubspot leads: read from the warehouse's landing tables"):
        read_entity(settings, "leads")
    with pytest.raises(SourceError, match=r"deals\.csv: file not found"):  # what HubSpot does not list: the files
        read_entity(settings, "deals", wh)
