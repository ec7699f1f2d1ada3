"""The corpus model: history versions -> documents with ids, sections, owners, successors, links.

Ids follow one rule, shared with the golden-question writers: the 32-hex id of a page is
``sha1(f"{corpus}:{key}")[:32]`` where ``key`` is the page's repository path, or
``<path>@deleted`` for a removed version of a path that is live again at HEAD. The Notion doc id
is ``notion:<hex>``, the Drive one ``gdrive:1<hex>``.

Removed versions that say nothing new are dropped: a renamed-away version whose text is nearly
the same as the version it was renamed to (a pure move), and a removed version of a path that is
live again with nearly the same text. ``dropped`` lists them with the reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import posixpath
import re
from dataclasses import dataclass, field
from datetime import datetime

from .history import Version
from .text import LINK_RE, Page, parse_page, resolve_site_link, site_url_path

NEAR_DUPLICATE = 0.9
"""Jaccard similarity of word 5-shingles above which two versions count as the same text."""
WORDS_PER_CHUNK = 150
_MOVED_RE = re.compile(r"\b(has|have)\s+(now\s+)?(been\s+)?moved\b", re.I)
_WORD_RE = re.compile(r"[\w'’-]+")
_ACRONYMS = {"gds": "GDS", "govuk": "GOV.UK", "aws": "AWS", "ci": "CI", "sre": "SRE"}


@dataclass(frozen=True)
class Spec:
    """What differs between corpora: names, where sections start, the site host, the outputs."""

    name: str
    repo: str
    handbook: str
    section_prefix: str = ""
    """Path under ``source/`` whose subfolders are the sections (cloud-platform: documentation/)."""
    section_owners: bool = False
    """Give each top-level section a team owner through a ``[[rules]]`` entry."""
    maintainers: str = ""
    """Display name of the account owning Drive folders and unowned pages (gds-way)."""
    drive: bool = False
    timezone: str = "Europe/London"
    locale: str = "en-US"

    @property
    def domain(self) -> str:
        return f"{self.name}.example"

    def hex_id(self, key: str) -> str:
        return hashlib.sha1(f"{self.name}:{key}".encode()).hexdigest()[:32]


SPECS = {
    "cloud-platform": Spec(
        name="cloud-platform",
        repo="ministryofjustice/cloud-platform-user-guide",
        handbook="Cloud Platform user guide",
        section_prefix="documentation/",
        section_owners=True,
    ),
    "gds-way": Spec(
        name="gds-way",
        repo="alphagov/gds-way",
        handbook="The GDS Way",
        maintainers="GDS Way Maintainers",
        drive=True,
    ),
}


def spec_for(name: str, repo: str | None = None, drive: bool | None = None) -> Spec:
    base = SPECS.get(name) or Spec(name=name, repo=repo or name, handbook=name.replace("-", " ").title())
    if repo:
        base = dataclasses.replace(base, repo=repo)
    if drive is not None:
        base = dataclasses.replace(base, drive=drive)
    return base


def channel_display_name(channel: str) -> str:
    """``#govuk-platform-engineering`` -> ``GOV.UK Platform Engineering`` (a person-like name)."""
    words = re.split(r"[-_\s]+", channel.strip().lstrip("#@").strip())
    return " ".join(_ACRONYMS.get(w.lower(), w[:1].upper() + w[1:]) for w in words if w)


def channel_email(channel: str, spec: Spec) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", channel.strip().lstrip("#@").lower()).strip("-")
    return f"{slug}@{spec.domain}"


def section_of(path: str, spec: Spec) -> str:
    """Section slug of a repository path: its first folder under the sections' root, or ''."""
    rel = path.removeprefix("source/")
    if spec.section_prefix and rel.startswith(spec.section_prefix):
        rel = rel[len(spec.section_prefix) :]
    if "/" not in rel:
        return ""
    return re.sub(r"^\d+-", "", rel.split("/", 1)[0])


def section_title(slug: str, spec: Spec) -> str:
    if not slug:
        return spec.handbook
    words = slug.replace("_", " ").replace("-", " ").split()
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def section_owner(slug: str, spec: Spec) -> str:
    return f"{slug or spec.name}-team@{spec.domain}"


