"""What a reader sees of a document's breadcrumb (``Document.path``, its parents' titles).

A parent is a document too (a Notion page above a page), and it may be one the reader cannot
read while its child is readable (a public FAQ under a restricted HR page). Its title must not
reach that reader through the child's breadcrumb, so it is shown as ``RESTRICTED``: the reader
learns that the page sits under a page they cannot open (as Notion and Drive show it) and keeps
the breadcrumb's depth, but not the title. A breadcrumb entry is matched to the documents at that
place (same source, same parents, that title); it is kept when no stored document is there (a
Drive folder, a Notion database, a parent not ingested) or when the reader may read one of them
(the title is then one they can see anyway).

Every place that serves a path uses ``Breadcrumbs.visible``: the record (``visible_record``),
search hits and citations, ``/v1/docs``, ``/v1/my``, digests, MCP and Slack (they serve search
hits and those views).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from kb.records import Document

RESTRICTED = "(restricted page)"
Readable = Callable[[str], bool]


@dataclass(frozen=True)
class Breadcrumbs:
    """The stored documents by place: (source, parents' titles + own title) -> doc ids."""

    places: Mapping[tuple[str, tuple[str, ...]], tuple[str, ...]]

    @classmethod
    def of(cls, docs: Iterable[Document]) -> Breadcrumbs:
        places: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        for doc in docs:
            places.setdefault((doc.source, (*doc.path, doc.title)), []).append(doc.doc_id)
        return cls({place: tuple(ids) for place, ids in places.items()})

    def visible(self, doc: Document, readable: Readable) -> list[str]:
        """``doc.path`` with each parent the reader cannot read replaced by ``RESTRICTED``."""
        out = []
        for depth, title in enumerate(doc.path):
            ids = self.places.get((doc.source, tuple(doc.path[: depth + 1])), ())
            out.append(title if not ids or any(readable(i) for i in ids) else RESTRICTED)
        return out

    def view(self, doc: Document, readable: Readable) -> Document:
        """``doc`` with its breadcrumb as the reader may see it."""
        path = self.visible(doc, readable)
        return doc if path == doc.path else doc.model_copy(update={"path": path})
