"""Run settings: the YAML file of SOURCES.md ("Configuration"), then the environment, then CLI flags."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

DEFAULT_WAREHOUSE = "sqlite:///warehouse.db"
DEFAULT_SOURCE_DIR = "data/sample"


class SettingsError(ValueError):
    """The configuration is unusable; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    business_timezone: str = "UTC"
    reporting_currency: str = "USD"
    max_quarantine_share: float = 0.05
    warehouse: str = DEFAULT_WAREHOUSE
    warehouse_schema: str = "opsmetrics"  # PostgreSQL: the schema of the output tables (SQLite has none)
    sources: dict[str, Any] = field(default_factory=lambda: {"files": {"path": DEFAULT_SOURCE_DIR}})

    @property
    def source_dir(self) -> str:
        return str(self.sources.get("files", {}).get("path", DEFAULT_SOURCE_DIR))

    def validated(self) -> Settings:
        try:
            ZoneInfo(self.business_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"business_timezone: unknown time zone {self.business_timezone!r}") from None
        currency = str(self.reporting_currency).strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise SettingsError(f"reporting_currency: {self.reporting_currency!r} is not an ISO 4217 code")
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", str(self.warehouse_schema)):
            raise SettingsError(f"warehouse_schema: {self.warehouse_schema!r} is not a lower-case SQL name")
        share = float(self.max_quarantine_share)
        if not 0 <= share <= 1:
            raise SettingsError(f"max_quarantine_share: {share} is not between 0 and 1")
        return replace(self, reporting_currency=currency, max_quarantine_share=share)


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings from `config_file` (default: the file OPSMETRICS_CONFIG names, if set — how a
    worker points deployments at its configuration), OPSMETRICS_WAREHOUSE, and `overrides` (CLI
    flags; None means "not given"). `source_dir` overrides the file drop's folder."""
    data: dict[str, Any] = {}
    config_file = config_file or os.environ.get("OPSMETRICS_CONFIG") or None
    if config_file:
        path = Path(config_file)
        if not path.exists():
            raise SettingsError(f"{path}: configuration file not found")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SettingsError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise SettingsError(f"{path}: expected a mapping of settings at the top level")
        unknown = set(data) - set(Settings.__dataclass_fields__)
        if unknown:
            raise SettingsError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    if os.environ.get("OPSMETRICS_WAREHOUSE"):
        data["warehouse"] = os.environ["OPSMETRICS_WAREHOUSE"]
    source_dir = overrides.pop("source_dir", None)
    data.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**data)
    if source_dir:
        sources = dict(settings.sources)
        sources["files"] = {**sources.get("files", {}), "path": str(source_dir)}
        settings = replace(settings, sources=sources)
    return settings.validated()
