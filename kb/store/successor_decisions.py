"""Owners' answers to "Is X replaced by Y?": decided pairs, who decided and when.

Append-only: a later decision on the same pair wins (``latest``), the earlier ones stay as
history. ``kb.lifecycle.evidence`` turns them into ``Decision``\\ s for ``judge``: "replaced" acts
like a stated link, "not replaced" suppresses the inference for that pair.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kb.clock import utc
from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS successor_decisions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id       TEXT NOT NULL,
    successor_id TEXT NOT NULL,
    decision     TEXT NOT NULL CHECK (decision IN ('replaced', 'not_replaced')),
    decided_by   TEXT NOT NULL,
    decided_at   TEXT NOT NULL,
    via          TEXT NOT NULL DEFAULT 'api'
);
CREATE INDEX IF NOT EXISTS successor_decisions_pair ON successor_decisions(doc_id, successor_id, id);
"""

Verdict = Literal["replaced", "not_replaced"]


class SuccessorDecision(BaseModel):
    doc_id: str = Field(description="the older page")
    successor_id: str = Field(description="the page that may replace it")
    decision: Verdict
    decided_by: str
    decided_at: datetime
    via: str = Field("api", description="api | link | cli")


class SuccessorDecisions:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def record(self, d: SuccessorDecision) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO successor_decisions "
                "(doc_id, successor_id, decision, decided_by, decided_at, via) VALUES (?,?,?,?,?,?)",
                (d.doc_id, d.successor_id, d.decision, d.decided_by, utc(d.decided_at).isoformat(), d.via),
            )

    def latest(self) -> list[SuccessorDecision]:
        """The latest decision on each pair."""
        rows = self.db.execute(
            "SELECT doc_id, successor_id, decision, decided_by, decided_at, via FROM successor_decisions s "
            "WHERE id = (SELECT MAX(id) FROM successor_decisions t "
            "WHERE t.doc_id = s.doc_id AND t.successor_id = s.successor_id) ORDER BY doc_id, successor_id"
        )
        return [SuccessorDecision.model_validate(dict(r)) for r in rows]

    def history(self, doc_id: str) -> list[SuccessorDecision]:
        rows = self.db.execute(
            "SELECT doc_id, successor_id, decision, decided_by, decided_at, via FROM successor_decisions "
            "WHERE doc_id = ? ORDER BY id DESC",
            (doc_id,),
        )
        return [SuccessorDecision.model_validate(dict(r)) for r in rows]

    def version(self) -> int:
        """Changes with every decision recorded."""
        row = self.db.execute("SELECT COALESCE(MAX(id), 0) AS v FROM successor_decisions").fetchone()
        return int(row["v"])
