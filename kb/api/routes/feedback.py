"""``POST /v1/feedback``: thumbs up or down, with an optional comment, on an answer the caller got.

Stored with the caller's identity (``kb.store.feedback``) and written to the audit log (action
``feedback``). The cited document ids must be documents the caller may read: an unknown id and
an unreadable one get the same 422, so ids cannot be probed and nothing unreadable is stored.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictStr, field_validator

from kb.api.deps import AuditDep, CurrentPrincipal, RuntimeDep
from kb.api.errors import error_responses
from kb.api.schemas import Request, check_limits
from kb.records import is_blank
from kb.store.feedback import Feedback, FeedbackStore, Rating

router = APIRouter(prefix="/v1", tags=["feedback"])

MAX_COMMENT_CHARS = 2000
MAX_ANSWER_CHARS = 20000


class FeedbackRequest(Request):
    question: StrictStr = Field(min_length=1, description="The question that was answered")
    answer: StrictStr = Field("", max_length=MAX_ANSWER_CHARS, description="The answer text shown")
    doc_ids: list[StrictStr] = Field(default_factory=list, max_length=50, description="Cited document ids")
    rating: Rating = Field(description="up or down")
    comment: StrictStr = Field("", max_length=MAX_COMMENT_CHARS, description="Optional comment")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if is_blank(value):
            raise ValueError("must not be empty or only whitespace")
        return value


class FeedbackOut(BaseModel):
    id: int
    at: datetime
    rating: Rating
    doc_ids: list[str] = Field(description="The cited ids kept: those the caller may read")


@router.post(
    "/feedback",
    response_model=FeedbackOut,
    status_code=201,
    responses=error_responses(400, 401, 422, 500, 503),
)
def give_feedback(
    body: FeedbackRequest, runtime: RuntimeDep, principal: CurrentPrincipal, audit: AuditDep
) -> FeedbackOut:
    check_limits("question", body.question, None, runtime.settings.api)
    # Cited ids the caller cannot read are dropped exactly like unknown ones: the response and what
    # is stored say nothing about them (a schema-valid request is never refused for them).
    cited = [
        doc_id
        for doc_id in dict.fromkeys(body.doc_ids)
        if (doc := runtime.documents.get(doc_id, with_text=False)) is not None and principal.can_read(doc.acl)
    ]
    with audit.call(principal, "feedback", body.question) as call:
        call.doc_ids = list(cited)
        stored = FeedbackStore(runtime.db).add(
            Feedback(
                at=runtime.clock.now(),
                user=principal.user,
                question=body.question,
                answer=body.answer,
                doc_ids=cited,
                rating=body.rating,
                comment=body.comment.strip(),
            )
        )
    assert stored.id is not None
    return FeedbackOut(id=stored.id, at=stored.at, rating=stored.rating, doc_ids=cited)
