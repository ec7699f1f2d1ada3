"""Answers with citations, composed from search results: the ``Answerer`` protocol and its
offline default, ``ExtractiveAnswerer``.

The extractive answerer never invents text: it picks the sentences of the top sources that are
most similar to the question (by the same embedding model the index uses), prefers current
sources over stale ones, and follows each sentence with its citation ``[n]``. When nothing is
relevant enough it says so plainly instead of quoting something loosely related.
``kb.answer.openai.OpenAIAnswerer`` asks an OpenAI-compatible chat endpoint instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

from kb.answer.base import (
    NOTHING_FOUND,
    STALE,
    Answer,
    Citation,
    citation_for,
    stale_warnings,
)
from kb.answer.sentences import ELLIPSIS, sentence_blocks
from kb.config import AnswerSettings

if TYPE_CHECKING:
    from kb.search.embedding import Embedder
    from kb.search.retrieval import SearchHit, SearchResult
    from kb.store.documents import DocumentStore

# Sources quoted first; an overdue one counts while its weight is above OUTDATED_WEIGHT (half a
# half-life past due, or the author's "may contain outdated information" marker).
CURRENT = frozenset({"fresh", "due_soon", "unknown"})
OUTDATED_WEIGHT = 0.5
# Sentences less similar to the question than this are never quoted.
MIN_SENTENCE_SIMILARITY = 0.3
# ... nor those less similar than this share of the best sentence of any source: a current
# source "has a relevant sentence" only by this measure, so loosely related current text does
# not shut out the outdated page that actually answers.
RELATIVE_SIMILARITY = 0.7
# A sentence scoring below this share of the best one is left out (answers stay within
# answer.max_sentences either way). 0.75, not 0.85: the sentence with the fact asked for (a table
# row, a list step, a command) often scores a little under the one that restates the question;
# dev halves' answer contains 0.405 -> 0.486 and 0.692 -> 0.744, forbidden unchanged (docs/evals.md).
KEEP_RATIO = 0.75
# What is embedded per answer (one model call): sentences of the best chunks of the top sources.
CURRENT_SOURCES = 3
STALE_SOURCES = 2
SENTENCES_PER_SOURCE = 8  # a current source; an outdated one (the fallback) gets fewer
SENTENCES_PER_STALE_SOURCE = 5
_WORD = re.compile(r"[a-z0-9]+")
SHORT_BANNER_WORDS = 6  # "This page is deprecated." says nothing of what replaced it
# A page's own banner naming what replaced it, or saying it is gone.
BANNER = re.compile(
    r"\b(?:deprecated|replaced by|superseded by|has moved|no longer (?:used|maintained)|obsolete|retired)\b",
    re.IGNORECASE,
)
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
ChunkTexts = Callable[[str], list[tuple[str, str]]]
"""doc id -> (heading path, text) of its stored chunks (the Markdown snippets are cut from)."""


def content_terms(text: str) -> set[str]:
    """Crudely stemmed content words: 'Invoices' and 'invoice' meet as 'invoi'."""
    return {w.rstrip("s")[:5] for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and len(w) > 2}


def is_current(hit: SearchHit) -> bool:
    fr = hit.freshness
    return fr.status in CURRENT or (fr.status == "overdue" and fr.weight > OUTDATED_WEIGHT)


def _folded(text: str) -> str:
    return " ".join(text.split())


def source_texts(hit: SearchHit, chunks: ChunkTexts | None) -> list[tuple[str, str]]:
    """(heading path, text) of the hit's best chunks as stored (line breaks intact, so list
    items and table rows stay apart), found by the snippet each was cut to; the snippet itself
    (under the document title) when none matches."""
    if chunks is None:
        return [(hit.doc.title, s) for s in hit.snippets]
    stored = [(_folded(t), h, t) for h, t in chunks(hit.doc.doc_id)]
    out = []
    for snippet in hit.snippets:
        head = snippet.removesuffix(ELLIPSIS).rstrip()
        found = next(((h, raw) for folded, h, raw in stored if folded.startswith(head)), None)
        out.append(found or (hit.doc.title, snippet))
    return out


def _sentences(heading: str, text: str) -> list[tuple[str, int]]:
    """A chunk's sentences with their block numbers; under a question heading (an FAQ) the first
    one is its answer and reads as one only with the question in front."""
    sentences = sentence_blocks(text)
    question = heading.rsplit(" / ", 1)[-1].strip()
    if sentences and question.endswith("?"):
        sentences[0] = (f"{question} {sentences[0][0]}", sentences[0][1])
    return sentences


def stored_sentence_texts(heading: str, text: str, title: str) -> list[str]:
    """What ``ExtractiveAnswerer.answer`` embeds for each sentence of a stored chunk (its heading
    path, or the title, in front), each once: the ingest embeds these and stores their vectors
    (``kb.answer.precomputed``). tests/kb/answer/test_precomputed.py holds the two in step."""
    return list(dict.fromkeys(f"{heading or title}: {s}" for s, _ in _sentences(heading, text)))


def replaced(hit: SearchHit, present: set[str]) -> bool:
    """Whether the page that replaces ``hit`` (stated or inferred) is among the results: then
    the newer page answers, and the older one is not quoted at all."""
    s = hit.successor
    return s is not None and s.doc_id in present and s.doc_id != hit.doc.doc_id


@dataclass
class _Candidate:
    source: int  # index into the sources list
    sentence: str
    context: str  # heading path (or title): embedded in front of the sentence
    block: tuple[int, int] = (0, 0)  # (chunk, paragraph/list/table) the sentence is in
    order: int = 0  # position in its source
    similarity: float = 0.0
    score: float = 0.0


class ExtractiveAnswerer:
    """Quotes the sentences of the top sources most similar to the question.

    Current sources answer when any of their sentences is relevant; outdated ones (lifecycle
    stale, or long overdue) only when none is, and then the text says so. ``chunks`` lets it
    read the stored chunk behind each snippet (``make_answerer`` passes the store's).
    """

    name = "extractive"

    def __init__(
        self, embedder: Embedder, settings: AnswerSettings, chunks: ChunkTexts | None = None
    ) -> None:
        self._embedder = embedder
        self._settings = settings
        self._chunks = chunks

    def answer(self, question: str, result: SearchResult) -> Answer:
        present = {h.doc.doc_id for h in result.hits}
        relevant = [
            h for h in result.hits if h.relevance >= self._settings.min_relevance and not replaced(h, present)
        ]
        sources = [h for h in relevant if is_current(h)][:CURRENT_SOURCES]
        sources += [h for h in relevant if not is_current(h)][:STALE_SOURCES]
        candidates = self._candidates(sources)
        if not candidates:
            return self._nothing(result)
        # The heading path in front: "Snowflake costs ..." alone does not say it is about access.
        q, vectors = self._embed(question, [f"{c.context}: {c.sentence}" for c in candidates])
        self._score(question, q, vectors, candidates, sources)
        best = max(c.similarity for c in candidates)
        floor = max(MIN_SENTENCE_SIMILARITY, RELATIVE_SIMILARITY * best)
        relevant_now = [c for c in candidates if c.similarity >= floor]
        current = [c for c in relevant_now if is_current(sources[c.source])]
        chosen = self._select(current or relevant_now, candidates, sources)
        if not chosen:
            return self._nothing(result)
        if not current or sources[chosen[0].source].freshness.status in STALE:
            chosen = self._with_banners(chosen, candidates)
        return self._compose(chosen, sources, result, outdated=not current)

    def _select(
        self, pool: list[_Candidate], candidates: list[_Candidate], sources: list[SearchHit]
    ) -> list[_Candidate]:
        """The lead source (the highest-ranked one with a relevant sentence) answers: its best
        sentences in reading order, the best one with the sentence after it in the same paragraph.
        Another source adds a sentence only when it scores above everything the lead has."""
        if not pool:
            return []
        lead = min(c.source for c in pool)
        own = sorted((c for c in pool if c.source == lead), key=lambda c: -c.score)
        top = own[0]
        keep = [c for c in own if c.score >= KEEP_RATIO * top.score][: self._settings.max_sentences]
        after = next((c for c in candidates if c.source == lead and c.order == top.order + 1), None)
        if after is not None and after.block == top.block and after not in keep:
            keep = [*keep[: self._settings.max_sentences - 1], after]
        keep.sort(key=lambda c: c.order)
        # ... and only a source at least as current as the lead: a less current page that answers
        # the same question is what the lead replaces ("every 3 months" beside "periodically").
        weight = sources[lead].freshness.weight
        others = sorted(
            (
                c
                for c in pool
                if c.source != lead and c.score > top.score and sources[c.source].freshness.weight >= weight
            ),
            key=lambda c: -c.score,
        )
        return [*keep, *others][: max(self._settings.max_sentences, len(keep))]

    def _with_banners(self, chosen: list[_Candidate], candidates: list[_Candidate]) -> list[_Candidate]:
        """An outdated source's own banner ("This page is deprecated: replaced by Tailscale")
        goes first, chosen or not, so the answer follows the page's stated replacement, not its
        old procedure. A short banner ("This page is deprecated.") brings the sentence after it in
        its paragraph, which usually says what replaced the page."""
        quoted = {c.source for c in chosen}
        first: dict[int, _Candidate] = {}
        for c in candidates:
            if c.source in quoted and BANNER.search(c.sentence):
                first.setdefault(c.source, c)
        lead: list[_Candidate] = []
        for banner in first.values():
            lead.append(banner)
            after = next(
                (
                    c
                    for c in candidates
                    if c.source == banner.source and c.order == banner.order + 1 and c.block == banner.block
                ),
                None,
            )
            if after is not None and len(banner.sentence.split()) <= SHORT_BANNER_WORDS:
                lead.append(after)
        rest = [c for c in chosen if c not in lead]
        return [*lead, *rest][: max(self._settings.max_sentences, len(lead) + 1)]

    def _embed(self, question: str, sentences: list[str]) -> tuple[list[float], list[list[float]]]:
        """One model call for the question and every sentence, when the embedder embeds queries
        like documents (``Embedder.symmetric``); two otherwise."""
        if self._embedder.symmetric:
            q, *vectors = self._embedder.embed([question, *sentences])
            return q, vectors
        return self._embedder.embed_query(question), self._embedder.embed(sentences)

    def _candidates(self, sources: list[SearchHit]) -> list[_Candidate]:
        out: list[_Candidate] = []
        seen: set[str] = set()
        for i, hit in enumerate(sources):
            per_chunk = [
                [(heading or hit.doc.title, s, (n, b)) for s, b in _sentences(heading, text)]
                for n, (heading, text) in enumerate(source_texts(hit, self._chunks))
            ]
            taken, cap = 0, SENTENCES_PER_SOURCE if is_current(hit) else SENTENCES_PER_STALE_SOURCE
            for context, sentence, block in chain.from_iterable(per_chunk):  # best chunk first
                key = sentence.lower()
                if key in seen:
                    continue  # overlapping chunks repeat sentences
                seen.add(key)
                out.append(_Candidate(i, sentence, context, block=block, order=taken))
                taken += 1
                if taken == cap:
                    break
        return out

    @staticmethod
    def _score(
        question: str,
        q: list[float],
        vectors: list[list[float]],
        candidates: list[_Candidate],
        sources: list[SearchHit],
    ) -> None:
        terms = content_terms(question)
        best_relevance = max(h.relevance for h in sources) or 1.0
        for c, v in zip(candidates, vectors, strict=True):
            hit = sources[c.source]
            c.similarity = sum(a * b for a, b in zip(q, v, strict=True))
            overlap = len(terms & content_terms(c.sentence)) / len(terms) if terms else 0.0
            # Similarity alone favours any sentence on the topic ("invoices"); the question's own
            # words and the source's rank pull the sentence that actually answers it up.
            rank = (hit.relevance / best_relevance) ** 0.5
            c.score = (c.similarity * rank + 0.15 * overlap) * (0.75 + 0.25 * hit.freshness.weight)

    def _compose(
        self, chosen: list[_Candidate], sources: list[SearchHit], result: SearchResult, *, outdated: bool
    ) -> Answer:
        numbers: dict[int, int] = {}
        parts = [f"{c.sentence} [{numbers.setdefault(c.source, len(numbers) + 1)}]" for c in chosen]
        citations = [citation_for(n, sources[i]) for i, n in numbers.items()]
        if outdated:
            which = ", ".join(f"[{c.n}] is {_status_words(c)}" for c in citations)
            parts.insert(0, f"Only out-of-date documents answer this ({which}); check before relying on it:")
        warnings = list(result.warnings)
        warnings += stale_warnings(citations, warnings)
        return Answer(text=" ".join(parts), citations=citations, warnings=warnings, answerer=self.name)

    def _nothing(self, result: SearchResult) -> Answer:
        return Answer(text=NOTHING_FOUND, warnings=list(result.warnings), answerer=self.name)


def _status_words(c: Citation) -> str:
    if c.status == "overdue" and c.overdue_days is not None:
        return f"overdue for review by {c.overdue_days} days"
    return "overdue for review" if c.status == "overdue" else c.status


def extractive_answerer(
    settings: AnswerSettings, documents: DocumentStore, embedder: Embedder
) -> ExtractiveAnswerer:
    """The offline answerer as ``POST /v1/ask`` runs it: reading the stored chunks behind each
    snippet. The evals use this too, so their answer checks measure what the API answers."""
    return ExtractiveAnswerer(
        embedder,
        settings,
        chunks=lambda doc_id: [(c.heading, c.text) for c in documents.chunks_for(doc_id)],
    )
