"""The warehouse as a resource: an engine and the schema the output tables live in.

Flows open one and hand it to the tasks; tests hand them one of their own (SQLite in a temporary
folder, or the test PostgreSQL). On PostgreSQL the outputs live in a schema of their own
(default `opsmetrics`) and raw landing tables in `<schema>_landing`, which readers are not
granted; SQLite has no schemas and keeps everything in its one file.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from schemas.config import sqlite_not_kept

DEFAULT_SCHEMA = "opsmetrics"
LANDING = "landing"  # the schema name landing tables are declared with, mapped to the real one


def landing_schema(schema: str) -> str:
    return f"{schema}_landing"


def sql_literal(text: str) -> str:
    """A SQL string literal, for the statements that take no bind parameters (COMMENT ON, a role's
    PASSWORD): with standard_conforming_strings on (every supported PostgreSQL) doubling the
    quotes is the whole escaping."""
    return "'" + text.replace("'", "''") + "'"


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or written; the message names it (never its password)."""


def check_sqlite_path(database: str | None) -> None:
    """SQLite says only "unable to open database file": name the file and what is wrong with it."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).expanduser().absolute()
    folder = path.parent
    if path.is_dir():
        raise WarehouseError(f"warehouse: {path} is a folder, not a SQLite database file")
    if not folder.is_dir():
        raise WarehouseError(f"warehouse: cannot create {path}: folder {folder} does not exist")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise WarehouseError(f"warehouse: {path} is not readable and writable by this user")
    if not path.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise WarehouseError(f"warehouse: cannot create {path}: folder {folder} is not writable by this user")


@dataclass(frozen=True)
class Warehouse:
    engine: sa.Engine
    schema: str | None  # None where the database has no schemas (SQLite)

    @classmethod
    def open(cls, url: str, schema: str = DEFAULT_SCHEMA) -> Warehouse:
        try:
            parsed = sa.make_url(url)
        except sa.exc.ArgumentError:
            raise WarehouseError(f"warehouse: {url.split('://')[0]!r}… is not a SQLAlchemy URL "
                                 "(e.g. sqlite:///warehouse.db, postgresql+psycopg://user@host/db)") from None
        sqlite = parsed.get_backend_name() == "sqlite"
        if sqlite:
            # the URL as resolved (an env: reference is checked here, not with the settings)
            not_kept = sqlite_not_kept(url)
            if not_kept:
                raise WarehouseError(f"warehouse: {not_kept}")
            check_sqlite_path(parsed.database)
        # SQLite locks the whole file while a run publishes: wait for it rather than fail at once
        engine = sa.create_engine(url, **({"connect_args": {"timeout": 120}} if sqlite else {"pool_pre_ping": True}))
        return cls(engine, None if sqlite else schema)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @property
    def url(self) -> str:
        """The URL without its password: fit for logs and messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """A transaction whose statements built from `tasks.warehouse.tables` go to our schemas."""
        with self.engine.begin() as conn:
            yield conn.execution_options(schema_translate_map=self.schema_map)

    @property
    def schema_map(self) -> dict[str | None, str | None]:
        """Declared schema → real one: outputs (None) and landing tables (`landing`)."""
        return {None: self.schema, LANDING: landing_schema(self.schema) if self.schema else None}

    def qualified(self, name: str) -> str:
        """A table or view name for hand-written SQL: `"schema"."name"`, quoted."""
        quote = self.engine.dialect.identifier_preparer.quote
        return f"{quote(self.schema)}.{quote(name)}" if self.schema else quote(name)

    def dispose(self) -> None:
        self.engine.dispose()
