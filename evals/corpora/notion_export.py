"""Render a corpus as a Notion "Markdown & CSV" workspace export, the layout ``examples/acme_notion.py`` uses.

An outer zip holds ``Export-<uuid>-Part-N.zip``; each part has the root folder ``Export-<uuid>/``
and an ``index.html``. Every handbook section is a full-page wiki database ``Section <hex>.csv``
(a view) + ``Section <hex>_all.csv`` (all properties; UTF-8 with a BOM, CRLF), whose rows are the
pages, ``Section <hex>/Title <hex>.md``, each with its ``Name: value`` property block: ``Owner``,
``Last reviewed``, ``Review interval``, ``Created``, ``Last edited time``. Dates are written the
way an English (US) Notion shows them in the configured time zone (``June 18, 2025 12:29 PM``).
Links between pages become relative, URL-encoded links to the target's ``.md`` file, as Notion
writes them; other links to the handbook's site become absolute URLs. A database's rows may sit
in a later part than its CSVs, as in real multi-part exports.
"""

from __future__ import annotations

import csv
import html
import io
import posixpath
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .corpus import Corpus, Doc, channel_display_name, section_title
from .text import rewrite_links
from .zips import dashed, quote_link, zip_bytes

PART_BYTES = 1_000_000
"""Uncompressed bytes per part before a new part starts."""
VIEW_COLUMNS = ["Owner", "Last reviewed", "Review interval", "Last edited time"]
ALL_COLUMNS = ["Owner", "Last reviewed", "Review interval", "Created", "Last edited time"]
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def notion_datetime(when: datetime, tz: ZoneInfo) -> str:
    """``June 8, 2025 9:05 AM`` in ``tz``."""
    local = when.astimezone(tz)
    hour = local.hour % 12 or 12
    return f"{local:%B} {local.day}, {local.year} {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def notion_date(value: str) -> str:
    """``2025-07-18`` -> ``July 18, 2025``; any other spelling is kept as written."""
    try:
        d = date.fromisoformat(value.strip())
    except ValueError:
        return value.strip()
    return f"{d:%B} {d.day}, {d.year}"


def file_title(title: str) -> str:
    """A title as Notion puts it in a file name: no path or reserved characters, at most 50 chars."""
    clean = " ".join(_UNSAFE.sub("", title).split())[:50].rstrip(" .")
    return clean or "Untitled"


def properties(doc: Doc, tz: ZoneInfo) -> dict[str, str]:
    """Non-empty properties of a page, in the database's column order."""
    meta = doc.page.meta
    props: dict[str, str] = {}
    if doc.owner_channel:
        props["Owner"] = channel_display_name(doc.owner_channel)
    if meta.get("last_reviewed_on", "").strip():
        props["Last reviewed"] = notion_date(meta["last_reviewed_on"])
    if meta.get("review_in", "").strip():
        props["Review interval"] = " ".join(meta["review_in"].split())
    props["Created"] = notion_datetime(doc.created, tz)
    props["Last edited time"] = notion_datetime(doc.last_edited, tz)
    return props


@dataclass
class Database:
    slug: str
    title: str
    hex: str
    rows: list[Doc] = field(default_factory=list)

    @property
    def stem(self) -> str:
        return f"{file_title(self.title)} {self.hex}"


