"""Feedback on answers: thumbs up or down with an optional comment, attributable to its author.

One row per vote: who, when, the question, the answer shown, the documents it cited and the
rating. Owners read the negative rows about answers that cited their pages; the platform team
reads them as knowledge gaps. Each vote is also written to the audit log by the route.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kb.clock import utc
from kb.store.db import Database
from kb.store.listing import newest_first

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    "user"    TEXT NOT NULL,  -- quoted: a reserved word in PostgreSQL
    question  TEXT NOT NULL,
    answer    TEXT NOT NULL,
    doc_ids   TEXT NOT NULL,
    rating    TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS feedback_at ON feedback(at);
"""

Rating = Literal["up", "down"]


class Feedback(BaseModel):
    id: int | None = None
    at: datetime
    user: str
    question: str
    answer: str
    doc_ids: list[str] = Field(default_factory=list)
    rating: Rating
    comment: str = ""


class FeedbackStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def add(self, fb: Feedback) -> Feedback:
        with self.db.transaction() as conn:
            cur = conn.execute(
                'INSERT INTO feedback (at, "user", question, answer, doc_ids, rating, comment) '
                "VALUES (?,?,?,?,?,?,?) RETURNING id",
                (
                    utc(fb.at).isoformat(),
                    fb.user,
                    fb.question,
                    fb.answer,
                    json.dumps(fb.doc_ids),
                    fb.rating,
                    fb.comment,
                ),
            )
            new_id = int(cur.fetchone()[0])
        return fb.model_copy(update={"id": new_id})

    def list(
        self, *, rating: Rating | None = None, since: datetime | None = None, limit: int = 500
    ) -> list[Feedback]:
        """Newest first."""
        return newest_first(
            self.db,
            "feedback",
            ("id", "at", "user", "question", "answer", "doc_ids", "rating", "comment"),
            Feedback,
            equal={"rating": rating},
            since=since,
            limit=limit,
        )
