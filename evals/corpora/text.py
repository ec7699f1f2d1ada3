"""A tech-docs page's source (YAML front matter + Markdown with ERB) -> title, metadata, Markdown.

The front matter is read line by line (``key: value``, quotes stripped), not with a YAML parser,
so values keep their source spelling (``review_in: 6 months``, ``owner_slack: '#frontend'``).
ERB is rendered the way the site would show it where that is known (the page title, tech-docs
``warning_text``, the ``expires`` and ``withdrawn`` notices) and dropped otherwise (partials,
sidebars, loops over the sitemap). HTML comments go too; the Markdown stays Markdown.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin, urlsplit

_FRONT_MATTER_RE = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_KEY_RE = re.compile(r"^(?P<key>[A-Za-z_][\w-]*):[ \t]*(?P<value>.*?)\s*$")
_ERB_RE = re.compile(r"<%(?P<kind>[=#-]?)(?P<code>.*?)-?%>", re.S)
_BLOCK_OPEN_RE = re.compile(r"\bdo\s*(\|[^|]*\|)?\s*$|^\s*(if|unless|case|while|until)\b")
_WARNING_RE = re.compile(r"^\s*warning_text\s*\(?\s*(?P<q>['\"])(?P<text>.*)(?P=q)\s*\)?\s*$", re.S)
_TITLE_CALL_RE = re.compile(r"^\s*current_page\.data\.title\s*$")
_H1_RE = re.compile(r"^#[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$", re.M)
_LEAD_HEADING_RE = re.compile(r"\A\s*#{1,6}[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*(?:\n|\Z)")
_EMPTY_LIST_RE = re.compile(r"<(ul|ol)>\s*</\1>")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_ANCHOR_RE = re.compile(r"<a\s[^>]*href=(['\"])(?P<href>[^'\"]*)\1[^>]*>(?P<text>.*?)</a>", re.S | re.I)
LINK_RE = re.compile(
    r"(?P<bang>!?)\[(?P<text>(?:[^\[\]]|\[[^\]]*\])*)\]\((?P<target><[^>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?P<title>\s+\"[^\"]*\")?\)"
)
_REF_DEF_RE = re.compile(r"^(?P<lead>\s{0,3}\[[^\]]+\]:\s*)(?P<target>\S+)", re.M)
_FENCE_RE = re.compile(r"^\s*(```|~~~)")
LinkTarget = Callable[[str, bool], str]
"""(link target as written, is an image) -> the target to write instead."""
WITHDRAWN_NOTICE = "> **Warning:** This guidance has been withdrawn."


@dataclass
class Page:
    """A page's front matter and its rendered Markdown body (without the ``# Title`` line)."""

    title: str
    meta: dict[str, str] = field(default_factory=dict)
    body: str = ""


def front_matter(raw: str) -> tuple[dict[str, str], str]:
    """``(meta, rest)``: top-level ``key: value`` lines of the front matter, and the text after it."""
    m = _FRONT_MATTER_RE.match(raw)
    if not m:
        return {}, raw
    meta: dict[str, str] = {}
    for line in m.group(1).splitlines():
        km = _KEY_RE.match(line)
        if km and not line[:1].isspace():
            value = km.group("value")
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            meta.setdefault(km.group("key"), value)
    return meta, raw[m.end() :]


def _expires_notice(meta: dict[str, str]) -> str:
    try:
        when = date.fromisoformat(meta.get("expires", ""))
    except ValueError:
        return ""
    return f"> This document is current until {when.day} {when:%B %Y}"


def render_erb(text: str, title: str, meta: dict[str, str], year: int) -> str:
    """Output tags the site would show become text; blocks (``do``/``if`` ... ``end``) and the rest go."""
    text = text.replace("<%%", "\0ERB\0")
    out: list[str] = []
    pos = 0
    depth = 0
    for m in _ERB_RE.finditer(text):
        if depth == 0:
            out.append(text[pos : m.start()])
        pos = m.end()
        kind, code = m.group("kind"), m.group("code").strip().rstrip("=").strip()
        if kind == "#":
            continue
        if kind != "=" and code == "end":
            depth = max(0, depth - 1)
            continue
        if _BLOCK_OPEN_RE.search(code):
            depth += 1
            continue
        if depth or kind != "=":
            continue
        if _TITLE_CALL_RE.match(code):
            out.append(title)
        elif wm := _WARNING_RE.match(code):
            out.append(f"> **Warning:** {_html_to_markdown(wm.group('text'))}")
        elif code in ("partial :expires", "partial 'expires'", 'partial "expires"'):
            out.append(_expires_notice(meta))
        elif code.startswith("Time.current.year") or code.startswith("Time.now.year"):
            out.append(str(year))
        # partials (site navigation, banners, other pages' bodies) and anything else: dropped
    if depth == 0:
        out.append(text[pos:])
    return "".join(out).replace("\0ERB\0", "<%")


