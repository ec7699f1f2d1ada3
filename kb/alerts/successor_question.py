"""One "Is X replaced by Y?" question in an owner's digest (built by
``kb.alerts.successor_questions``, rendered by ``kb.alerts.render``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


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