class NotionExport:
    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.spec = corpus.spec
        self.tz = ZoneInfo(self.spec.timezone)
        self.uuid = dashed(self.spec.hex_id("notion-export"))
        self.root = f"Export-{self.uuid}"
        self.workspace = dashed(self.spec.hex_id("notion-workspace"))
        dbs: dict[str, Database] = {}
        for doc in corpus.docs:
            db = dbs.get(doc.section)
            if db is None:
                title = section_title(doc.section, self.spec)
                db = dbs[doc.section] = Database(
                    doc.section, title, self.spec.hex_id(f"section:{doc.section}")
                )
            db.rows.append(doc)
        for db in dbs.values():
            db.rows.sort(key=lambda d: (d.created, d.path, d.hex))
        self.databases = sorted(dbs.values(), key=lambda db: (db.slug != "", db.title, db.hex))
        self.file_of: dict[str, str] = {}
        for db in self.databases:
            for doc in db.rows:
                self.file_of[doc.hex] = f"{db.stem}/{file_title(doc.title)} {doc.hex}.md"

    def page_markdown(self, doc: Doc) -> str:
        lines = [f"# {doc.title}", ""]
        props = properties(doc, self.tz)
        lines += [f"{k}: {v}" for k, v in props.items()]
        here = self.file_of[doc.hex]

        def target(link: str, image: bool) -> str:
            found = self.corpus.resolve(link, doc)
            if found is None:
                return link
            page, absolute = found
            if page is None or image:
                return absolute
            return quote_link(posixpath.relpath(self.file_of[page.hex], posixpath.dirname(here)))

        body = rewrite_links(doc.page.body, target)
        # Real exports end without a trailing newline.
        return "\n".join(lines) + ("\n\n" + body if body else "")

    def database_csv(self, db: Database, columns: list[str]) -> bytes:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(["Name", *columns])
        for doc in db.rows:
            props = properties(doc, self.tz)
            writer.writerow([doc.title, *(props.get(c, "") for c in columns)])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")

    def entries(self) -> list[tuple[str, bytes, Database]]:
        out: list[tuple[str, bytes, Database]] = []
        for db in self.databases:
            out.append((f"{db.stem}.csv", self.database_csv(db, VIEW_COLUMNS), db))
            out.append((f"{db.stem}_all.csv", self.database_csv(db, ALL_COLUMNS), db))
            for doc in db.rows:
                out.append((self.file_of[doc.hex], self.page_markdown(doc).encode("utf-8"), db))
        return out

    def index_html(self, files: list[tuple[str, bytes, Database]]) -> bytes:
        names = {name for name, _, _ in files}
        items = []
        for db in self.databases:
            rows = [d for d in db.rows if self.file_of[d.hex] in names]
            has_csv = f"{db.stem}.csv" in names
            if not rows and not has_csv:
                continue
            csv_item = (
                f'<li><ul id="id::{dashed(db.hex)}.csv"><a href="https://www.notion.so/{db.hex}">'
                f"{html.escape(db.stem)}.csv</a></ul></li>"
                if has_csv
                else ""
            )
            kids = "".join(
                f'<li><ul id="id::{dashed(d.hex)}"><a href="{html.escape(self.file_of[d.hex])}">'
                f"{html.escape(posixpath.basename(self.file_of[d.hex]))}</a></ul></li>"
                for d in rows
            )
            items.append(
                f'{csv_item}<li><ul id="id::{dashed(db.hex)}"><a>{html.escape(db.stem)}</a>{kids}</ul></li>'
            )
        return (
            "<!DOCTYPE html><html><head>\n\t\t\t\t\t\t"
            f"<title>{self.root}</title>\n\t\t\t\t\t</head>\n\t\t\t\t<body>\n\t\t\t\t\t"
            f'<ul id="id::{self.workspace}"><li><h3>Workspace details:</h3>'
            f"<p>Workspace identifier: {self.workspace}</p>"
            f"<p>Workspace name: {html.escape(self.spec.handbook)}</p></li>"
            f"{''.join(items)}</ul>\n\t\t\t\t\n\t\t\t\t</body></html>"
        ).encode()

    def build(self) -> bytes:
        """The export zip's bytes (the same input gives the same bytes)."""
        when = self.corpus.head_time.astimezone(self.tz).timetuple()[:6]
        parts: list[list[tuple[str, bytes, Database]]] = [[]]
        size = 0
        for entry in self.entries():
            if size and size + len(entry[1]) > PART_BYTES:
                parts.append([])
                size = 0
            parts[-1].append(entry)
            size += len(entry[1])
        inner = []
        for n, files in enumerate(parts, start=1):
            content = [(f"{self.root}/{name}", data) for name, data, _ in files]
            content.append((f"{self.root}/index.html", self.index_html(files)))
            inner.append((f"{self.root}-Part-{n}.zip", zip_bytes(content, when)))
        return zip_bytes(inner, when)
