"""What every answerer shares: the ``Answer`` and ``Citation`` models, the ``Answerer`` protocol,
and the rules for which search hits may be quoted and which need a warning."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, Field

from kb.config import AnswerSettings
from kb.lifecycle.view import DocView
from kb.records import DocRef

if TYPE_CHECKING:
    from kb.search.retrieval import SearchHit, SearchResult

NOTHING_FOUND = (
    "No relevant documents were found for this question in the documents you can "
    "read. Try other words, or ask the owner of the topic."
)
# Freshness statuses whose documents are only quoted when nothing current matches.
STALE = frozenset({"deprecated", "archived", "superseded"})


SourceRef = DocRef  # one model for "which document": search successors, citations, the API


class Citation(DocView):
    """A cited source: ``DocView`` numbered as the answer text cites it."""

    n: int = Field(description="the number used in the answer text as [n]")


class Answer(BaseModel):
    text: str
    citations: list[Citation] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    answerer: str


class Answerer(Protocol):
    name: str

    def answer(self, question: str, result: SearchResult) -> Answer: ...


def citation_for(n: int, hit: SearchHit) -> Citation:
    return Citation.of(hit.doc, hit.freshness, hit.successor, n=n)


def answer_sources(result: SearchResult, settings: AnswerSettings, limit: int) -> list[SearchHit]:
    """Hits relevant enough to answer from: current documents first, stale ones only as a
    last resort (then the answer warns about them)."""
    relevant = [h for h in result.hits if h.relevance >= settings.min_relevance]
    current = [h for h in relevant if h.freshness.status not in STALE]
    return (current or relevant)[:limit]


def stale_warnings(citations: list[Citation], existing: list[str]) -> list[str]:
    """Warn about cited sources that are not current, unless the retriever already did."""
    out = []
    for c in citations:
        if any(c.title in w for w in existing):
            continue
        if c.status in STALE:
            out.append(f"'{c.title}' is {c.status}; treat [{c.n}] with care.")
        elif c.status == "overdue":
            out.append(f"'{c.title}' [{c.n}] is overdue for review by {c.overdue_days} days.")
    return out
