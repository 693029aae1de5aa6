"""The warehouse: tables declared in schemas/tables.py, written through SQLAlchemy."""
