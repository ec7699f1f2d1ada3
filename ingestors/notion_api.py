"""``kb pull notion``: the Notion API (version 2025-09-03, through ``notion-client``) -> ``SourceBatch``.

Lists every page and data source shared with the integration (``search``), the rows of each data
source (``data_sources.query``), and the users (for emails); keeps those under the configured
``roots``; renders each page's blocks to Markdown (``ingestors.notion_blocks``) and maps its
properties with the export ingestor's ``PropertyMapper``, so a page gets the same doc id
(``notion:<32hex>``), title, breadcrumb, URL and lifecycle fields as from an export. Incremental:
a page whose ``last_edited_time`` equals the one stored in ``kb.store.pull_state`` keeps its
stored text and is not fetched again. Every page is redacted (``kb.redaction``) before it is
stored or handed on; what was found travels in ``SourceBatch.findings`` and the stored row.

Failure modes: a refused token (401) raises before anything is read; a listing call that still
fails after the retries (``ingestors.pull_common``), a root that is no longer shared, or a page
whose blocks cannot be read makes the batch incomplete, so the pipeline removes nothing.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from notion_client import Client
from notion_client.client import ClientOptions
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from kb.config import Settings, SourceConfig
from kb.identity import People
from kb.records import Document, IngestIssue, SourceBatch
from kb.redaction import redact_rebuilt
from kb.store.pull_state import PullState

from .dates import NotionDates
from .notion import page_url
from .notion_blocks import UTC, BlockRenderer, compact_id, plain
from .notion_markdown import canonical_markdown
from .notion_props import PropertyMapper, apply_verification
from .notion_values import Users, parse_instant, text_of, title_of, user_ref, verification
from .pull_common import Caller, Verdict, retry_after, source_error

DEFAULT_API = "https://api.notion.com"
# Part of every stored stamp: a page pulled with another rendering is fetched again once, so the
# text it keeps is always this code's (bump it when the rendering changes).
RENDERING = "md3"
Obj = dict[str, Any]


def judge(err: Exception) -> Verdict:
    if isinstance(err, HTTPResponseError):
        if err.status == 429:
            return Verdict(True, retry_after(err.headers.get("retry-after")))
        return Verdict(err.status >= 500)
    return Verdict(isinstance(err, RequestTimeoutError | httpx.TransportError))


class NotionPuller:
    """A ``Reader`` for the ingest pipeline; ``path`` is ignored (the source is the API)."""

    def __init__(
        self,
        settings: Settings,
        source: SourceConfig,
        state: PullState,
        *,
        env: Mapping[str, str] = os.environ,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings, self.source, self.state = settings, source, state
        token = env.get(source.token_env, "").strip()
        if not token:
            raise source_error(source, f"env var {source.token_env} (token_env) holds no Notion token")
        self.client = Client(
            options=ClientOptions(
                auth=token,
                base_url=source.api_url or DEFAULT_API,
                retry=False,
                timeout_ms=30_000,
                log_level=logging.ERROR,
            )
        )
        self.caller = Caller(source, judge, sleep)
        self.tz = ZoneInfo(settings.notion.timezone)
        self.mapper = PropertyMapper(
            settings.notion, People(settings.people), NotionDates("en-US", settings.notion.timezone)
        )

    # -- API access ------------------------------------------------------------------------------
    def _paginate(self, fn: Callable[..., Any], **kwargs: Any) -> Iterator[Obj]:
        cursor: str | None = None
        while True:
            args = {**kwargs, "page_size": 100, **({"start_cursor": cursor} if cursor else {})}
            page = self.caller.call(lambda a=args: fn(**a))  # type: ignore[misc]
            yield from page.get("results", [])
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return

    def _refused(self, err: HTTPResponseError) -> None:
        if err.status == 401:
            raise source_error(
                self.source,
                f"the Notion API refused the token in {self.source.token_env} ({describe(err)}: revoked, "
                "expired or wrong); create or re-share the integration and set the new token",
            ) from err

    # -- the run ---------------------------------------------------------------------------------
    def read(self, path: Path | None = None) -> SourceBatch:
        try:
            return self._read()
        finally:
            self.client.close()

    def _read(self) -> SourceBatch:
        batch = SourceBatch(source="notion", complete=True)
        users = self._users(batch)
        pages, sources = self._list(batch)
        keep = self._under_roots(pages, sources, batch)
        stamps, kept = self.state.stamps(), self.state.findings()
        fresh: list[tuple[Document, str]] = []
        for page in keep:
            doc, refetched, stored = self._document(page, pages, sources, users, stamps, batch)
            if doc is None:
                continue
            # an unchanged page's text is the stored one, redacted when it was fetched
            doc, batch.findings[doc.doc_id] = redact_rebuilt(doc, stored, kept.get(doc.doc_id, ()))
            batch.documents.append(doc)
            if refetched:
                fresh.append((doc, stamp_of(page)))
        gone = set(stamps) - {d.doc_id for d in batch.documents} if batch.complete else set()
        # Redacted before it is stored: the pull state is in the data directory (issue 11).
        self.state.save(fresh, findings=batch.findings, drop=gone)
        # What this is a pull of (kb.ingest.removal): the workspace's pages, whose ids an export of
        # the same workspace shares, so a move from exports to pulls is recognised.
        batch.identity = sorted({d.doc_id.split(":", 1)[1] for d in batch.documents})
        return batch

    def _users(self, batch: SourceBatch) -> Users:
        users: Users = {}
        try:
            for user in self._paginate(self.client.users.list):
                ref = user_ref(user, {})
                if ref:
                    users[str(user["id"])] = ref.lower() if "@" in ref else ref
        except (HTTPResponseError, RequestTimeoutError, httpx.TransportError) as err:
            if isinstance(err, HTTPResponseError):
                self._refused(err)
            batch.issues.append(
                IngestIssue(
                    input=f"source '{self.source.name}': users",
                    reason=f"cannot list users ({describe(err)}); people keep their names",
                    severity="warning",
                )
            )
        return users

    def _list(self, batch: SourceBatch) -> tuple[dict[str, Obj], dict[str, Obj]]:
        """Pages and data sources by compact id; a failed listing call marks the batch incomplete."""
        pages: dict[str, Obj] = {}
        sources: dict[str, Obj] = {}
        steps: list[tuple[str, Callable[[], Iterator[Obj]]]] = [
            (
                "search pages",
                lambda: self._paginate(self.client.search, filter={"property": "object", "value": "page"}),
            ),
            (
                "search data sources",
                lambda: self._paginate(
                    self.client.search, filter={"property": "object", "value": "data_source"}
                ),
            ),
        ]
        for what, listing in steps:
            self._collect(what, listing, pages, sources, batch)
        query = self.client.data_sources.query
        for ds in list(sources.values()):
            self._collect(
                f"rows of data source '{title_of_source(ds)}'",
                lambda i=str(ds["id"]): self._paginate(query, data_source_id=i),  # type: ignore[misc]
                pages,
                sources,
                batch,
            )
        return pages, sources

    def _collect(
        self,
        what: str,
        listing: Callable[[], Iterator[Obj]],
        pages: dict[str, Obj],
        sources: dict[str, Obj],
        batch: SourceBatch,
    ) -> None:
        try:
            for obj in listing():
                if obj.get("in_trash") or obj.get("archived"):
                    continue
                target = sources if obj.get("object") == "data_source" else pages
                target[compact_id(str(obj["id"]))] = obj
        except (HTTPResponseError, RequestTimeoutError, httpx.TransportError) as err:
            if isinstance(err, HTTPResponseError):
                self._refused(err)
            batch.complete = False
            batch.issues.append(
                IngestIssue(
                    input=f"source '{self.source.name}': {what}",
                    reason=f"listing failed after {self.source.max_retries} retries ({describe(err)}); "
                    "documents not listed are kept, nothing is removed",
                )
            )

    def _under_roots(self, pages: dict[str, Obj], sources: dict[str, Obj], batch: SourceBatch) -> list[Obj]:
        if not self.source.roots:
            return list(pages.values())
        roots = {compact_id(root_id(r)) for r in self.source.roots}
        known = set(pages) | set(sources) | {db_id(ds) for ds in sources.values()}
        for missing in sorted(roots - known):
            batch.complete = False
            batch.issues.append(
                IngestIssue(
                    input=f"source '{self.source.name}': root {missing}",
                    reason="not shared with the integration (revoked, moved or deleted); nothing is removed "
                    "until it is shared again or taken out of roots",
                )
            )
        return [p for pid, p in pages.items() if roots & set(ancestors(pid, pages, sources))]

    def _document(
        self,
        page: Obj,
        pages: dict[str, Obj],
        sources: dict[str, Obj],
        users: Users,
        stamps: dict[str, str],
        batch: SourceBatch,
    ) -> tuple[Document | None, bool, Document | None]:
        """The page's document, whether it was fetched now, and the stored one it was rebuilt
        from (its text reused, or kept whole when the blocks cannot be read)."""
        hex_id = compact_id(str(page["id"]))
        doc_id = f"notion:{hex_id}"
        cached = self.state.document(doc_id) if stamps.get(doc_id) == stamp_of(page) else None
        if cached is not None:
            text, links, refetched = cached.text, cached.links, False
        else:
            # A link to a page outside the roots still gets its title when the page is shared
            # (``pages`` is the whole listing); one not shared with the integration cannot be
            # read, and its link keeps no text (the export writes its title).
            renderer = BlockRenderer(
                lambda b: list(self._paginate(self.client.blocks.children.list, block_id=b)),
                lambda hex_id: title_of(pages[hex_id], self.tz) if hex_id in pages else None,
                self.tz,
            )
            try:
                body = renderer.page(str(page["id"]))
                title = title_of(page, self.tz) or "Untitled"
                text, links, refetched = page_text(title, body), renderer.links, True
            except (HTTPResponseError, RequestTimeoutError, httpx.TransportError) as err:
                batch.complete = False
                batch.issues.append(
                    IngestIssue(
                        input=page.get("url") or doc_id,
                        reason=f"blocks not read ({describe(err)})",
                        doc_id=doc_id,
                    )
                )
                old = self.state.document(doc_id)
                return old, False, old
        built = self._build(page, doc_id, hex_id, text, links, pages, sources, users, batch)
        return built, refetched, cached

    def _build(
        self,
        page: Obj,
        doc_id: str,
        hex_id: str,
        text: str,
        links: list[str],
        pages: dict[str, Obj],
        sources: dict[str, Obj],
        users: Users,
        batch: SourceBatch,
    ) -> Document:
        title = title_of(page, self.tz) or "Untitled"
        props: dict[str, str] = {}
        verifications = []
        for name, prop in (page.get("properties") or {}).items():
            if not isinstance(prop, dict) or prop.get("type") == "title":
                continue
            if prop.get("type") == "verification":
                verifications.append((name, verification(prop.get("verification"), users, self.tz)))
            value = text_of(prop, users, self.tz)
            if value:
                props[name] = value
        plain_props = {k: v for k, v in props.items() if k not in {n for n, _ in verifications}}
        label = page.get("url") or doc_id
        fields = self.mapper.map(
            plain_props,
            label=label,
            doc_id=doc_id,
            relation=lambda v: [i.strip() for i in v.split(",") if i.strip()],
        )
        for name, v in verifications:
            apply_verification(v, name, fields, self.mapper)
        batch.issues.extend(fields.issues)
        values, resolution = dict(fields.values), {"properties": "Notion API", **fields.resolution}
        if "last_edited_at" not in values and (
            edited := parse_instant(page.get("last_edited_time"), self.tz)
        ):
            values["last_edited_at"], resolution["last_edited_at"] = edited, "last_edited_time"
        if "last_edited_by" not in values and (editor := user_ref(page.get("last_edited_by"), users)):
            values["last_edited_by"], resolution["last_edited_by"] = editor, "last_edited_by"
        doc = Document(
            doc_id=doc_id,
            source="notion",
            title=title,
            path=breadcrumb(hex_id, pages, sources, self.tz),
            url=page_url(self.settings.notion.base_url, title, hex_id),
            text=text,
            properties=props,
            source_path=f"{self.source.name}:{page['id']}",
            links=sorted(set(links) - {doc_id}),
            resolution=resolution,
            **values,
        )
        doc.content_hash = doc.compute_content_hash()
        return doc


def stamp_of(page: Obj) -> str:
    """What says a stored page is current: its ``last_edited_time`` and this code's rendering."""
    return f"{RENDERING}|{page.get('last_edited_time', '')}"


