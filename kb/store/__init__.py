"""The document store beside Chroma: SQLite by default or PostgreSQL, one repository module per
concept.

Owns: the database connection (``db``; ``postgres`` for ``store.url``), the versioned schema
(``migrations``), copying a store (``copy``), documents and chunks (``documents``), reviews,
audit, alert history, secret findings, raw hashes and locks, each in its own module.
May import: the foundation only (config, records, errors, clock); never a capability or an entry
point.
"""

# Importing these plugs the PostgreSQL backend and the schema migrations into Database.
from kb.store import migrations, postgres  # noqa: F401
from kb.store.db import Database
from kb.store.documents import DocumentStore

__all__ = ["Database", "DocumentStore"]
