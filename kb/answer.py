"""Answers with citations, composed from search results: the ``Answerer`` protocol and its
offline default, ``ExtractiveAnswerer``.

The extractive answerer never invents text: it picks the sentences of the top sources that are
most similar to the question (by the same embedding model the index uses), prefers current
sources over stale ones, and follows each sentence with its citation ``[n]``. When nothing is
relevant enough it says so plainly instead of quoting something loosely related.
``kb.answer_openai.OpenAIAnswerer`` asks an OpenAI-compatible chat endpoint instead.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, Field

from kb.config import AnswerSettings

if TYPE_CHECKING:
    from kb.embedding import Embedder
    from kb.retrieval import SearchHit, SearchResult
    from kb.runtime import Runtime

NOTHING_FOUND = (
    "No relevant documents were found for this question in the documents you can "
    "read. Try other words, or ask the owner of the topic."
)
# Freshness statuses whose documents are only quoted when nothing current matches.
STALE = frozenset({"deprecated", "archived", "superseded"})
# Sentences less similar to the question than this are never quoted.
MIN_SENTENCE_SIMILARITY = 0.2
# Sentence ends, line breaks, and list bullets / table cells (snippets arrive whitespace-folded).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+|\s+[-*•]\s+|\s*\|\s*")
# A sentence scoring below this share of the best one is left out: answers stay short.
KEEP_RATIO = 0.85
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "did",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "should",
        "so",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    }
)
_MARKDOWN_NOISE = re.compile(r"^[#>*\-\s|]+|[*_`]+")


class SourceRef(BaseModel):
    doc_id: str
    title: str
    url: str | None = None


class Citation(BaseModel):
    n: int = Field(description="the number used in the answer text as [n]")
    doc_id: str
    title: str
    url: str | None = None
    owner: str | None = None
    status: str = Field(
        description="freshness status: fresh, due_soon, overdue, unknown, deprecated, archived, superseded"
    )
    weight: float
    last_reviewed_at: datetime | None = None
    last_edited_at: datetime | None = None
    due_at: datetime | None = None
    overdue_days: int | None = None
    successor: SourceRef | None = None


class Answer(BaseModel):
    text: str
    citations: list[Citation] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    answerer: str


class Answerer(Protocol):
    name: str

    def answer(self, question: str, result: SearchResult) -> Answer: ...


def citation_for(n: int, hit: SearchHit) -> Citation:
    doc, fr = hit.doc, hit.freshness
    successor = None
    if hit.successor is not None:
        successor = SourceRef(
            doc_id=hit.successor.doc_id, title=hit.successor.title, url=getattr(hit.successor, "url", None)
        )
    return Citation(
        n=n,
        doc_id=doc.doc_id,
        title=doc.title,
        url=doc.url,
        owner=doc.owner,
        status=fr.status,
        weight=fr.weight,
        last_reviewed_at=doc.last_reviewed_at,
        last_edited_at=doc.last_edited_at,
        due_at=fr.due_at,
        overdue_days=fr.overdue_days,
        successor=successor,
    )


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


def content_terms(text: str) -> set[str]:
    """Crudely stemmed content words: 'Invoices' and 'invoice' meet as 'invoi'."""
    return {w.rstrip("s")[:5] for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and len(w) > 2}


def split_sentences(snippet: str) -> list[str]:
    """Sentences of a snippet, without markdown markers or fragments cut by the snippet edge."""
    out = []
    for raw in _SENTENCE_END.split(snippet.replace("…", " ").replace("...", " ")):
        s = _MARKDOWN_NOISE.sub("", raw).strip()
        if len(s.split()) >= 4:
            out.append(s if s[-1] in ".!?:" else s + ".")
    return out


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, embedder: Embedder, settings: AnswerSettings) -> None:
        self._embedder = embedder
        self._settings = settings

    def answer(self, question: str, result: SearchResult) -> Answer:
        sources = answer_sources(result, self._settings, self._settings.max_sentences)
        candidates: list[tuple[int, str]] = []
        seen: set[str] = set()
        for i, hit in enumerate(sources):
            for snippet in hit.snippets:
                for sentence in split_sentences(snippet):
                    if sentence.lower() not in seen:  # overlapping chunks repeat sentences
                        seen.add(sentence.lower())
                        candidates.append((i, sentence))
        if not candidates:
            return Answer(text=NOTHING_FOUND, warnings=list(result.warnings), answerer=self.name)
        q = self._embedder.embed_query(question)
        vectors = self._embedder.embed([s for _, s in candidates])
        terms = content_terms(question)
        best_relevance = max(h.relevance for h in sources) or 1.0
        scored = []
        for (i, sentence), v in zip(candidates, vectors, strict=True):
            similarity = sum(a * b for a, b in zip(q, v, strict=True))
            overlap = len(terms & content_terms(sentence)) / len(terms) if terms else 0.0
            # Similarity alone favours any sentence on the topic ("invoices"); the question's own
            # words and the source's rank pull the sentence that actually answers it up.
            source = (sources[i].relevance / best_relevance) ** 0.5
            score = (similarity * source + 0.15 * overlap) * (0.75 + 0.25 * sources[i].freshness.weight)
            scored.append((score, similarity, i, sentence))
        scored.sort(key=lambda c: -c[0])
        top = scored[0][0] if scored else 0.0
        chosen = [c for c in scored if c[1] >= MIN_SENTENCE_SIMILARITY and c[0] >= KEEP_RATIO * top]
        chosen = chosen[: self._settings.max_sentences]
        if not chosen:
            return Answer(text=NOTHING_FOUND, warnings=list(result.warnings), answerer=self.name)
        numbers: dict[int, int] = {}
        parts = []
        for _, _, i, sentence in chosen:
            n = numbers.setdefault(i, len(numbers) + 1)
            parts.append(f"{sentence} [{n}]")
        citations = [citation_for(n, sources[i]) for i, n in numbers.items()]
        warnings = list(result.warnings)
        warnings += stale_warnings(citations, warnings)
        return Answer(text=" ".join(parts), citations=citations, warnings=warnings, answerer=self.name)


def make_answerer(runtime: Runtime) -> Answerer:
    """The answerer ``settings.answer.mode`` asks for."""
    settings = runtime.settings.answer
    if settings.mode == "openai":
        from kb.answer_openai import OpenAIAnswerer

        return OpenAIAnswerer(settings)
    return ExtractiveAnswerer(runtime.embedder, settings)
