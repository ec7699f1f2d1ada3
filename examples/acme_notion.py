"""Write the Acme Notion workspace export in the real "Markdown & CSV" layout.

An outer zip holds ``Export-<uuid>-Part-1.zip`` and ``-Part-2.zip``; each part has the root
folder ``Export-<uuid>/`` with an ``index.html`` (the page tree of that part), pages as
``Title <32hex>.md`` with subpages in the sibling folder ``Title <32hex>/``, and databases as
``Name <32hex>.csv`` (the view) + ``Name <32hex>_all.csv`` (all properties), UTF-8 with a BOM
and CRLF, with one ``.md`` per row carrying its ``Name: value`` property lines. A database's
rows may sit in a different part than the database itself, as in real multi-part exports.
"""

from __future__ import annotations

import csv
import html
import io
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from acme_common import Source, dashed, hex_id, notion_id, write_if_changed, zip_bytes

EXPORT_UUID = dashed(hex_id("notion-export", "acme-workspace"))
ROOT = f"Export-{EXPORT_UUID}"
WORKSPACE_ID = dashed(hex_id("notion-workspace", "acme"))
RELATIONS = ("Superseded by", "Supersedes")


@dataclass
class Node:
    src: Source
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.src.meta["title"])

    @property
    def kind(self) -> str:
        return str(self.src.meta["kind"])

    @property
    def part(self) -> int:
        return int(self.src.meta["part"])

    @property
    def hex(self) -> str:
        return notion_id(self.title)

    @property
    def stem(self) -> str:
        return f"{self.title} {self.hex}"

    @property
    def folder(self) -> str:
        """Folder holding this node's subpages (or, for a database, its rows)."""
        return posixpath.join(self.parent.folder, self.stem) if self.parent else self.stem

    def file(self, suffix: str = ".md") -> str:
        base = self.parent.folder if self.parent else ""
        return posixpath.join(base, self.stem + suffix)


def link(from_file: str, to_file: str) -> str:
    """Relative, URL-encoded link as Notion writes it (spaces as %20, '/' kept)."""
    rel = posixpath.relpath(to_file, posixpath.dirname(from_file) or ".")
    return "/".join(quote(seg, safe="()!*'~,@") for seg in rel.split("/"))


def build_tree(sources: list[Source]) -> list[Node]:
    nodes = {str(s.meta["title"]): Node(s) for s in sources}
    for node in nodes.values():
        parent = str(node.src.meta.get("parent", ""))
        if parent:
            node.parent = nodes[parent]
            node.parent.children.append(node)
    return list(nodes.values())


def render_links(text: str, node: Node, by_title: dict[str, Node]) -> str:
    def sub(match: re.Match[str]) -> str:
        target = match.group(1)
        if target.startswith("db:"):
            db = by_title[target[3:]]
            return f"[{db.title}]({link(node.file(), db.file('.csv'))})"
        page = by_title[target]
        return f"[{page.title}]({link(node.file(), page.file())})"

    return re.sub(r"\[\[([^\]]+)\]\]", sub, text)


def relation_value(titles: str, from_file: str, by_title: dict[str, Node]) -> str:
    parts = []
    for title in (t.strip() for t in titles.split(",")):
        parts.append(f"{title} ({link(from_file, by_title[title].file())})")
    return ", ".join(parts)


def page_markdown(node: Node, by_title: dict[str, Node]) -> str:
    lines = [f"# {node.title}", ""]
    props = []
    for key, value in node.src.properties.items():
        if key in RELATIONS:
            value = relation_value(value, node.file(), by_title)
        props.append(f"{key}: {value}")
    if props:
        lines += [*props, ""]
    body = render_links(node.src.body, node, by_title)
    # Real exports end without a trailing newline.
    return "\n".join(lines) + ("\n" + body if body else "")


def database_csv(db: Node, columns: list[str], by_title: dict[str, Node]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["Name", *columns])
    csv_file = db.file(".csv")
    for row in db.children:
        values = []
        for col in columns:
            value = row.src.properties.get(col, "")
            if col in RELATIONS and value:
                value = relation_value(value, csv_file, by_title)
            values.append(value)
        writer.writerow([row.title, *values])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def all_columns(db: Node) -> list[str]:
    cols: list[str] = []
    for row in db.children:
        cols += [k for k in row.src.properties if k not in cols]
    return cols


def index_html(roots: list[Node], part: int) -> bytes:
    def in_part(node: Node) -> bool:
        return node.part == part or any(in_part(c) for c in node.children)

    def render(node: Node) -> str:
        kids = "".join(render(c) for c in node.children if in_part(c))
        if node.kind == "database":
            inline = " (Inline database)" if node.parent else ""
            csv_entry = ""
            if node.part == part:
                csv_entry = (
                    f'<li><ul id="id::{dashed(node.hex)}.csv"><a href="https://www.notion.so/'
                    f'{node.hex}">{html.escape(node.stem)}.csv</a></ul></li>'
                )
            return (
                f'{csv_entry}<li><ul id="id::{dashed(node.hex)}"><a>{html.escape(node.stem)}'
                f"{inline}</a>{kids}</ul></li>"
            )
        anchor = (
            f'<a href="{html.escape(node.file())}">{html.escape(node.stem)}.md</a>'
            if node.part == part
            else f"<a>{html.escape(node.stem)}</a>"
        )
        return f'<li><ul id="id::{dashed(node.hex)}">{anchor}{kids}</ul></li>'

    body = "".join(render(r) for r in roots if in_part(r))
    return (
        "<!DOCTYPE html><html><head>\n\t\t\t\t\t\t"
        f"<title>{ROOT}</title>\n\t\t\t\t\t</head>\n\t\t\t\t<body>\n\t\t\t\t\t"
        f'<ul id="id::{WORKSPACE_ID}"><li><h3>Workspace details:</h3>'
        f"<p>Workspace identifier: {WORKSPACE_ID}</p><p>Workspace name: Acme</p></li>"
        f"{body}</ul>\n\t\t\t\t\n\t\t\t\t</body></html>"
    ).encode()


def build(sources: list[Source], out_zip: Path) -> int:
    """Write the export zip; return the number of pages (database rows included)."""
    nodes = build_tree(sources)
    by_title = {n.title: n for n in nodes}
    parts: dict[int, list[tuple[str, bytes]]] = {}
    pages = 0
    for node in nodes:
        entries = parts.setdefault(node.part, [])
        if node.kind == "database":
            view = list(node.src.meta.get("view_columns", []))
            entries.append((node.file(".csv"), database_csv(node, view, by_title)))
            entries.append((node.file("_all.csv"), database_csv(node, all_columns(node), by_title)))
        else:
            entries.append((node.file(), page_markdown(node, by_title).encode("utf-8")))
            pages += 1
    roots = [n for n in nodes if n.parent is None]
    inner = []
    for part in sorted(parts):
        files = [(f"{ROOT}/{name}", data) for name, data in parts[part]]
        files.append((f"{ROOT}/index.html", index_html(roots, part)))
        inner.append((f"{ROOT}-Part-{part}.zip", zip_bytes(files)))
    write_if_changed(out_zip, zip_bytes(inner))
    return pages
