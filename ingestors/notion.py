"""Reads a Notion "Markdown & CSV" export (zip, outer zip of parts, or folder) into a SourceBatch.

One document per page (``Title <32hex>.md``), including database row pages, whose properties are
the Markdown property block merged with the database's ``_all.csv`` row (which keeps properties
hidden from the Markdown). Properties map to lifecycle fields through ``settings.notion``; owners
resolve to emails through ``kb.identity``. Exports carry no permissions: ``acl`` stays empty and
``kb.lifecycle.rules`` fills it. Bad entries become ``IngestIssue``s naming them; the rest is ingested.
Page text is stored in ``ingestors.notion_markdown``'s canonical form, the one a pull of the same
page gives (relative date mentions made absolute from a zip's date, ``ingestors.notion_mentions``),
so moving from exports to pulls re-embeds only pages written differently, and of those only the
chunks that differ (``kb.ingest.reuse``).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from kb.config import Settings
from kb.errors import IngestError
from kb.identity import People
from kb.records import Document, IngestIssue, SourceBatch

from .archive import Entry, ExportArchive
from .dates import NotionDates
from .links import LinkResolver
from .notion_db import Table, match_rows, read_table
from .notion_html import parse_html_page
from .notion_markdown import canonical_markdown
from .notion_mentions import absolute_mentions
from .notion_page import ParsedPage, parse_page, split_id
from .notion_props import PropertyMapper

_DOC_SUFFIXES = (".md", ".html")
_SLUG_RE = re.compile(r"[^\W_]+")
_EXPORT_FOLDER_RE = re.compile(r"^Export-[0-9a-fA-F-]+$")
# Files at the root of another kind of export: reading one as Notion would invent pages.
_FOREIGN_MARKERS = {"manifest.jsonl": "a Google Drive export", "export_info.json": "a Google Drive export"}


@dataclass
class _Page:
    entry: Entry
    markdown: str
    hex_id: str | None
    doc_id: str
    file_title: str
    db_hex: str | None = None
    html: ParsedPage | None = None
    """Set for HTML pages, which are parsed when read (their properties table is explicit)."""
    parsed: ParsedPage = field(default_factory=lambda: ParsedPage(title=None))
    props: dict[str, str] = field(default_factory=dict)
    resolution: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.parsed.title or self.file_title


@dataclass
class _Database:
    title: str
    table: Table | None = None
    label: str = ""
    is_all: bool = False


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0]


def _parent_hex(path: str) -> str | None:
    parts = path.split("/")
    return split_id(parts[-2])[1] if len(parts) > 1 else None


class NotionIngestor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.notion = settings.notion
        self.mapper = PropertyMapper(
            settings.notion,
            People(settings.people),
            NotionDates(settings.notion.locale, settings.notion.timezone),
        )

    def read(self, path: Path) -> SourceBatch:
        """Read one export; raises ``IngestError`` only when ``path`` does not exist."""
        batch = SourceBatch(source="notion", complete=True)
        with ExportArchive(path, self.settings.ingest) as archive:
            _refuse_foreign(archive, path)
            batch.identity = export_identity(archive)
            run = _Run(self, archive, batch)
            run.go()
            batch.complete = archive.complete and run.complete
        return batch


class _Run:
    """State of one ``read``: the export's pages and databases, and what went wrong."""

    def __init__(self, ingestor: NotionIngestor, archive: ExportArchive, batch: SourceBatch) -> None:
        self.ing = ingestor
        self.archive = archive
        self.batch = batch
        self.complete = not any(p.lower().endswith(_DOC_SUFFIXES) for p in archive.rejected)
        self.pages: list[_Page] = []
        self.databases: dict[str, _Database] = {}
        batch.issues.extend(archive.issues)

    def exported_on(self, entry: Entry) -> date | None:
        """The day of the export in the exporting user's time zone, from the zip entry's time
        (Notion writes the zip as it exports; a zip's times are taken as UTC). Relative date
        mentions (``@Today``) are written absolute with it (``ingestors.notion_mentions``); an
        unzipped folder's file times may be a later copy's, so there they stay relative (and a
        pull of such a page differs from the export in them)."""
        at = entry.zipped_at
        return at.astimezone(ZoneInfo(self.ing.notion.timezone)).date() if at else None

    def issue(self, input: str, reason: str, *, warning: bool = False, doc_id: str | None = None) -> None:
        self.batch.issues.append(
            IngestIssue(input=input, reason=reason, doc_id=doc_id, severity="warning" if warning else "error")
        )

    def go(self) -> None:
        md_entries: list[Entry] = []
        for entry in self.archive.entries:
            lower = entry.name.lower()
            if lower == "index.html" and "/" not in entry.path.split("/", 1)[-1]:
                continue  # the export's page tree, not a page
            if lower.endswith(_DOC_SUFFIXES):
                md_entries.append(entry)
            elif lower.endswith(".csv"):
                self._read_csv(entry)
            else:
                self.issue(
                    entry.label,
                    f"attachment not indexed: unsupported file type "
                    f"'{Path(entry.name).suffix or entry.name}'",
                    warning=True,
                )
        seen: set[str] = set()
        # Path order: the same export gives the same batch whether zipped, split or unpacked.
        for entry in sorted(md_entries, key=lambda e: e.path):
            page = self._read_page(entry)
            if page is None:
                continue
            if page.doc_id in seen:
                self.issue(entry.label, f"duplicate page id {page.doc_id}; kept the first", warning=True)
                continue
            seen.add(page.doc_id)
            self.pages.append(page)
        self._parse_pages()
        self._merge_rows()
        self._build_documents()

    # -- reading ------------------------------------------------------------------------------
    def _read_csv(self, entry: Entry) -> None:
        stem = _stem(entry.name)
        is_all = stem.endswith("_all")
        title, hex_id = split_id(stem[:-4] if is_all else stem)
        if hex_id is None:
            self.issue(
                entry.label, "CSV without a Notion id in its name; not a database export", warning=True
            )
            return
        db = self.databases.setdefault(hex_id, _Database(title=title))
        if db.is_all:
            return  # the _all.csv already has every property: a view adds nothing
        try:
            table = read_table(self.archive.read(entry), entry.label)
        except IngestError as err:
            # Rows still come from the row pages; only CSV-only properties are lost.
            self.issue(entry.label, err.message)
            return
        db.table, db.label, db.is_all = table, entry.name, is_all

    def _read_page(self, entry: Entry) -> _Page | None:
        try:
            data = self.archive.read(entry)
        except IngestError as err:
            self.issue(entry.label, err.message)
            self.complete = False
            return None
        try:
            # NFC so titles and text compare equal however the exporting OS normalised them.
            markdown = unicodedata.normalize("NFC", data.decode("utf-8-sig"))
        except UnicodeDecodeError as err:
            self.issue(
                entry.label, f"page is not valid UTF-8 ({err.reason} at byte {err.start}); not ingested"
            )
            self.complete = False
            return None
        file_title, hex_id = split_id(_stem(entry.name))
        parsed: ParsedPage | None = None
        if entry.name.lower().endswith(".html"):
            parsed, article_id = parse_html_page(markdown)
            hex_id = hex_id or article_id
        if hex_id is None:
            # No id in the name (hand-made or renamed export): a stable id from the path instead.
            derived = hashlib.sha256(entry.path.encode()).hexdigest()[:32]
            self.issue(
                entry.label,
                "no Notion id in the file name; id derived from its path",
                warning=True,
                doc_id=f"notion:{derived}",
            )
            return _Page(entry, markdown, None, f"notion:{derived}", file_title, html=parsed)
        return _Page(entry, markdown, hex_id, f"notion:{hex_id}", file_title, html=parsed)

    # -- properties ---------------------------------------------------------------------------
    def _parse_pages(self) -> None:
        for page in self.pages:
            parent = _parent_hex(page.entry.path)
            db = self.databases.get(parent) if parent else None
            if db is None:
                accept = self.ing.mapper.configured  # plain page: only configured names
            elif db.table is None or not db.is_all:
                page.db_hex = parent
                accept = _any_name
            else:
                page.db_hex = parent
                accept = functools.partial(
                    _in_columns, {c.casefold() for c in db.table.columns}, self.ing.mapper.configured
                )
            parsed = page.html or parse_page(page.markdown, accept)
            page.parsed = _absolute(parsed, self.exported_on(page.entry))
            page.props = dict(page.parsed.properties)
            if page.props:
                page.resolution["properties"] = "property block"

    def _merge_rows(self) -> None:
        for hex_id, db in self.databases.items():
            if db.table is None:
                continue
            rows = [p for p in self.pages if p.db_hex == hex_id]
            matched = match_rows(db.table, {p.doc_id: (p.title, p.props) for p in rows})
            for page in rows:
                row = matched.get(page.doc_id)
                if row is None:
                    continue
                merged = {k: v for k, v in row.items() if v}
                merged.update(page.props)  # the page's own block wins over the CSV cell
                page.props = merged
                page.resolution["properties"] = (
                    "property block + " if page.parsed.properties else ""
                ) + f"row of '{db.label}'"

    # -- documents ----------------------------------------------------------------------------
    def _titles_by_hex(self) -> dict[str, str]:
        titles = {hex_id: db.title for hex_id, db in self.databases.items()}
        titles.update({p.hex_id: p.title for p in self.pages if p.hex_id})
        return titles

    def _breadcrumb(self, path: str, titles: dict[str, str]) -> list[str]:
        crumbs = []
        for folder in path.split("/")[:-1]:
            folder_title, hex_id = split_id(folder)
            if hex_id is not None:  # folders without an id (Export-<uuid>/) are not pages
                crumbs.append(titles.get(hex_id, folder_title))
        return crumbs

    def _url(self, page: _Page) -> str | None:
        return None if page.hex_id is None else page_url(self.ing.notion.base_url, page.title, page.hex_id)

    def _build_documents(self) -> None:
        titles = self._titles_by_hex()
        resolver = LinkResolver(
            {p.entry.path: p.doc_id for p in self.pages}, {p.doc_id: p.title for p in self.pages}
        )
        for page in self.pages:
            source = page.entry.path
            fields = self.ing.mapper.map(
                page.props,
                label=page.entry.label,
                doc_id=page.doc_id,
                relation=functools.partial(_relation, resolver, source),
            )
            self.batch.issues.extend(fields.issues)
            doc = Document(
                doc_id=page.doc_id,
                source="notion",
                title=page.title,
                path=self._breadcrumb(source, titles),
                url=self._url(page),
                # Links are read from the export's own Markdown, before canonical_markdown keeps
                # only their text (the form a pull of the same page gives).
                text=canonical_markdown(page.parsed.text),
                properties=page.props,
                source_path=source,
                links=resolver.links(page.parsed.text, source, page.doc_id),
                resolution={**page.resolution, **fields.resolution},
                **fields.values,
            )
            doc.content_hash = doc.compute_content_hash()
            self.batch.documents.append(doc)


