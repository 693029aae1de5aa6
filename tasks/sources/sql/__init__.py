"""The SQL source (SOURCES.md, "Configuration"): entities from any database SQLAlchemy reaches, one
table or query per entity giving the canonical columns.

query.py turns an entity's setting into the SQL that reads it, database.py opens the database,
reads in chunks and retries dropped connections, and sync.py lands the incremental entities and
reads every entity back as the text of the file drop.
"""