def _html_to_markdown(fragment: str) -> str:
    fragment = _ANCHOR_RE.sub(lambda m: f"[{m.group('text')}]({m.group('href')})", fragment)
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def parse_page(raw: str, fallback_title: str, year: int) -> Page:
    """Title (front matter, else first ``# `` heading, else ``fallback_title``), meta and body."""
    meta, rest = front_matter(raw.replace("\r\n", "\n"))
    title = meta.get("title", "").strip()
    lead = None
    if not title:
        # Old pages without front matter: a leading heading of any level names the page.
        lead = _LEAD_HEADING_RE.match(rest)
        h1 = _H1_RE.search(rest)
        if lead and "<%" not in lead.group("title"):
            title = lead.group("title").replace("`", "").strip()
        elif h1 and "<%" not in h1.group("title"):
            title = h1.group("title").replace("`", "").strip()
        else:
            title = fallback_title
    body = render_erb(rest, title, meta, year)
    body = _strip_comments(body)
    if lead and title == lead.group("title").replace("`", "").strip():
        body = _LEAD_HEADING_RE.sub("", body, count=1)
    body = _drop_title_heading(body, title)
    body = _EMPTY_LIST_RE.sub("", body)
    if meta.get("layout") == "withdrawn":
        body = f"{WITHDRAWN_NOTICE}\n\n{body}"
    body = re.sub(r"\n{3,}", "\n\n", body).strip()
    return Page(title=title, meta=meta, body=body)


def _strip_comments(text: str) -> str:
    out, in_fence = [], False
    # Comments inside code blocks are content (HTML examples): keep them there.
    for chunk in re.split(r"(^\s*(?:```|~~~).*$)", text, flags=re.M):
        if _FENCE_RE.match(chunk):
            in_fence = not in_fence
            out.append(chunk)
        else:
            out.append(chunk if in_fence else _COMMENT_RE.sub("", chunk))
    return "".join(out)


def _drop_title_heading(body: str, title: str) -> str:
    """The page title is the export's ``# Title``: drop a leading H1 that repeats it."""
    stripped = body.lstrip()
    m = _H1_RE.match(stripped)
    if m and " ".join(m.group("title").split()).casefold() == " ".join(title.split()).casefold():
        return stripped[m.end() :]
    return body


def rewrite_links(body: str, resolve: LinkTarget) -> str:
    """Rewrite every Markdown link / image target with ``resolve`` (outside code blocks)."""

    def sub(m: re.Match[str]) -> str:
        target = m.group("target")
        bare = target[1:-1] if target.startswith("<") else target
        new = resolve(bare, bool(m.group("bang")))
        if new == bare:
            return m.group(0)
        return f"{m.group('bang')}[{m.group('text')}]({new}{m.group('title') or ''})"

    def sub_ref(m: re.Match[str]) -> str:
        return m.group("lead") + resolve(m.group("target"), False)

    out, in_fence = [], False
    for chunk in re.split(r"(^\s*(?:```|~~~).*$)", body, flags=re.M):
        if _FENCE_RE.match(chunk):
            in_fence = not in_fence
            out.append(chunk)
        elif in_fence:
            out.append(chunk)
        else:
            chunk = LINK_RE.sub(sub, chunk)
            out.append(_REF_DEF_RE.sub(sub_ref, chunk))
    return "".join(out)


def site_url_path(repo_path: str) -> str:
    """``source/a/b.html.md.erb`` -> ``/a/b.html`` (the page's URL path on the published site)."""
    path = repo_path.removeprefix("source")
    for suffix in (".html.md.erb", ".html.md", ".md.erb", ".md"):
        if path.endswith(suffix):
            return path[: -len(suffix)] + ".html"
    return path


def resolve_site_link(target: str, page_path: str, host: str) -> tuple[str, str] | None:
    """``(url path, fragment)`` of a link to the handbook's own site, or None for other links."""
    parts = urlsplit(target)
    if parts.scheme in ("http", "https"):
        if not host or f"{parts.scheme}://{parts.netloc}".rstrip("/") != host.rstrip("/"):
            return None
        path = parts.path or "/"
    elif parts.scheme or target.startswith("//") or not parts.path:
        return None  # mailto:, other schemes, #fragment-only
    else:
        base = "https://site.invalid" + site_url_path(page_path)
        path = urlsplit(urljoin(base, parts.path)).path
    return path, parts.fragment
