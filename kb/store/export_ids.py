"""What each source is an export of: its export identity, recorded at its first ingest.

A Notion export's identity is the ids of its top-level pages and databases (the workspace's
roots: the ``Export-<uuid>`` folder changes with every export), a Drive export's is its root
folder id. The ingest pipeline removes documents only on an export whose identity overlaps the
recorded one, so an export of another workspace or folder can never empty a source.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS export_identities (
    source       TEXT PRIMARY KEY,
    identity     TEXT NOT NULL,   -- JSON list of ids, sorted
    recorded_at  TEXT NOT NULL
);
"""


class ExportIdentities:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def get(self, source: str) -> set[str]:
        """The recorded identity of ``source`` (empty before its first ingest)."""
        row = self.db.execute("SELECT identity FROM export_identities WHERE source = ?", (source,)).fetchone()
        return set(json.loads(row["identity"])) if row else set()

    def record(self, source: str, identity: Iterable[str]) -> None:
        ids = json.dumps(sorted(set(identity)))
        now = datetime.now(UTC).isoformat()
        with self.db.transaction() as conn:
            conn.execute(
                """INSERT INTO export_identities (source, identity, recorded_at) VALUES (?,?,?)
                   ON CONFLICT(source) DO UPDATE SET identity=excluded.identity,
                       recorded_at=excluded.recorded_at""",
                (source, ids, now),
            )
