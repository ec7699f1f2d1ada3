"""Reviews recorded through FreshKB ("still accurate"), kept apart from source review dates.

A FreshKB review counts until the source shows a newer edit or review date (see
``kb.lifecycle.freshness.assess``); the full history stays here for ``GET /v1/docs/{id}`` and ``kb docs``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from kb.clock import utc
from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id       TEXT NOT NULL,
    reviewer     TEXT NOT NULL,
    reviewed_at  TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    via          TEXT NOT NULL DEFAULT 'api'
);
CREATE INDEX IF NOT EXISTS reviews_doc ON reviews(doc_id, reviewed_at);
"""


class Review(BaseModel):
    doc_id: str
    reviewer: str
    reviewed_at: datetime
    note: str = ""
    via: str = "api"


class ReviewStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def record(self, review: Review, *, collapse_since: datetime | None = None) -> bool:
        """Add ``review``; with ``collapse_since``, a review of the same document by the same
        reviewer at or after it is updated to this one instead. Returns False when collapsed."""
        at = utc(review.reviewed_at).isoformat()
        with self.db.transaction() as conn:
            if collapse_since is not None:
                row = conn.execute(
                    "SELECT id FROM reviews WHERE doc_id = ? AND reviewer = ? AND reviewed_at >= ? "
                    "ORDER BY reviewed_at DESC, id DESC LIMIT 1",
                    (review.doc_id, review.reviewer, utc(collapse_since).isoformat()),
                ).fetchone()
                if row is not None:
                    conn.execute(
                        "UPDATE reviews SET reviewed_at = ?, note = ?, via = ? WHERE id = ?",
                        (at, review.note, review.via, row["id"]),
                    )
                    return False
            conn.execute(
                "INSERT INTO reviews (doc_id, reviewer, reviewed_at, note, via) VALUES (?,?,?,?,?)",
                (review.doc_id, review.reviewer, at, review.note, review.via),
            )
        return True

    def history(self, doc_id: str) -> list[Review]:
        rows = self.db.execute(
            "SELECT doc_id, reviewer, reviewed_at, note, via FROM reviews WHERE doc_id = ? "
            "ORDER BY reviewed_at DESC, id DESC",
            (doc_id,),
        )
        return [Review.model_validate(dict(r)) for r in rows]

    def latest(self, doc_id: str) -> Review | None:
        history = self.history(doc_id)
        return history[0] if history else None

    def latest_all(self) -> dict[str, datetime]:
        """doc_id -> time of its latest FreshKB review."""
        rows = self.db.execute("SELECT doc_id, MAX(reviewed_at) AS at FROM reviews GROUP BY doc_id")
        return {r["doc_id"]: datetime.fromisoformat(r["at"]) for r in rows}