def page_text(title: str, body: str) -> str:
    """The page's text as the export ingestor stores it: ``# Title``, a blank line, the body,
    in the canonical Markdown both share (``ingestors.notion_markdown``)."""
    return canonical_markdown(f"# {title}\n\n{body}")


def describe(err: Exception) -> str:
    if isinstance(err, HTTPResponseError):
        return f"HTTP {err.status} {getattr(err.code, 'value', err.code)}"
    return type(err).__name__


def root_id(value: str) -> str:
    """The 32-hex id at the end of a page URL, or the id itself."""
    tail = value.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    return tail.replace("-", "")[-32:]


def db_id(ds: Obj) -> str:
    parent = ds.get("parent") or {}
    return compact_id(str(parent.get("database_id", "")))


def title_of_source(ds: Obj) -> str:
    return plain(ds.get("title")).strip() or "Untitled"


def _parent(obj: Obj, sources: dict[str, Obj]) -> list[tuple[str, str]]:
    """(kind, compact id) of the next levels up: a data source also yields its database."""
    parent = obj.get("parent") or {}
    kind = parent.get("type")
    if kind == "page_id":
        return [("page", compact_id(str(parent["page_id"])))]
    if kind == "data_source_id":
        return [("source", compact_id(str(parent["data_source_id"])))]
    if kind == "database_id":
        return [("database", compact_id(str(parent["database_id"])))]
    return []


