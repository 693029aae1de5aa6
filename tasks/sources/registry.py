"""Where each entity comes from (SOURCES.md, "Configuration"): the file drop by default, or a
connector that lands its records in the warehouse first (HubSpot, SQL). The pipeline calls
`sync_sources` then `read_entity`; which connector serves which entity is the configuration's
(`Settings.sources.source_of`), and what a connector can be asked for is checked there too.

A connector is imported only when the configuration uses it: they bring requests or SQLAlchemy
drivers along, which a run from the file drop never needs.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, TypeVar

import pandas as pd
from pydantic import BaseModel

from schemas.config import Settings
from schemas.sources import ENTITIES
from tasks.sources.files import read_entity_file

if TYPE_CHECKING:
    from tasks.sources.landing import StreamSync
    from tasks.warehouse.connect import Warehouse

Conf = TypeVar("Conf", bound=BaseModel)

# the field of `sources:` in the configuration (schemas/config.py: Sources) → the module whose
# CONNECTOR serves it
CONNECTORS = {"hubspot": "tasks.sources.hubspot.sync", "sql": "tasks.sources.sql.sync"}


class Connector(Protocol[Conf]):
    """A source the pipeline lands or reads through (the file drop is not one: it is the default)."""

    name: str  # its field under `sources:` in the configuration
    provides: tuple[str, ...]  # the entities it can provide (its configuration model says the same)
    config_model: type[Conf]  # its configuration, from schemas/config.py, already validated

    def sync(self, wh: Warehouse, conf: Conf, entities: list[str], full_refresh: bool) -> list[StreamSync]:
        """Bring the landing tables behind `entities` up to date; what each stream did ([]: none
        of them is landed, they are read at extract). `full_refresh`: read everything again and drop
        what the source no longer has."""
        ...

    def read_entity(self, wh: Warehouse | None, conf: Conf, entity: str, settings: Settings) -> pd.DataFrame:
        """The entity's rows as text, like a CSV of the file drop, with `attrs` naming the source."""
        ...


def sync_sources(settings: Settings, wh: Warehouse, full_refresh: bool = False) -> dict[str, list[StreamSync]]:
    """Bring the landing tables of every connector in use up to date; what each stream did, by connector."""
    done = {}
    for name, conf in settings.sources.connectors().items():
        entities = [e for e in ENTITIES if settings.sources.source_of(e) == name]
        if entities:
            done[name] = _connector(name).sync(wh, conf, entities, full_refresh)
    return done


def read_entity(settings: Settings, entity: str, wh: Warehouse | None = None) -> pd.DataFrame:
    """The entity's raw text frame, from the file drop or from the connector that lists it. `wh`:
    where the connectors landed their records (the file drop and non-incremental SQL need none)."""
    source = settings.sources.source_of(entity)
    if source == "files":
        return read_entity_file(settings.source_dir, ENTITIES[entity])
    return _connector(source).read_entity(wh, getattr(settings.sources, source), entity, settings)


def _connector(name: str) -> Connector:
    return importlib.import_module(CONNECTORS[name]).CONNECTOR
