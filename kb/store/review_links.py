"""Review links already used: one review per link.

A signed review link stays valid until it expires, so without this a replayed link (a forwarded
mail, a browser's back button, a fuzzer) records a review each time. Only the SHA-256 of the
token is kept, never the token.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from kb.clock import utc
from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS used_review_links (
    token_sha256  TEXT PRIMARY KEY,
    doc_id        TEXT NOT NULL,
    used_at       TEXT NOT NULL
);
"""


def _digest(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8", "surrogatepass")).hexdigest()


class UsedLinks:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def used_at(self, token: str) -> datetime | None:
        row = self.db.execute(
            "SELECT used_at FROM used_review_links WHERE token_sha256 = ?", (_digest(token),)
        ).fetchone()
        return datetime.fromisoformat(row["used_at"]) if row else None

    def claim(self, token: str, doc_id: str, at: datetime) -> datetime | None:
        """Mark ``token`` used now; None if this call did, else when it was first used."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO used_review_links (token_sha256, doc_id, used_at) VALUES (?,?,?) "
                "ON CONFLICT DO NOTHING",
                (_digest(token), doc_id, utc(at).isoformat()),
            )
            if cur.rowcount == 1:
                return None
        return self.used_at(token)

    def purge(self, before: datetime) -> int:
        with self.db.transaction() as conn:
            return int(
                conn.execute(
                    "DELETE FROM used_review_links WHERE used_at < ?", (utc(before).isoformat(),)
                ).rowcount
            )
