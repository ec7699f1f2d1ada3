"""Links inside a Notion export -> doc ids.

Pages link to each other with relative, URL-encoded paths (``Sub%20page%20<id>.md``, maybe with
``../``), and to pages outside the export with ``https://www.notion.so/<Title>-<32hex>?pvs=21``.
Relation properties render as ``Title (relative%20path.md)``. Paths are compared after
percent-decoding and NFC normalisation on both sides, so re-zipped exports with NFD or
percent-encoded names still match. A link to nothing in the export (dangling) is dropped.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from urllib.parse import unquote, urlsplit

_MD_LINK_RE = re.compile(r"\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE_URL_RE = re.compile(r"https?://[^\s)\]>\"']+", re.IGNORECASE)
_HEX_RE = re.compile(r"(?<![0-9a-f])([0-9a-f]{32})(?![0-9a-f])", re.IGNORECASE)
_UUID_RE = re.compile(
    r"([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})", re.IGNORECASE
)
_PAREN_RE = re.compile(r"\(([^()]+)\)")
_NOTION_HOSTS = ("notion.so", "notion.site")


def path_key(path: str) -> str:
    """How export paths are compared: percent-decoded, NFC."""
    return unicodedata.normalize("NFC", unquote(path))


def notion_id_in(text: str) -> str | None:
    """The last Notion id (32 hex, or a dashed uuid) in ``text``, lower-case without dashes."""
    text = _UUID_RE.sub(lambda m: "".join(m.groups()), text)
    found = _HEX_RE.findall(text)
    return found[-1].lower() if found else None


class LinkResolver:
    """Resolves link targets written in one export to doc ids."""

    def __init__(self, docs_by_path: dict[str, str], titles: dict[str, str]) -> None:
        """``docs_by_path``: export path -> doc id; ``titles``: doc id -> title."""
        self._by_path = {path_key(p): d for p, d in docs_by_path.items()}
        self._known = set(docs_by_path.values())
        self._by_title: dict[str, list[str]] = {}
        for doc_id, title in titles.items():
            self._by_title.setdefault(title.casefold(), []).append(doc_id)

    def resolve(self, target: str, source_path: str) -> str | None:
        target = target.strip()
        parts = urlsplit(target)
        if parts.scheme in ("http", "https"):
            host = (parts.hostname or "").lower()
            if any(host == h or host.endswith("." + h) for h in _NOTION_HOSTS):
                hex_id = notion_id_in(parts.path)
                # A Notion URL names the page even when it is outside this export.
                return f"notion:{hex_id}" if hex_id else None
            return None
        if parts.scheme or not parts.path:
            return None  # mailto:, #fragment-only, ...
        here = posixpath.dirname(path_key(source_path))
        joined = posixpath.normpath(posixpath.join(here, path_key(parts.path)))
        if doc_id := self._by_path.get(joined):
            return doc_id
        # Re-zipped or moved exports: the id in the file name still identifies the page.
        hex_id = notion_id_in(posixpath.basename(path_key(parts.path)))
        if hex_id and f"notion:{hex_id}" in self._known:
            return f"notion:{hex_id}"
        return None

    def links(self, markdown: str, source_path: str, self_id: str) -> list[str]:
        """Doc ids the Markdown links to, in order, without duplicates or itself."""
        targets = [m.group("target") for m in _MD_LINK_RE.finditer(markdown)]
        targets += [u for u in _BARE_URL_RE.findall(markdown) if u not in targets]
        out: list[str] = []
        for target in targets:
            doc_id = self.resolve(target, source_path)
            if doc_id and doc_id != self_id and doc_id not in out:
                out.append(doc_id)
        return out

    def relation(self, value: str, source_path: str) -> list[str]:
        """Doc ids in a relation cell: ``A (a%20<id>.md), B (b%20<id>.md)``, links, or bare titles."""
        out: list[str] = []
        for target in [*_PAREN_RE.findall(value), *_BARE_URL_RE.findall(value)]:
            doc_id = self.resolve(target, source_path)
            if doc_id and doc_id not in out:
                out.append(doc_id)
        if out:
            return out
        for title in value.split(","):
            found = self._by_title.get(title.strip().casefold(), [])
            if len(found) == 1 and found[0] not in out:
                out.append(found[0])
        return out
