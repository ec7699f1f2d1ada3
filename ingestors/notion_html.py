"""Notion HTML exports: one ``.html`` page -> the same ``ParsedPage`` a Markdown page gives.

An HTML page has ``<article id="<dashed uuid>">``, the title in ``<h1 class="page-title">``,
properties in ``<table class="properties">`` (people as ``<span class="user">``, dates as
``<time>@February 1, 2022 7:07 PM</time>``) and the body in ``<div class="page-body">``. The body
becomes simple Markdown (headings, paragraphs, list items, links) so chunking still sees headings.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag
from bs4.element import Comment, NavigableString

from .links import notion_id_in
from .notion_page import ParsedPage

_BLOCKS = {
    "h1": "# ",
    "h2": "## ",
    "h3": "### ",
    "h4": "#### ",
    "p": "",
    "li": "- ",
    "blockquote": "> ",
    "pre": "",
    "figcaption": "",
}


def _inline(tag: Tag) -> str:
    """Text of a block with its links kept as Markdown links."""
    parts: list[str] = []
    for child in tag.children:
        if isinstance(child, Tag):
            href = child.get("href") if child.name == "a" else None
            parts.append(f"[{child.get_text(' ', strip=True)}]({href})" if href else _inline(child))
        elif isinstance(child, NavigableString) and not isinstance(child, Comment):
            parts.append(str(child))
    return " ".join("".join(parts).split())


def _properties(table: Tag) -> dict[str, str]:
    props: dict[str, str] = {}
    for row in table.find_all("tr"):
        th, td = row.find("th"), row.find("td")
        if not isinstance(th, Tag) or not isinstance(td, Tag):
            continue
        users = [u.get_text(strip=True) for u in td.find_all("span", class_="user")]
        value = ", ".join(users) if users else td.get_text(" ", strip=True)
        name = th.get_text(" ", strip=True)
        if name and value:
            props[name] = value
    return props


def parse_html_page(html: str) -> tuple[ParsedPage, str | None]:
    """The page, and the Notion id from ``<article id>`` (None when absent)."""
    soup = BeautifulSoup(html, "html.parser")
    article = soup.find("article")
    hex_id = notion_id_in(str(article.get("id", ""))) if isinstance(article, Tag) else None
    h1 = soup.find("h1", class_="page-title")
    title = h1.get_text(" ", strip=True) if isinstance(h1, Tag) else None
    table = soup.find("table", class_="properties")
    props = _properties(table) if isinstance(table, Tag) else {}
    body = soup.find("div", class_="page-body")
    lines = [f"# {title}"] if title else []
    if isinstance(body, Tag):
        for block in body.find_all(list(_BLOCKS)):
            # Nested blocks (a <p> inside an <li>) are rendered by their outermost block.
            if block.find_parent(list(_BLOCKS)) is not None:
                continue
            text = _inline(block)
            if text:
                lines.append(_BLOCKS[block.name] + text)
    return ParsedPage(title=title or None, properties=props, text="\n\n".join(lines)), hex_id
