"""The warehouse as a resource: an engine and the schema the output tables live in.

Flows open one and hand it to the tasks; tests hand them one of their own (SQLite in a temporary
folder, or the test PostgreSQL). On PostgreSQL the outputs live in a schema of their own
(default `opsmetrics`) and raw landing tables in `<schema>_landing`, which readers are not
granted; SQLite has no schemas and keeps everything in its one file.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

DEFAULT_SCHEMA = "opsmetrics"
LANDING = "landing"  # the schema name landing tables are declared with, mapped to the real one


def landing_schema(schema: str) -> str:
    return f"{schema}_landing"


def sql_literal(text: str) -> str:
    """A SQL string literal, for the statements that take no bind parameters (COMMENT ON, a role's
    PASSWORD): with standard_conforming_strings on (every supported PostgreSQL) doubling the
    quotes is the whole escaping."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Warehouse:
    engine: sa.Engine
    schema: str | None  # None where the database has no schemas (SQLite)

    @classmethod
    def open(cls, url: str, schema: str = DEFAULT_SCHEMA) -> Warehouse:
        sqlite = sa.make_url(url).get_backend_name() == "sqlite"
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