def page_url(base_url: str, title: str, hex_id: str) -> str:
    """The page's notion.so URL as Notion builds it: ``<base>/<Title-words>-<32hex>``."""
    slug = "-".join(_SLUG_RE.findall(title))
    base = base_url.rstrip("/")
    return f"{base}/{slug}-{hex_id}" if slug else f"{base}/{hex_id}"


def _root_relative(path: str) -> str:
    """``path`` without the ``Export-<uuid>/`` folder Notion wraps an export in."""
    head, sep, rest = path.partition("/")
    return rest if sep and _EXPORT_FOLDER_RE.match(head) else path


def export_identity(archive: ExportArchive) -> list[str]:
    """The ids of the export's top-level pages and databases: what it is an export of. The
    ``Export-<uuid>`` folder is new with every export; the workspace's roots are not."""
    ids: set[str] = set()
    for entry in archive.entries:
        rel = _root_relative(entry.path)
        if "/" in rel or not rel.lower().endswith((*_DOC_SUFFIXES, ".csv")):
            continue
        stem = _stem(entry.name)
        hex_id = split_id(stem[:-4] if stem.endswith("_all") else stem)[1]
        if hex_id is not None:
            ids.add(hex_id)
    return sorted(ids)


def _refuse_foreign(archive: ExportArchive, path: Path) -> None:
    for entry in archive.entries:
        kind = _FOREIGN_MARKERS.get(_root_relative(entry.path))
        if kind is not None:
            raise IngestError(
                f"this is {kind} (it has {entry.name}), not a Notion export; nothing was read",
                subject=str(path),
            )


def _absolute(parsed: ParsedPage, exported_on: date | None) -> ParsedPage:
    """The page with its title's and text's relative date mentions made absolute, as the
    database CSV and a pull write them (the real sample: ``@Last Sunday`` in a row page's
    Markdown is ``@August 3, 2025`` in its CSV row). Property values are left alone: a review
    date is never inferred from the export's time (``ingestors.dates`` refuses relative ones)."""
    if exported_on is None:
        return parsed
    title = absolute_mentions(parsed.title, exported_on) if parsed.title else parsed.title
    text = absolute_mentions(parsed.text, exported_on)
    return ParsedPage(title=title, properties=parsed.properties, text=text)


def _any_name(name: str) -> bool:
    return True


def _in_columns(columns: set[str], configured: Callable[[str], bool], name: str) -> bool:
    return name.casefold() in columns or configured(name)


def _relation(resolver: LinkResolver, source: str, value: str) -> list[str]:
    return resolver.relation(value, source)
