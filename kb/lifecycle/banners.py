"""Banners: what a page says about itself ("This page is deprecated", "This page has now moved
to ...", "This guidance has been withdrawn", "Current until 1 March 2024").

Pure: a ``Document`` and the freshness settings in, a ``Banner`` out. ``kb.lifecycle.freshness``
turns it into a status; the successor hint is the rest of the banner's line.

A phrase counts only where a banner is, because the same words are everyday advice in a body
("Do not use `git push -f`", "out of date dependencies", "languages we do not use"): on the two
real corpora every marker match outside these places was advice, not a banner (docs/ranking.md).

- the configured marker phrases (``freshness.markers_*``) count in the **title**, as the **label
  of a heading** ("## Deprecated: kept for history", "## Obsolete", not "## Do not use `git push
  -f`") and in the page's **opening** (its first
  sentence of prose after the leading headings: "This page is deprecated. Acme replaced ...");
- a sentence about the page itself counts anywhere in the marker window: "this page / document
  / guidance / ..." followed by "is / was / has (now) (been)" and a lifecycle word (deprecated,
  withdrawn, archived, obsolete, retired, moved, replaced, superseded, out of date, no longer
  ...). "This page should be replaced" (a plan, not a fact) does not count;
- "current / valid / accurate until <date>" in the title or the opening is an **expiry**: the
  page is due for review then (``expiry``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal

from kb.config import FreshnessSettings
from kb.records import HEADING, MARKER_WINDOW, Document

Kind = Literal["superseded", "deprecated", "outdated"]
OPENING_CHARS = 500
_NOT_PROSE = re.compile(r"^\s*(?:\||[-*+]\s|\d{1,2}[.)]\s|```|~~~)")  # table rows, list items, code
# "should be replaced by": a plan, not the page's state.
_PLAN = re.compile(r"\b(?:should|will|would|could|may|might|must|to)\s+be\s+$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_SUBJECT = (
    r"page|document|doc|guide|guidance|article|runbook|content|section|information|manual|"
    r"process|procedure|policy|playbook|spec|specification|standard|wiki|advice"
)
SELF_REFERENCE = re.compile(
    rf"\bthis (?:{_SUBJECT})\b(?:\s+(?:is|was|has|have|had|been|now|being))+\s+"
    r"(?P<what>deprecated|withdrawn|archived|obsolete|retired|moved|replaced|superseded|"
    r"out of date|outdated|no longer (?:used|maintained|current|valid|accurate|supported))\b",
    re.IGNORECASE,
)
_KIND: dict[str, Kind] = {"moved": "superseded", "replaced": "superseded", "superseded": "superseded"}
_UNTIL = re.compile(
    r"\b(?:current|valid|accurate|correct|in effect)\s+(?:until|till|through|to)\s+(?P<date>[^.\n;)]{6,30})",
    re.IGNORECASE,
)
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%B %Y", "%b %Y")


@dataclass(frozen=True)
class Banner:
    kind: Kind
    phrase: str  # as found, lower-case: what the reasons quote
    rest: str  # the rest of its line: may name the successor


def opening(text: str) -> str:
    """The page's first sentence of prose (lower-case): after its leading headings, and not in a
    table or a list (a page that opens with a table of rules is giving advice, not a banner)."""
    lines = text[:MARKER_WINDOW].splitlines()
    i = 0
    while i < len(lines) and (not lines[i].strip() or HEADING.match(lines[i]) or _NOT_PROSE.match(lines[i])):
        i += 1
    para: list[str] = []
    while i < len(lines) and lines[i].strip() and not HEADING.match(lines[i]):
        para.append(lines[i].strip())
        i += 1
    first = _SENTENCE_END.split("\n".join(para), maxsplit=1)[0]
    return first[:OPENING_CHARS].lower()


def _phrase(text: str, marker: str, *, at_start: bool = False) -> int:
    """Where ``marker`` (lower-case) is in ``text`` on word boundaries, or -1."""
    if not marker or marker not in text:
        return -1
    end = r"(?!\w)" if marker[-1].isalnum() else ""
    if at_start and marker[-1].isalnum():
        end = r"\W*(?:$|[:(\u2013\u2014-])"  # a label: "Deprecated", "Deprecated (2019)"
    start = r"^\W*" if at_start else r"(?<!\w)"
    for m in re.finditer(rf"{start}(?P<m>{re.escape(marker)}){end}", text):
        if not _PLAN.search(text[: m.start("m")]):
            return m.start("m")
    return -1


def _rest(text: str, at: int, length: int) -> str:
    return text[at + length :].split("\n", 1)[0].strip(" :-*_[]()`")


def _configured(title: str, text: str, markers: tuple[tuple[str, ...], ...]) -> Banner | None:
    places = [(title.lower(), False), (opening(text), False)]
    places += [(h.lower(), True) for h in HEADING.findall(text)]
    kinds: tuple[Kind, ...] = ("superseded", "deprecated", "outdated")
    for kind, phrases in zip(kinds, markers, strict=True):
        for marker in (m.lower().strip() for m in phrases):
            for text, at_start in places:
                at = _phrase(text, marker, at_start=at_start)
                if at >= 0:
                    return Banner(kind, marker, _rest(text, at, len(marker)))
    return None


def find_banner(doc: Document, fs: FreshnessSettings) -> Banner | None:
    """What the page says about its own state, strongest kind first; None for no banner."""
    markers = (tuple(fs.markers_superseded), tuple(fs.markers_deprecated), tuple(fs.markers_outdated))
    return _banner(doc.title, doc.text, markers)


# Retrieval assesses every candidate of every query; a page's text (the same string object while
# the document map is unchanged) is read once, not per query.
@lru_cache(maxsize=8192)
def _banner(title: str, full: str, markers: tuple[tuple[str, ...], ...]) -> Banner | None:
    found = _configured(title, full, markers)
    text = f"{title}\n{full[:MARKER_WINDOW]}"
    m = SELF_REFERENCE.search(text)
    if m is not None:
        what = m.group("what").lower()
        kind: Kind = _KIND.get(what, "outdated" if what in ("out of date", "outdated") else "deprecated")
        mine = Banner(kind, m.group(0).lower(), _rest(text.lower(), m.start(), len(m.group(0))))
        rank = {"superseded": 0, "deprecated": 1, "outdated": 2}
        if found is None or rank[mine.kind] < rank[found.kind]:
            return mine
    return found


def _parse_date(text: str) -> datetime | None:
    text = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", " ".join(text.split()).strip(" ,"))
    for n in range(len(text.split()), 0, -1):  # the longest leading run of words that is a date
        head = " ".join(text.split()[:n])
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(head, fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
    return None


def expiry(doc: Document) -> tuple[datetime, str] | None:
    """A stated expiry ("current until 1 March 2024") in the title or the opening: the date and
    the phrase, or None."""
    return _expiry(doc.title, doc.text)


@lru_cache(maxsize=8192)
def _expiry(title: str, full: str) -> tuple[datetime, str] | None:
    for text in (title, opening(full)):
        for m in _UNTIL.finditer(text):
            at = _parse_date(m.group("date"))
            if at is not None:
                return at, " ".join(m.group(0).lower().split())
    return None
