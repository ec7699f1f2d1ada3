"""The one "document with freshness" projection: what a reader is shown about a document.

Search hits and ``GET /v1/docs`` (``kb.api.schemas.DocSummary``), answer citations
(``kb.answer.Citation``) and digest items (``kb.alerts.digest.DigestItem``) all extend ``DocView``
and fill it through ``DocView.of``, so a field has one name and one meaning wherever it appears:
``status`` is always the freshness status for this reader, ``doc_status`` the source's status,
``last_reviewed_at`` the review date the source (or configuration) gives, ``successor`` the
document that replaces this one *for this reader* (``kb.lifecycle.successors.judge`` already
dropped one the reader may not read), ``path`` the breadcrumb as this reader may see it (callers
pass the document through ``kb.lifecycle.breadcrumbs`` or ``visible_record`` first: a parent the
reader may not read is a placeholder, never its title).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, Field

from kb.lifecycle.freshness import Freshness
from kb.lifecycle.successors import Successor
from kb.records import DocRef, Document


def successor_ref(successor: Successor | None) -> DocRef | None:
    """The reader-facing pointer to a successor (``basis`` and ``confidence`` stay internal)."""
    if successor is None:
        return None
    return DocRef(
        doc_id=successor.doc_id,
        title=successor.title,
        url=successor.url,
        inferred=successor.inferred,
        reason=successor.reason,
    )


class DocView(BaseModel):
    """A document with its freshness, as one reader sees it."""

    doc_id: str
    title: str
    url: str | None = None
    source: str
    owner: str | None = Field(None, description="email when resolvable, else the exported name")
    path: list[str] = Field(default_factory=list, description="breadcrumb of parent titles")
    doc_status: str = Field(description="status from the source or configuration")
    status: str = Field(
        description="freshness status: fresh, due_soon, overdue, unknown, deprecated, archived, superseded"
    )
    weight: float = Field(description="freshness weight: the ranking prior in [floor, 1]")
    last_reviewed_at: datetime | None = Field(None, description="last review date given by the source")
    last_edited_at: datetime | None = None
    due_at: datetime | None = Field(None, description="when the next review is (was) due")
    overdue_days: int | None = Field(None, description="whole days past due_at, when overdue")
    successor: DocRef | None = Field(None, description="the readable document that replaces this one")

    @classmethod
    def of(cls, doc: Document, fr: Freshness, successor: Successor | None = None, **extra: Any) -> Self:
        """``doc`` judged ``fr`` (with ``successor``) for one reader; ``extra`` fills a subclass's
        own fields."""
        return cls(
            doc_id=doc.doc_id,
            title=doc.title,
            url=doc.url,
            source=doc.source,
            owner=doc.owner,
            path=doc.path,
            doc_status=doc.status,
            status=fr.status,
            weight=fr.weight,
            last_reviewed_at=doc.last_reviewed_at,
            last_edited_at=doc.last_edited_at,
            due_at=fr.due_at,
            overdue_days=fr.overdue_days,
            successor=successor_ref(successor),
            **extra,
        )
