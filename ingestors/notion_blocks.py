"""Notion API blocks -> Markdown, in the shape the chunker splits on (``#`` headings).

Headings (a toggleable one as the heading and its section), paragraphs, bulleted / numbered /
to-do lists, quotes, callouts, toggles (their children indented under them), code with its
language, tables, equations, dividers, bookmarks, synced blocks and columns, image captions, and
in rich text date mentions and inline equations, in the forms Notion's Markdown exporter writes
(``*italic*``, spaces outside emphasis, ``| --- |``, children indented four spaces). Child pages
and child databases are their own documents: they render as a link line (an untitled one as
"Untitled", as the export names it) and their ids go to ``links``, as do page mentions.
``ingestors.notion_markdown.canonical_markdown`` then gives this and the export's Markdown of one
page the same text. Children are fetched through ``fetch`` (the API's paginated
``blocks.children.list``) up to ``MAX_DEPTH`` levels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from .notion_mentions import date_mention

Block = dict[str, Any]
MAX_DEPTH = 12
_LIST_KINDS = {"bulleted_list_item", "numbered_list_item", "to_do", "toggle"}
_CONTAINERS = {"column_list", "column", "synced_block"}
# Annotation -> Markdown marker, outermost first (Notion's exporter writes ``***bold italic***``).
_MARKS = (("bold", "**"), ("italic", "*"), ("strikethrough", "~~"), ("code", "`"))


def compact_id(notion_id: str) -> str:
    """32 lower-case hex digits, the form export file names and doc ids use."""
    return notion_id.replace("-", "").lower()


UTC = ZoneInfo("UTC")


def item_text(item: dict[str, Any], tz: ZoneInfo = UTC) -> str:
    """The text of one rich-text item as the export writes it: ``plain_text``, except date
    mentions (``@February 5, 2025``, ``ingestors.notion_mentions``; the API's plain text is
    ``2025-02-05``) and inline equations (``$E = mc^2$``; the API's is ``E = mc^2``).

    Inline equations: the ``$…$`` form is what Notion's Markdown exporter is taken to write (as
    ``$$`` for equation blocks); neither occurs in the real sample export, so it is unverified."""
    kind = item.get("type")
    if kind == "mention":
        mention = item.get("mention") or {}
        if isinstance(mention, dict) and mention.get("type") == "date":
            written = date_mention(mention.get("date"), tz)
            if written is not None:
                return written
    if kind == "equation":
        expression = (item.get("equation") or {}).get("expression")
        if isinstance(expression, str) and expression.strip():
            return f"${expression}$"
    return str(item.get("plain_text", ""))


def plain(items: object, tz: ZoneInfo = UTC) -> str:
    """Text of a rich-text array without formatting (titles, property values)."""
    if not isinstance(items, list):
        return ""
    return "".join(item_text(i, tz) for i in items if isinstance(i, dict))


def _marks(item: dict[str, Any], mention: object) -> tuple[str, ...]:
    """The Markdown markers of one rich-text item, outermost first, and its link target."""
    notes = item.get("annotations") or {}
    marks = tuple(m for k, m in _MARKS if notes.get(k))
    href = item.get("href") if not mention else None
    return (*marks, f"href:{href}") if href else marks


def _wrap(text: str, marks: tuple[str, ...]) -> str:
    """``text`` inside ``marks``, with its outer spaces outside them (as Notion's exporter
    writes ``**daily** `` rather than ``**daily **``, which Markdown would not read as bold)."""
    core = text.strip()
    if not core:
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    for mark in reversed(marks):
        core = f"[{core}]({mark[5:]})" if mark.startswith("href:") else f"{mark}{core}{mark}"
    return f"{lead}{core}{trail}"


def rich_text(items: object, links: list[str] | None = None, tz: ZoneInfo = UTC) -> str:
    """Markdown of a rich-text array: bold, italic, strikethrough, code, links; page mentions go
    to ``links``. Neighbouring items with the same formatting are joined first, as the export
    joins them (``**a b**``, never ``**a****b**``)."""
    if not isinstance(items, list):
        return ""
    runs: list[tuple[tuple[str, ...], str]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        text = item_text(item, tz)
        mention = item.get("mention") if item.get("type") == "mention" else None
        if isinstance(mention, dict) and links is not None:
            target = mention.get("page") or mention.get("database") or {}
            if isinstance(target, dict) and target.get("id"):
                links.append(f"notion:{compact_id(str(target['id']))}")
        marks = _marks(item, mention)
        if runs and runs[-1][0] == marks:
            runs[-1] = (marks, runs[-1][1] + text)
        else:
            runs.append((marks, text))
    return "".join(_wrap(text, marks) for marks, text in runs)


class BlockRenderer:
    """Renders one page's blocks; ``fetch(block_id)`` returns a block's children (all pages);
    ``title(id)`` names a page a ``link_to_page`` block points at (None when unknown)."""

    def __init__(
        self,
        fetch: Callable[[str], list[Block]],
        title: Callable[[str], str | None] = lambda _id: None,
        tz: ZoneInfo = UTC,
    ) -> None:
        self.fetch = fetch
        self.title = title
        self.tz = tz  # the exporting user's, in which the export writes a mention's time
        self.links: list[str] = []

    def page(self, page_id: str) -> str:
        return "\n".join(self._blocks(self.fetch(page_id), depth=0)).strip() + "\n"

    def _children(self, block: Block, depth: int) -> list[str]:
        if not block.get("has_children") or depth >= MAX_DEPTH:
            return []
        return self._blocks(self.fetch(str(block["id"])), depth + 1)

    def _indented(self, block: Block, depth: int) -> list[str]:
        """Children nested under a block, indented four spaces as the export nests them."""
        return ["    " + c if c else c for c in self._children(block, depth)]

    def _blocks(self, blocks: list[Block], depth: int) -> list[str]:
        lines: list[str] = []
        number = 0
        for block in blocks:
            kind = str(block.get("type", ""))
            number = number + 1 if kind == "numbered_list_item" else 0
            rendered = self._block(block, kind, number, depth)
            if kind not in _LIST_KINDS and lines and lines[-1] != "":
                lines.append("")
            lines.extend(rendered)
            if kind not in _LIST_KINDS:
                lines.append("")
        return lines

    def _block(self, block: Block, kind: str, number: int, depth: int) -> list[str]:
        raw = block.get(kind)
        body: dict[str, Any] = raw if isinstance(raw, dict) else {}
        text = rich_text(body.get("rich_text"), self.links, self.tz)
        if kind.startswith("heading_") and kind[-1].isdigit():
            # A toggleable heading (``is_toggleable``) has its section as children: written as
            # the heading followed by that section, as if it were not toggleable, so the chunker
            # still cuts it as a section. How Notion's Markdown exporter writes one is not known
            # (none in the real sample export; a page with one may differ from its export).
            children = self._children(block, depth)
            return [f"{'#' * int(kind[-1])} {text}", *([""] if children else []), *children]
        if kind in _LIST_KINDS:
            marker = {
                "bulleted_list_item": "-",
                "numbered_list_item": f"{number}.",
                "to_do": "- [x]" if body.get("checked") else "- [ ]",
                "toggle": "-",
            }[kind]
            return [f"{marker} {text}", *self._indented(block, depth)]
        if kind == "code":
            language = str(body.get("language", ""))
            fence = f"```{'' if language == 'plain text' else language}"
            return [fence, plain(body.get("rich_text"), self.tz), "```"]
        if kind in ("quote", "callout"):
            icon = (body.get("icon") or {}).get("emoji", "") if kind == "callout" else ""
            inner = [f"{icon} {text}".strip(), *self._children(block, depth)]
            return [f"> {line}" for line in inner if line.strip()]
        if kind == "table":
            return self._table(block)
        if kind in ("child_page", "child_database"):
            if kind == "child_page":
                self.links.append(f"notion:{compact_id(str(block['id']))}")
            # The export names an untitled page or database "Untitled" (the real sample's Home
            # page links ``[Untitled](Home%20…/Untitled%20<id>.csv)``); the API gives "".
            name = str(body.get("title") or "").strip() or "Untitled"
            return [f"[{name}](notion:{compact_id(str(block['id']))})"]
        if kind == "equation":
            return ["$$", str(body.get("expression", "")), "$$"]
        if kind == "divider":
            return ["---"]
        if kind in ("bookmark", "embed", "link_preview"):
            caption = plain(body.get("caption"), self.tz)
            return [f"[{caption or body.get('url', '')}]({body.get('url', '')})"] if body.get("url") else []
        if kind == "image":
            # The image itself is dropped (as canonical_markdown drops the export's ``![…](…)``);
            # its caption is text and is kept as a paragraph. Assumed export form: the caption
            # as a paragraph after the image line (no caption occurs in the real sample).
            caption = rich_text(body.get("caption"), self.links, self.tz)
            return [caption] if caption.strip() else []
        if kind in ("file", "pdf", "video", "audio"):
            name = str(body.get("name") or "") or plain(body.get("caption"), self.tz)
            return [name] if name else []
        if kind in _CONTAINERS:
            return self._children(block, depth)
        if kind == "link_to_page":
            target = body.get("page_id") or body.get("database_id")
            if not target:
                return []
            self.links.append(f"notion:{compact_id(str(target))}")
            title = self.title(compact_id(str(target)))
            return [title] if title else []
        return [text, *self._indented(block, depth)] if text else self._children(block, depth)

    def _table(self, block: Block) -> list[str]:
        # Notion's exporter writes the first row as the Markdown header, with or without the
        # table's column header setting (a Markdown table needs one).
        rows = [
            [rich_text(cell, self.links, self.tz) for cell in (r.get("table_row") or {}).get("cells", [])]
            for r in self.fetch(str(block["id"]))
            if r.get("type") == "table_row"
        ]
        if not rows:
            return []
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        out = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
        return out + ["| " + " | ".join(r) + " |" for r in rows[1:]]
