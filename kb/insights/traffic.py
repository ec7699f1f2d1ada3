"""Live traffic read back from the audit log: the stale-citation rate per week and the most used
documents.

The stale-citation rate is the share of answered questions (asks that cited something) whose
first source was stale *when it was cited*: freshness is judged at the ask's time
(``kb.lifecycle.freshness.assess`` takes the instant), with the latest review recorded through
FreshKB before it. A document removed since is left out of the week (it cannot be judged).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from pydantic import BaseModel

from kb.config import Settings
from kb.lifecycle.freshness import LIFECYCLE, assess
from kb.records import Document
from kb.store.audit import AuditEntry

STALE = LIFECYCLE | {"overdue"}


class WeekRate(BaseModel):
    week: date  # the Monday
    answers: int
    stale_first: int
    rate: float


class UsedDoc(BaseModel):
    doc_id: str
    title: str
    owner: str | None
    status: str
    uses: int


def stale_citation_rate(
    entries: Iterable[AuditEntry],
    docs: Mapping[str, Document],
    reviewed: Mapping[str, datetime],
    settings: Settings,
) -> list[WeekRate]:
    weeks: dict[date, list[bool]] = {}
    for e in entries:
        if e.action != "ask" or e.status != 200 or not e.doc_ids or (doc := docs.get(e.doc_ids[0])) is None:
            continue
        review = reviewed.get(doc.doc_id)
        status = assess(doc, e.at, settings, reviewed_at=review if review and review <= e.at else None).status
        monday = e.at.date() - timedelta(days=e.at.weekday())
        weeks.setdefault(monday, []).append(status in STALE)
    return [
        WeekRate(week=w, answers=len(v), stale_first=sum(v), rate=round(sum(v) / len(v), 4))
        for w, v in sorted(weeks.items())
    ]


def most_used(
    usage: Mapping[str, int], docs: Mapping[str, Document], status: Mapping[str, str], top: int
) -> list[UsedDoc]:
    ranked = sorted(((n, d) for d, n in usage.items() if d in docs), key=lambda t: (-t[0], t[1]))[:top]
    return [
        UsedDoc(doc_id=d, title=docs[d].title, owner=docs[d].owner, status=status.get(d, "unknown"), uses=n)
        for n, d in ranked
    ]
