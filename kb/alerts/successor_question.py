"""One "Is X replaced by Y?" question in an owner's digest (built by
``kb.alerts.successor_questions``, rendered by ``kb.alerts.render``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from kb.lifecycle.successors import Successor
    from kb.records import Document


class SuccessorQuestion(BaseModel):
    doc_id: str = Field(description="the owner's (older) page")
    title: str
    url: str | None = None
    breadcrumb: str = Field("", description="'Parent / Child / Title' of the owner's page")
    successor_id: str
    successor_title: str
    successor_url: str | None = None
    reason: str = Field(description="why the newer page looks like its replacement")
    confidence: float
    replaced_url: str | None = Field(None, description="one-click 'replaced' link")
    not_replaced_url: str | None = Field(None, description="one-click 'not replaced' link")

    @classmethod
    def of(
        cls,
        doc: Document,
        succ: Successor,
        replaced_url: str | None = None,
        not_replaced_url: str | None = None,
    ) -> SuccessorQuestion:
        """The question for ``doc`` and its inferred successor (the digest and ``/v1/my``)."""
        return cls(
            doc_id=doc.doc_id,
            title=doc.title,
            url=doc.url,
            breadcrumb=doc.breadcrumb,
            successor_id=succ.doc_id,
            successor_title=succ.title,
            successor_url=succ.url,
            reason=succ.reason,
            confidence=succ.confidence,
            replaced_url=replaced_url,
            not_replaced_url=not_replaced_url,
        )

    def sort_key(self) -> tuple[float, str, str]:
        """Most confident first, then by title."""
        return (-self.confidence, self.title.casefold(), self.doc_id)