def shingles(text: str, n: int = 5) -> set[str]:
    words = [w.lower() for w in _WORD_RE.findall(text)]
    if len(words) < n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def similarity(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


@dataclass
class Doc:
    version: Version
    hex: str
    page: Page
    section: str
    owner_channel: str | None = None
    successor: Doc | None = None
    """Renamed pages: the page at the end of the rename chain (live, or itself removed)."""
    links: list[tuple[Doc | None, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.page.title

    @property
    def path(self) -> str:
        return self.version.path

    @property
    def state(self) -> str:
        return self.version.state

    @property
    def notion_id(self) -> str:
        return f"notion:{self.hex}"

    @property
    def drive_file_id(self) -> str:
        return f"1{self.hex}"

    @property
    def words(self) -> int:
        return len(self.page.body.split()) + len(self.title.split())

    @property
    def est_chunks(self) -> int:
        return max(1, math.ceil(self.words / WORDS_PER_CHUNK))

    @property
    def last_edited(self) -> datetime:
        return self.version.last_edited

    @property
    def created(self) -> datetime:
        return self.version.created


@dataclass
class Moved:
    """A "this page has now moved to [X](...)" link found in a page's text."""

    source: Doc
    target: Doc | None
    url: str
    line: str


@dataclass
class Corpus:
    spec: Spec
    host: str
    head: str
    head_time: datetime
    docs: list[Doc]
    dropped: list[tuple[Version, str]]
    moved: list[Moved]
    by_url: dict[str, Doc]

    def resolve(self, target: str, doc: Doc) -> tuple[Doc | None, str] | None:
        """A link in ``doc`` to the handbook's site: (the page it names or None, absolute URL)."""
        found = resolve_site_link(target, doc.path, self.host)
        if found is None:
            return None
        url_path, fragment = found
        page = lookup_url(self.by_url, url_path)
        absolute = f"{self.host}{url_path}" + (f"#{fragment}" if fragment else "") if self.host else target
        return page, absolute


def lookup_url(by_url: dict[str, Doc], url_path: str) -> Doc | None:
    path = posixpath.normpath(url_path) if url_path not in ("", "/") else "/index.html"
    candidates = [path]
    if url_path.endswith("/"):
        candidates = [posixpath.join(path, "index.html")]
    elif not path.endswith(".html"):
        candidates = [f"{path}.html", posixpath.join(path, "index.html")]
    for c in candidates:
        if c in by_url:
            return by_url[c]
    return None


def build_corpus(
    spec: Spec,
    versions: list[Version],
    host: str,
    head: str,
    head_time: datetime,
    max_chunks: int | None = None,
) -> Corpus:
    """Documents for ``versions`` minus near-duplicate removed versions and, when the estimated
    chunks exceed ``max_chunks``, minus the longest removed pages (then the longest live ones)."""
    pages = {id(v): parse_page(v.raw, _fallback_title(v.path), v.last_edited.year) for v in versions}
    live = {v.path: v for v in versions if v.state == "live"}
    removed = {v.path: v for v in versions if v.state != "live"}
    dropped: list[tuple[Version, str]] = []
    kept: list[Version] = []
    for v in versions:
        reason = _duplicate_reason(v, live, removed, pages)
        if reason:
            dropped.append((v, reason))
        else:
            kept.append(v)
    docs = []
    for v in kept:
        page = pages[id(v)]
        channel = page.meta.get("owner_slack", "").strip() or None
        docs.append(Doc(v, spec.hex_id(v.key), page, section_of(v.path, spec), channel))
    if max_chunks is not None:
        total = sum(d.est_chunks for d in docs)
        for d in sorted(docs, key=lambda d: (d.state == "live", -d.words, d.path)):
            if total <= max_chunks:
                break
            docs.remove(d)
            total -= d.est_chunks
            dropped.append((d.version, f"longest pages dropped to keep the corpus under {max_chunks} chunks"))
    by_path_live = {d.path: d for d in docs if d.state == "live"}
    by_path_removed = {d.path: d for d in docs if d.state != "live"}
    for d in docs:
        if d.version.successor_path:
            target = d.version.successor_path
            d.successor = by_path_live.get(target) or by_path_removed.get(target)
    by_url: dict[str, Doc] = {}
    # Live pages win a URL; among removed ones, the latest removal.
    for d in sorted(
        docs, key=lambda d: (d.state == "live", d.version.removal.at if d.version.removal else head_time)
    ):
        by_url[site_url_path(d.path)] = d
    corpus = Corpus(spec, host, head, head_time, docs, dropped, [], by_url)
    corpus.moved = _moved_links(corpus)
    return corpus


def _fallback_title(path: str) -> str:
    stem = posixpath.basename(path).split(".", 1)[0]
    stem = re.sub(r"^\d+-", "", stem)
    return stem.replace("-", " ").replace("_", " ").strip().capitalize() or path


def _duplicate_reason(
    v: Version, live: dict[str, Version], removed: dict[str, Version], pages: dict[int, Page]
) -> str | None:
    if v.state == "live":
        return None
    body = pages[id(v)].body
    if v.path in live:
        sim = similarity(body, pages[id(live[v.path])].body)
        if sim >= NEAR_DUPLICATE:
            return f"same text ({sim:.2f}) as the live page at the same path"
    if v.state == "renamed" and v.rename_chain:
        nxt = v.rename_chain[0]
        target = live.get(nxt) or removed.get(nxt)
        if target is not None:
            sim = similarity(body, pages[id(target)].body)
            if sim >= NEAR_DUPLICATE:
                return f"same text ({sim:.2f}) as the version it was renamed to ({nxt})"
    return None


def _moved_links(corpus: Corpus) -> list[Moved]:
    out: list[Moved] = []
    for d in corpus.docs:
        for line in d.page.body.splitlines():
            if not _MOVED_RE.search(line):
                continue
            for m in LINK_RE.finditer(line):
                if m.group("bang"):
                    continue
                target = m.group("target").strip("<>")
                found = corpus.resolve(target, d)
                page, url = found if found else (None, target)
                if page is d:
                    continue
                out.append(Moved(d, page, url, line.strip()))
    return out
