"""Knowledge health: documents by space, team and owner, with the share fresh, due soon, overdue,
without an owner, and owned by someone who left. Pure: records and their freshness in, rows out.

A document's *space* is its source and top-level page or folder ("Notion / Engineering Wiki"); its
*team* is the ``[report.teams]`` entry its owner belongs to ("(no team)" otherwise); its *owner*
is the resolved owner ("(no owner)" when none).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel, computed_field

from kb.lifecycle.freshness import Freshness
from kb.records import Document

SOURCE_LABELS = {"notion": "Notion", "gdrive": "Google Drive"}
NO_TEAM, NO_OWNER, ALL = "(no team)", "(no owner)", "all"
DIMENSIONS = ("space", "team", "owner")


class HealthRow(BaseModel):
    """Counts for one space, team or owner (``dimension`` = ``all`` for the whole knowledge base)."""

    dimension: str
    key: str
    documents: int = 0
    fresh: int = 0
    due_soon: int = 0
    overdue: int = 0
    unowned: int = 0
    owner_left: int = 0

    def _share(self, n: int) -> float:
        return round(n / self.documents, 4) if self.documents else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def share_fresh(self) -> float:
        return self._share(self.fresh)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def share_due_soon(self) -> float:
        return self._share(self.due_soon)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def share_overdue(self) -> float:
        return self._share(self.overdue)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def share_unowned(self) -> float:
        return self._share(self.unowned)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def share_owner_left(self) -> float:
        return self._share(self.owner_left)


@dataclass(frozen=True)
class Ownership:
    """What the health figures need to know about owners."""

    teams: Mapping[str, list[str]]
    left: Callable[[str], bool]  # a known person who is no longer active

    def team_of(self, owner: str | None) -> str:
        if not owner:
            return NO_TEAM
        o = owner.lower()
        for team, members in sorted(self.teams.items()):
            if o == team.lower() or o in (m.lower() for m in members):
                return team
        return NO_TEAM


def space_of(doc: Document) -> str:
    top = doc.path[0] if doc.path else doc.title
    return f"{SOURCE_LABELS.get(doc.source, doc.source)} / {top}"


def health(docs: Iterable[Document], fresh: Mapping[str, Freshness], owners: Ownership) -> list[HealthRow]:
    """The ``all`` row, then one row per space, team and owner (each dimension sorted by key)."""
    rows: dict[tuple[str, str], HealthRow] = {}

    def add(dimension: str, key: str, doc: Document, status: str) -> None:
        row = rows.setdefault((dimension, key), HealthRow(dimension=dimension, key=key))
        row.documents += 1
        row.fresh += status == "fresh"
        row.due_soon += status == "due_soon"
        row.overdue += status == "overdue"
        row.unowned += not doc.owner
        row.owner_left += bool(doc.owner) and owners.left(doc.owner or "")

    for doc in docs:
        status = fresh[doc.doc_id].status
        add(ALL, ALL, doc, status)
        add("space", space_of(doc), doc, status)
        add("team", owners.team_of(doc.owner), doc, status)
        add("owner", doc.owner or NO_OWNER, doc, status)
    order = {ALL: 0, **{d: i + 1 for i, d in enumerate(DIMENSIONS)}}
    return sorted(rows.values(), key=lambda r: (order[r.dimension], r.key))


def by_status(fresh: Mapping[str, Freshness]) -> dict[str, int]:
    """Documents per freshness status (the Prometheus gauge ``kb_documents``)."""
    out: dict[str, int] = {}
    for f in fresh.values():
        out[f.status] = out.get(f.status, 0) + 1
    return dict(sorted(out.items()))
