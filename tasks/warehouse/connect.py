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
        engine = sa.create_engine(url)
        return cls(engine, None if engine.dialect.name == "sqlite" else schema)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @property
    def url(self) -> str:
        """The URL without its password: fit for logs and messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """A transaction whose statements built from `tasks.warehouse.tables` land in our schema."""
        with self.engine.begin() as conn:
            yield conn.execution_options(schema_translate_map={None: self.schema})

    def qualified(self, name: str) -> str:
        """A table or view name for hand-written SQL: `"schema"."name"`, quoted."""
        quote = self.engine.dialect.identifier_preparer.quote
        return f"{quote(self.schema)}.{quote(name)}" if self.schema else quote(name)

    def dispose(self) -> None:
        self.engine.dispose()
