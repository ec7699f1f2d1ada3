"""One Notion Markdown page: its id and title from the file name, its ``# Title`` and property block.

A page is ``Title <32hex>.md``; a database row page has, after ``# Title`` and a blank line, one
``Name: value`` line per non-empty property, then a blank line and the body. Which ``Name: value``
lines count as properties is the caller's choice (``accept``): for plain pages only configured
property names, so prose such as ``Note: ...`` stays in the body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_ID_RE = re.compile(r"^(?P<title>.*?)\s*(?P<hex>[0-9a-fA-F]{32})$")
# A property line: a short name that does not start with Markdown syntax, ': ', a value.
_PROP_RE = re.compile(r"^(?P<name>[^\s:#>*\-\[`|!][^:\n]{0,99}?):\s+(?P<value>\S.*)$")


def split_id(stem: str) -> tuple[str, str | None]:
    """``'Title <32hex>'`` -> ``('Title', '<32 lower hex>')``; ``(stem, None)`` without an id."""
    m = _ID_RE.match(stem)
    if not m:
        return stem.strip(), None
    return m.group("title").strip(), m.group("hex").lower()


@dataclass
class ParsedPage:
    title: str | None
    """From the first ``# `` line; None when the page has none."""
    properties: dict[str, str] = field(default_factory=dict)
    text: str = ""
    """The Markdown without the property block (the ``# Title`` heading is kept)."""


def parse_page(markdown: str, accept: Callable[[str], bool]) -> ParsedPage:
    """Split a page into title, accepted property lines and the remaining Markdown."""
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or not lines[i].startswith("# "):
        return ParsedPage(title=None, text=markdown.strip())
    title = lines[i][2:].strip()
    head = lines[: i + 1]
    j = i + 1
    while j < len(lines) and not lines[j].strip():
        j += 1
    properties: dict[str, str] = {}
    while j < len(lines):
        m = _PROP_RE.match(lines[j])
        if not m or not accept(m.group("name").strip()):
            break
        properties.setdefault(m.group("name").strip(), m.group("value").strip())
        j += 1
    rest = lines[j:] if properties else lines[i + 1 :]
    while rest and not rest[0].strip():
        rest = rest[1:]
    text = "\n".join([*head, "", *rest]).strip()
    return ParsedPage(title=title or None, properties=properties, text=text)
