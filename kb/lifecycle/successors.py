"""Which document replaces another, *for one reader*, and the freshness that follows from it.

The one place that decides a document's freshness for a reader (``judge``): search, ``GET
/v1/docs``, ``kb docs``, the alert runner and the review routes all call it, so they cannot
disagree. A successor is typed (``Successor``), never parsed back out of a reason string.

Evidence, strongest first (the first readable one wins):

1. an owner's decision recorded through FreshKB ("X is replaced by Y": ``basis="owner"``);
2. the document's own successor property (``superseded_by``: ``basis="property"``);
3. a readable document listing it in its ``supersedes`` (``basis="supersedes"``);
4. a "superseded by <title>" banner whose rest of line names a page it links to (``"banner"``);
5. a guess (``kb.lifecycle.inference``: a newer page on the same topic), unless an owner said
   "not replaced" for that pair (``basis="inferred"``, ``inferred=True``).

A successor the reader cannot read does not exist for that reader: no id, no title and no hint
in any field (``visible_record`` drops it from the record and its relation properties too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kb.config import Settings
from kb.lifecycle.breadcrumbs import Breadcrumbs
from kb.lifecycle.freshness import Freshness, assess, successor_hint
from kb.records import Document

Basis = Literal["owner", "property", "supersedes", "banner", "inferred"]
Readable = Callable[[str], bool]


class Successor(BaseModel):
    """The document that replaces another, as one reader may see it."""

    doc_id: str
    title: str
    url: str | None = None
    basis: Basis = Field(
        "property", description="what says so: owner decision, property, supersedes, banner, inferred"
    )
    inferred: bool = Field(False, description="a guess from titles, content and dates, not a stated link")
    confidence: float = Field(1.0, description="1 for stated links; the inference's confidence otherwise")
    reason: str = Field("", description="why, in plain words")


class Judged(BaseModel):
    """A document's freshness for one reader, with its successor (if that reader may read one)."""

    freshness: Freshness
    successor: Successor | None = None


@dataclass(frozen=True)
class Decision:
    """An owner's answer to "Is ``old`` replaced by ``new``?"."""

    old: str
    new: str
    replaced: bool


@dataclass(frozen=True)
class Relations:
    """The successor links of a set of records: who names whom in ``supersedes``."""

    docs: Mapping[str, Document]
    named_by: Mapping[str, Sequence[str]] = field(default_factory=dict)  # old -> documents listing it

    @classmethod
    def of(cls, docs: Iterable[Document]) -> Relations:
        by_id = {d.doc_id: d for d in docs}
        named: dict[str, list[str]] = {}
        for doc in by_id.values():
            for old in doc.supersedes:
                named.setdefault(old, []).append(doc.doc_id)
        return cls(by_id, {k: sorted(v) for k, v in named.items()})


def _ref(doc: Document, basis: Basis, reason: str, *, confidence: float = 1.0) -> Successor:
    return Successor(
        doc_id=doc.doc_id,
        title=doc.title,
        url=doc.url,
        basis=basis,
        inferred=basis == "inferred",
        confidence=confidence,
        reason=reason,
    )


def stated_successor(
    doc: Document,
    relations: Relations,
    readable: Readable,
    settings: Settings,
    decisions: Sequence[Decision] = (),
) -> Successor | None:
    """The successor stated by an owner, a property, another document or a banner (see the module
    docstring for the order); only documents ``readable`` by the reader count."""

    def usable(doc_id: str | None) -> Document | None:
        found = relations.docs.get(doc_id) if doc_id and doc_id != doc.doc_id else None
        return found if found is not None and readable(found.doc_id) else None

    for d in decisions:
        if d.old == doc.doc_id and d.replaced and (new := usable(d.new)):
            return _ref(new, "owner", "the owner confirmed it replaces this page")
    if new := usable(doc.superseded_by):
        return _ref(new, "property", "this page's successor property names it")
    for other in relations.named_by.get(doc.doc_id, ()):
        if new := usable(other):
            return _ref(new, "supersedes", "it says it supersedes this page")
    hint = successor_hint(doc, settings)
    if hint:
        for link in doc.links:
            if (new := usable(link)) and new.title.lower() in hint:
                return _ref(new, "banner", "this page's banner names it")
    return None


def judge(
    doc: Document,
    now: datetime,
    settings: Settings,
    *,
    relations: Relations,
    readable: Readable,
    reviewed_at: datetime | None = None,
    decisions: Sequence[Decision] = (),
    inferred: Sequence[Successor] = (),
) -> Judged:
    """``doc``'s freshness for a reader who may read the documents ``readable`` accepts.

    ``inferred``: guessed successors, best first (``kb.lifecycle.inference``); used only when
    nothing states a successor, and never for a pair an owner answered "not replaced".
    """
    successor = stated_successor(doc, relations, readable, settings, decisions)
    if successor is None:
        rejected = {d.new for d in decisions if d.old == doc.doc_id and not d.replaced}
        successor = next(
            (
                s
                for s in inferred
                if s.doc_id not in rejected and s.doc_id != doc.doc_id and readable(s.doc_id)
            ),
            None,
        )
    fr = assess(doc, now, settings, reviewed_at=reviewed_at, successor=successor)
    return Judged(freshness=fr, successor=successor)


def relation_keys(settings: Settings) -> frozenset[str]:
    """Source property names that hold successor relations (lower-case)."""
    st = settings
    return frozenset(
        k.lower()
        for k in (
            *st.notion.properties.superseded_by,
            *st.notion.properties.supersedes,
            *st.drive.superseded_by_keys,
            *st.drive.supersedes_keys,
        )
    )


def visible_record(
    doc: Document,
    readable: Readable,
    settings: Settings,
    *,
    breadcrumbs: Breadcrumbs,
    keep_text: bool = False,
) -> Document:
    """The record as a reader may see it: no reference (an id, or a relation property naming it)
    to a document they cannot read, and no unreadable parent's title in its breadcrumb
    (``kb.lifecycle.breadcrumbs``). Relation properties are dropped whole: they hold ids or
    titles of other pages, and the readable ones are in ``supersedes`` / ``superseded_by``."""
    keys = relation_keys(settings)
    return doc.model_copy(
        update={
            "path": breadcrumbs.visible(doc, readable),
            "text": doc.text if keep_text else "",
            "superseded_by": doc.superseded_by if doc.superseded_by and readable(doc.superseded_by) else None,
            "supersedes": [d for d in doc.supersedes if readable(d)],
            "links": [d for d in doc.links if readable(d)],
            "properties": {k: v for k, v in doc.properties.items() if k.lower() not in keys},
        }
    )


def judge_all(
    docs: Iterable[Document],
    now: datetime,
    settings: Settings,
    *,
    relations: Relations,
    readable: Readable,
    reviewed: Mapping[str, datetime] | None = None,
    decisions: Sequence[Decision] = (),
    inferred: Mapping[str, Sequence[Successor]] | None = None,
) -> dict[str, Judged]:
    """``judge`` for each of ``docs`` (doc id -> result), for one reader."""
    by_old: dict[str, list[Decision]] = {}
    for d in decisions:
        by_old.setdefault(d.old, []).append(d)
    return {
        doc.doc_id: judge(
            doc,
            now,
            settings,
            relations=relations,
            readable=readable,
            reviewed_at=(reviewed or {}).get(doc.doc_id),
            decisions=by_old.get(doc.doc_id, ()),
            inferred=(inferred or {}).get(doc.doc_id, ()),
        )
        for doc in docs
    }
