"""The document store beside Chroma: SQLite by default, one repository module per concept.

Owns: the database connection and schema (``db``), documents and chunks (``documents``), reviews,
audit, alert history, secret findings, raw hashes and locks, each in its own module.
May import: the foundation only (config, records, errors, clock); never a capability or an entry
point.
"""

from kb.store.db import Database
from kb.store.documents import DocumentStore

__all__ = ["Database", "DocumentStore"]
