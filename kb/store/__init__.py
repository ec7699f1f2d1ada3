"""The document store beside Chroma: SQLite by default, one repository module per concept."""

from kb.store.db import Database
from kb.store.documents import DocumentStore

__all__ = ["Database", "DocumentStore"]
