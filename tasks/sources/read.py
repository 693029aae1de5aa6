"""Read every entity from the source the settings name for it (files are the default)."""
from __future__ import annotations

import pandas as pd

from opsmetrics.settings import Settings
from schemas.sources import ENTITIES
from tasks.sources.base import SourceError
from tasks.sources.files import read_entity_file

CONNECTORS = ("files",)  # later: hubspot, sql


def source_of(settings: Settings, entity: str) -> str:
    """The connector that provides `entity`: the first non-file source listing it, else files."""
    for name, conf in settings.sources.items():
        if name != "files" and entity in (conf or {}).get("entities", ()):
            return name
    return "files"


def read_entity(settings: Settings, entity: str) -> pd.DataFrame:
    source = source_of(settings, entity)
    if source == "files":
        return read_entity_file(settings.source_dir, ENTITIES[entity])
    raise SourceError(f"{entity}: source {source!r} is not supported by this version (supported: "
                      f"{', '.join(CONNECTORS)})")
