"""Request and response bodies of the API. Requests refuse unknown fields (``extra="forbid"``);
responses never carry a document's full text except ``GET /v1/docs/{id}``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator, model_validator

from kb.alerts.owner_view import OwnerView
from kb.answer import Citation
from kb.config import APISettings
from kb.lifecycle.view import DocView
from kb.records import is_blank
from kb.search.duplicates import Copy
from kb.store.reviews import Review

if TYPE_CHECKING:
    from kb.lifecycle.freshness import Freshness
    from kb.lifecycle.successors import Successor
    from kb.records import Document
    from kb.search.retrieval import SearchHit, SearchResult


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _whole_number(value: object) -> object:
    """JSON Schema's ``integer`` includes 14.0: take it as 14 (other floats stay refused)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _not_blank(value: str | None) -> str | None:
    if value is not None and is_blank(value):
        raise ValueError("must not be empty or only whitespace")
    return value


class AskRequest(Request):
    question: StrictStr = Field(description="The question, in plain words")
    top_k: StrictInt | None = Field(None, ge=1, description="Documents to consider (1..api.max_top_k)")

    _blank = field_validator("question")(_not_blank)
    _whole = field_validator("top_k", mode="before")(_whole_number)


class SearchRequest(Request):
    question: StrictStr | None = Field(None, description="What to search for")
    query: StrictStr | None = Field(None, description="Alias of 'question'")
    top_k: StrictInt | None = Field(None, ge=1, description="Documents returned (1..api.max_top_k)")

    _blank = field_validator("question", "query")(_not_blank)
    _whole = field_validator("top_k", mode="before")(_whole_number)

    @model_validator(mode="after")
    def _one_of(self) -> SearchRequest:
        if self.question is None and self.query is None:
            raise ValueError("'question' (or 'query') is required")
        if self.question is not None and self.query is not None:
            raise ValueError("give 'question' or 'query', not both")
        return self

    @property
    def text(self) -> str:
        return (self.question if self.question is not None else self.query) or ""


def check_limits(field: str, text: str, top_k: int | None, settings: APISettings) -> None:
    """Limits that come from configuration, so they cannot live in the static models."""
    from kb.api.errors import InvalidField

    if len(text) > settings.max_question_chars:
        raise InvalidField(
            f"'{field}' is {len(text)} characters; the limit is {settings.max_question_chars}", subject=field
        )
    if top_k is not None and top_k > settings.max_top_k:
        raise InvalidField(f"'top_k' must be between 1 and {settings.max_top_k}", subject="top_k")


class FreshnessOut(BaseModel):
    status: str
    weight: float
    reasons: list[str]
    due_at: datetime | None
    overdue_days: int | None
    reviewed_basis: str
    basis_at: datetime | None


class DocSummary(DocView):
    """A document in ``GET /v1/docs`` and a search hit: ``DocView`` with the freshness detail."""

    freshness: FreshnessOut

    @classmethod
    def build(cls, doc: Document, fr: Freshness, successor: Successor | None = None, **extra: Any) -> Self:
        return cls.of(doc, fr, successor, freshness=FreshnessOut.model_validate(fr.model_dump()), **extra)


class SearchHitOut(DocSummary):
    rank: int
    relevance: float
    score: float
    snippets: list[str]
    also_in: list[Copy] = Field(
        default_factory=list,
        description="copies of this page in other sources that the caller may read (near-duplicates "
        "found at ingest); the copies of a page are one result, shown as the most current copy",
    )

    @classmethod
    def from_hit(cls, hit: SearchHit) -> SearchHitOut:
        return cls.build(
            hit.doc,
            hit.freshness,
            hit.successor,
            rank=hit.rank,
            relevance=hit.relevance,
            score=hit.score,
            snippets=hit.snippets,
            also_in=hit.also_in,
        )


class SearchResponse(BaseModel):
    """``POST /v1/search``'s body, and what ``kb search --json`` prints."""

    query: str
    results: list[SearchHitOut]
    warnings: list[str]
    took_ms: float

    @classmethod
    def from_result(cls, result: SearchResult) -> SearchResponse:
        return cls(
            query=result.query,
            results=[SearchHitOut.from_hit(h) for h in result.hits],
            warnings=result.warnings,
            took_ms=result.took_ms,
        )


class AskResponse(BaseModel):
    answer: str
    citations: list[Citation]
    warnings: list[str]
    answerer: str
    took_ms: float


class DocList(BaseModel):
    count: int
    counts_by_status: dict[str, int] = Field(description="freshness status -> documents")
    documents: list[DocSummary]


class DocDetail(DocSummary):
    record: dict[str, Any] = Field(description="the full document record, text included")
    resolution: dict[str, str]
    reviews: list[Review]
    near_duplicates: list[Copy] = Field(
        default_factory=list,
        description="copies of this page in other sources that the caller may read, most similar first",
    )
    alerts: list[dict[str, Any]] = Field(
        default_factory=list, description="staleness alerts sent about the document, newest first"
    )


class MyCounts(BaseModel):
    documents: int = Field(description="pages the caller owns and may read")
    overdue: int
    due_soon: int
    successors: int = Field(description="inferred successors awaiting the caller's decision")
    near_duplicates: int
    secrets: int = Field(description="secrets redacted from the caller's pages at ingest")
    negative_feedback: int


class MyResponse(OwnerView):
    """``GET /v1/my``: the caller's own pages and what needs them, most urgent first."""

    counts: MyCounts

    @classmethod
    def from_view(cls, view: OwnerView) -> MyResponse:
        counts = MyCounts(
            documents=len(view.documents),
            overdue=len(view.overdue),
            due_soon=len(view.due_soon),
            successors=len(view.successors),
            near_duplicates=len(view.near_duplicates),
            secrets=sum(k.count for s in view.secrets for k in s.found),
            negative_feedback=len(view.negative_feedback),
        )
        return cls(**dict(view), counts=counts)
