"""Where each entity comes from (SOURCES.md, "Configuration"): the file drop by default, or a
connector that lands its records in the warehouse first (HubSpot, SQL)."""
from __future__ import annotations

import pandas as pd

from opsmetrics.settings import Settings
from schemas.sources import ENTITIES
from tasks.sources.base import SourceError
from tasks.sources.files import read_entity_file
from tasks.warehouse.connect import Warehouse

CONNECTORS = {"hubspot": ("leads", "deals"), "sql": tuple(ENTITIES)}  # connector → the entities it can provide


def source_of(settings: Settings, entity: str) -> str:
    """The connector that provides `entity`: the first non-file source listing it, else files."""
    for name, conf in settings.sources.items():
        if name != "files" and entity in (conf or {}).get("entities", ()):
            return name
    return "files"


def check_sources(settings: Settings) -> None:
    """Fail early, naming the setting, when a source is unknown or asked for what it cannot give."""
    for name, conf in settings.sources.items():
        if name == "files":
            continue
        if name not in CONNECTORS:
            raise SourceError(f"sources.{name}: unknown source (known: files, {', '.join(CONNECTORS)})")
        wrong = [e for e in (conf or {}).get("entities", ()) if e not in CONNECTORS[name]]
        if wrong:
            raise SourceError(f"sources.{name}.entities: {', '.join(wrong)} cannot come from {name} "
                              f"(it provides {', '.join(CONNECTORS[name])})")


def entities_of(settings: Settings, source: str) -> list[str]:
    return [e for e in ENTITIES if source_of(settings, e) == source]


def sync_sources(settings: Settings, wh: Warehouse, full_refresh: bool = False) -> dict[str, list]:
    """Bring the landing tables of every connector in use up to date; what each stream did."""
    check_sources(settings)
    done = {}
    if entities_of(settings, "hubspot"):
        from tasks.sources.hubspot.sync import sync

        done["hubspot"] = sync(wh, settings.sources["hubspot"], entities_of(settings, "hubspot"), full_refresh)
    if entities_of(settings, "sql"):  # only its incremental entities are synced; the others are read at extract
        from tasks.sources.sql import sync as sync_sql

        done["sql"] = sync_sql(wh, settings.sources["sql"], entities_of(settings, "sql"), full_refresh)
    return done


def read_entity(settings: Settings, entity: str, wh: Warehouse | None = None) -> pd.DataFrame:
    source = source_of(settings, entity)
    if source == "files":
        return read_entity_file(settings.source_dir, ENTITIES[entity])
    if source == "hubspot":
        from tasks.sources.hubspot.sync import read_entity as read_hubspot

        return read_hubspot(wh, settings.sources["hubspot"], entity, settings.reporting_currency)
    if source == "sql":
        from tasks.sources.sql import read_entity as read_sql

        return read_sql(wh, settings.sources["sql"], entity)
    raise SourceError(f"{entity}: source {source!r} is not supported")
