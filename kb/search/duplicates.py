"""One result per page kept in two sources: near-duplicates folded into "also in …".

``kb.ingest.duplicates`` finds copies of a page across sources at ingest (the onboarding checklist
in Notion and in Drive); ``fold`` runs on the ranked list before it is cut to ``top_k``: the copies
of a page take one place, the best-ranked copy's, and the one shown there is the most current
copy (a stale Drive copy that matched best gives its place to the current Notion page); the others
are listed under its ``also_in``. A stale copy never stands in for a current one.

Measured on the example golden set (dup-1, "What should a new engineer do on their first day?"):
keeping the best-ranked copy and hiding its twin removed the relevant Notion page behind the
Drive copy it duplicates (the Drive copy's edit-based weight, 0.85, beat the Notion page's
"unknown" 0.8), so the group is shown as its most current copy by status first.

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


# How current a copy is, best first: the copy a group is shown as.
CURRENCY = {"fresh": 0, "due_soon": 1, "unknown": 2, "overdue": 3}
STALE = 4  # deprecated, archived, superseded


def fold(
    ordered: Sequence[Ranked],
    partners: Mapping[str, Mapping[str, float]],
    readable: AbstractSet[str],
    docs: Mapping[str, Document],
    status: Mapping[str, str],
) -> tuple[list[Ranked], dict[str, list[Copy]]]:
    """``ordered`` with each group of copies (a document and its near-duplicates among the
    candidates) in one place: the best-ranked member's, taken by the group's most current copy
    (freshness status, then weight, then rank); the list is renumbered. Also the readable copies
    of each kept document."""
    kept: list[Ranked] = []
    used: set[str] = set()
    for r in ordered:
        if r.doc_id in used:
            continue
        mine = partners.get(r.doc_id)
        if mine:
            group = [r, *(o for o in ordered if o.doc_id in mine and o.doc_id not in used)]
            best = min(
                group, key=lambda o: (CURRENCY.get(status.get(o.doc_id, ""), STALE), -o.weight, o.rank)
            )
            used.update(o.doc_id for o in group)
        else:  # most documents have no copy: nothing to look for
            best = r
            used.add(r.doc_id)
        rank = len(kept) + 1
        kept.append(best if best.rank == rank else replace(best, rank=rank))
    also = {r.doc_id: found for r in kept if (found := copies(r.doc_id, partners, readable, docs))}
    return kept, also
