"""Alembic environment: always called from `tasks.warehouse.migrate.upgrade`, with the
connection (inside its transaction) and the output schema in `config.attributes`."""
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table_schema=context.config.attributes.get("schema"))
with context.begin_transaction():
    context.run_migrations()
