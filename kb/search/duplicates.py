"""One result per page kept in two sources: near-duplicates folded into "also in …".

``kb.ingest.duplicates`` finds copies of a page across sources at ingest (the onboarding checklist
in Notion and in Drive); ``fold`` runs on the ranked list before it is cut to ``top_k``: a document
whose near-duplicate is already shown, and which is not more current than it (its freshness
weight is not higher), is dropped, and the shown one lists it under ``also_in``. A more current
copy is never hidden behind a stale one: both stay, each naming the other.

``also_in`` names only copies the reader may read: a copy in a space the reader cannot see is
neither shown nor named, and does not hide anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace

from pydantic import BaseModel, Field

from kb.records import Document
from kb.search.ranking import Ranked

SOURCE_LABELS = {"notion": "Notion", "gdrive": "Google Drive"}


class Copy(BaseModel):
    """Another copy of a result's page, in another source, that the reader may read."""

    doc_id: str
    title: str
    url: str | None = None
    source: str
    source_label: str = Field(description="the source as people name it: Notion, Google Drive")
    similarity: float = Field(description="word-shingle Jaccard with the result, 0..1")

    @classmethod
    def of(cls, doc: Document, similarity: float) -> Copy:
        return cls(
            doc_id=doc.doc_id,
            title=doc.title,
            url=doc.url,
            source=doc.source,
            source_label=SOURCE_LABELS.get(doc.source, doc.source),
            similarity=similarity,
        )


def copies(
    doc_id: str,
    partners: Mapping[str, Mapping[str, float]],
    readable: AbstractSet[str],
    docs: Mapping[str, Document],
) -> list[Copy]:
    """``doc_id``'s near-duplicates the reader may read, most similar first."""
    mine = partners.get(doc_id, {})
    found = sorted((c for c in mine if c in readable and c in docs), key=lambda c: (-mine[c], c))
    return [Copy.of(docs[c], mine[c]) for c in found]


def fold(
    ordered: Sequence[Ranked],
    partners: Mapping[str, Mapping[str, float]],
    readable: AbstractSet[str],
    docs: Mapping[str, Document],
) -> tuple[list[Ranked], dict[str, list[Copy]]]:
    """``ordered`` without the copies of a document ranked above them (renumbered), and the
    readable copies of each kept document."""
    kept: list[Ranked] = []
    for r in ordered:
        mine = partners.get(r.doc_id, {})
        if any(k.doc_id in mine and k.weight >= r.weight for k in kept):
            continue
        kept.append(replace(r, rank=len(kept) + 1))
    also = {r.doc_id: found for r in kept if (found := copies(r.doc_id, partners, readable, docs))}
    return kept, also