def _chain(
    page_hex: str, pages: dict[str, Obj], sources: dict[str, Obj], tz: ZoneInfo = UTC
) -> list[tuple[str, str]]:
    """Ancestors from the nearest up, as (title, compact id); stops where the chain leaves the listing."""
    out: list[tuple[str, str]] = []
    seen = {page_hex}
    current: Obj | None = pages.get(page_hex)
    while current is not None:
        ups = _parent(current, sources)
        current = None
        for kind, up in ups:
            if up in seen:
                break
            seen.add(up)
            if kind == "page" and up in pages:
                out.append((title_of(pages[up], tz) or "Untitled", up))
                current = pages[up]
            elif kind == "source" and up in sources:
                ds = sources[up]
                out.append((title_of_source(ds), up))
                out.append(("", db_id(ds)))  # the database: same title, an id roots may name
                grand = ds.get("database_parent") or {}
                current = {"parent": grand}
            else:
                out.append(("", up))
    return out


def ancestors(page_hex: str, pages: dict[str, Obj], sources: dict[str, Obj]) -> list[str]:
    return [page_hex, *(up for _title, up in _chain(page_hex, pages, sources))]


def breadcrumb(
    page_hex: str, pages: dict[str, Obj], sources: dict[str, Obj], tz: ZoneInfo = UTC
) -> list[str]:
    return [t for t, _up in reversed(_chain(page_hex, pages, sources, tz)) if t]
