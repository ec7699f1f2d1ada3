"""One canonical Markdown for a Notion page, whether it came from an export or from the API.

A workspace moves from exports (``ingestors.notion``) to pulls (``ingestors.notion_api``) without
re-embedding only if both give every page the same text, byte for byte: the stored content hash
covers the text, and chunks are cut from it. The two renderings of one page differ where Notion's
exporter writes something the API cannot know, or writes it another way:

- links between pages: the export links files (``[Runbooks](Engineering%20<id>/Runbooks%20<id>.md)``,
  ``[Wiki](…/Wiki%20<id>.csv)``, mentions of pages outside it as ``https://www.notion.so/…?pvs=21``),
  the API gives ids. Both become the link's text (``Runbooks``); the ids live in ``Document.links``.
  Links to files the export holds (attachments) also keep only their text; web links stay links.
- images (``![alt](file.png)``, no API equivalent without downloading) are dropped; the API
  renderer writes an image's caption as a paragraph (``ingestors.notion_blocks``);
- date mentions and inline equations are written by the API renderer in the export's form
  (``@February 5, 2025``, ``$E = mc^2$``), and the export's relative dates (``@Today``) made
  absolute by the export ingestor (``ingestors.notion_mentions``), before they get here;
- callouts are ``<aside>…</aside>`` in the export, and toggles ``<details><summary>…`` in newer
  exports: both become what the API renderer writes (``> 💡 text`` quote lines; ``- summary`` with
  the children indented four spaces);
- to-dos are ``- [ ]  text`` (two spaces) in the export; table separators ``| --- |`` or ``|---|``;
- blank lines: the exporter puts blank (four-space) lines around a list item's children; blank
  lines between list items and inside their children are dropped, runs of blank lines collapse,
  trailing spaces go, and the text is stripped.

``canonical_markdown`` is idempotent and changes only layout and link targets, never words, so a
real edit to a page still changes its text (and re-embeds the chunks it changed,
``kb.ingest.reuse``). Fenced code keeps its lines.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

_FENCE_RE = re.compile(r"^\s*(```|~~~)")
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK_RE = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target><[^>]*>|[^)\s]*)(?:\s+\"[^\"]*\")?\)")
_TODO_RE = re.compile(r"^(\s*[-*] \[[ xX]\])[ \t]+")
_TABLE_SEP_RE = re.compile(r"^\s*\|(\s*:?-{3,}:?\s*\|)+\s*$")
_LIST_RE = re.compile(r"^(\s+\S|\s*(?:[-*+]|\d+[.)])\s)")
_TAG_RE = re.compile(r"(</?aside>|<details>|</details>|<summary>.*?</summary>)", re.IGNORECASE)
_IMG_TAG_RE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_NOTION_HOSTS = ("notion.so", "notion.site")


def canonical_markdown(text: str) -> str:
    """The page's Markdown in the one form exports and pulls share (see the module docstring)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = _unwrap_html_blocks(text.split("\n"))
    out: list[str] = []
    fenced = False
    for line in lines:
        if _FENCE_RE.match(line):
            fenced = not fenced
            out.append(line.rstrip())
            continue
        out.append(line.rstrip() if fenced else _inline(line))
    return "\n".join(_blank_lines(out)).strip()


def _internal(target: str) -> bool:
    """A link to another page or file of the workspace (not a web page)."""
    target = target.strip("<>")
    parts = urlsplit(target)
    if parts.scheme in ("http", "https"):
        host = (parts.hostname or "").lower()
        return any(host == h or host.endswith("." + h) for h in _NOTION_HOSTS)
    return parts.scheme in ("", "notion") and bool(parts.path)


def _inline(line: str) -> str:
    line = _IMAGE_RE.sub("", line)
    line = _LINK_RE.sub(lambda m: m["text"] if _internal(m["target"]) else m[0], line)
    if _TABLE_SEP_RE.match(line):
        cells = line.strip().strip("|").split("|")
        return "|" + " --- |" * len(cells)
    line = _TODO_RE.sub(r"\1 ", line)
    stripped = line.rstrip()
    # A line the link and image rules emptied ("[Runbooks](…)" keeps its text; "![](…)" does not).
    return "" if not stripped.strip() else stripped


def _unwrap_html_blocks(lines: list[str]) -> list[str]:
    """``<aside>`` -> ``> `` quote lines; ``<details><summary>S</summary>…</details>`` -> ``- S``
    with the body indented, nested in any order. Code fences are left alone."""
    pieces: list[str] = []
    fenced = False
    for line in lines:
        if _FENCE_RE.match(line):
            fenced = not fenced
        if fenced or not _TAG_RE.search(line):
            pieces.append(line)
            continue
        pieces.extend(p for p in _TAG_RE.split(line) if p.strip())
    out: list[str] = []
    stack: list[str] = []  # prefixes of the open blocks, outermost first
    fenced = False
    for piece in pieces:
        tag = piece.strip().lower()
        if _FENCE_RE.match(piece):
            fenced = not fenced
        elif not fenced and tag == "<aside>":
            stack.append("> ")
            continue
        elif not fenced and tag == "<details>":
            stack.append("")  # the summary sets the body's indent
            continue
        elif not fenced and tag in ("</aside>", "</details>"):
            if stack:
                stack.pop()
            continue
        elif not fenced and tag.startswith("<summary>"):
            summary = re.sub(r"</?summary>", "", piece.strip(), flags=re.IGNORECASE).strip()
            out.append("".join(stack[:-1]) + f"- {summary}")
            if stack:
                stack[-1] = "    "
            continue
        if not stack:
            out.append(piece)
            continue
        content = _IMG_TAG_RE.sub("", piece).strip() if stack[-1] == "> " else piece.rstrip()
        if content.strip():
            out.append("".join(stack) + (content if stack[-1] == "> " else content.lstrip()))
    return out


def _blank_lines(lines: list[str]) -> list[str]:
    """Drop blank lines between list items (and inside their indented children), keep one blank
    line elsewhere; blank lines in fenced code stay."""
    out: list[str] = []
    fenced = False
    pending_blank = False
    for line in lines:
        if _FENCE_RE.match(line):
            fenced = not fenced
        elif not fenced and not line.strip():
            pending_blank = bool(out)
            continue
        if pending_blank:
            previous = out[-1] if out else ""
            if not (_LIST_RE.match(previous) and _LIST_RE.match(line)):
                out.append("")
            pending_blank = False
        out.append(line)
    return out
