"""Answers with citations composed from search results.

Owns: the ``Answerer`` protocol and its models (``base``), the offline extractive answerer
(``extractive``, with sentence splitting in ``sentences``), the OpenAI-compatible answerer
(``openai``), ``make_answerer``, the factory that picks one from ``[answer]`` settings, and
``precomputed``, the extractive answerer's embedder over the sentence vectors stored at ingest.
May import: ``kb.search`` (the results it answers from) and the foundation (config, records,
errors); never ``kb.api`` or ``kb.cli``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kb.answer.base import NOTHING_FOUND, Answer, Answerer, Citation, SourceRef
from kb.config import AnswerSettings

if TYPE_CHECKING:
    from kb.search.embedding import Embedder
    from kb.store.documents import DocumentStore

__all__ = ["NOTHING_FOUND", "Answer", "Answerer", "Citation", "SourceRef", "make_answerer"]


def make_answerer(
    settings: AnswerSettings, documents: DocumentStore, embedder: Callable[[], Embedder]
) -> Answerer:
    """The answerer ``settings.mode`` asks for. ``embedder`` is a factory: only the extractive
    answerer needs the model, so the OpenAI one never loads it."""
    if settings.mode == "openai":
        from kb.answer.openai import OpenAIAnswerer

        return OpenAIAnswerer(settings)
    from kb.answer.extractive import extractive_answerer

    return extractive_answerer(settings, documents, embedder())
