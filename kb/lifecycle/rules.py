"""Ownership and lifecycle rules: fill what a document's source did not say, and record why.

Rules are CODEOWNERS-like ``[[rules]]`` entries in ``config.toml``. Each matches a
case-insensitive glob over the breadcrumb ``Parent/Child/Title`` (``*`` stays within one level,
``**`` spans levels, and ``Security/**`` also matches the page ``Security`` itself). The first
matching rule fills only the fields the document lacks; then the review defaults apply. What the
source said always wins, and ``doc.resolution`` says where each value came from.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kb.config import Rule, Settings
from kb.identity import People, normalize_email
from kb.records import ACTIVE, Document


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    """Translate a rule glob into a regex over the '/'-joined breadcrumb."""
    parts: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("/**", i) and i + 3 == n:
            parts.append("(?:/.*)?")  # "A/**" matches A itself and everything below it
            i += 3
        elif pattern.startswith("**/", i):
            parts.append("(?:.*/)?")  # "**/B" and "A/**/B" also match with zero levels between
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def breadcrumb_key(doc: Document) -> str:
    """The string rules match against: parent titles and the title joined by '/'."""
    return "/".join(p.strip() for p in [*doc.path, doc.title])


def rule_matches(rule: Rule, doc: Document) -> bool:
    if rule.source not in ("*", doc.source):
        return False
    return _compile(rule.match.strip()).fullmatch(breadcrumb_key(doc)) is not None


def matching_rules(doc: Document, settings: Settings) -> list[tuple[int, Rule]]:
    """Matching rules with their 1-based position in the configuration, in order."""
    return [(i, r) for i, r in enumerate(settings.rules, start=1) if rule_matches(r, doc)]


def _why(index: int, rule: Rule) -> str:
    return f"rule {index} ({rule.source} {rule.match})"


def resolve(doc: Document, settings: Settings, people: People | None = None) -> Document:
    """A copy of ``doc`` with owner / review interval / ACL / status filled and explained."""
    people = people or People(settings.people)
    why = dict(doc.resolution)
    update: dict[str, object] = {}
    matches = matching_rules(doc, settings)
    first = matches[0] if matches else None

    owner = doc.owner.strip() if doc.owner else None
    if owner:
        resolved = people.resolve(owner)
        update["owner"] = resolved
        why.setdefault("owner", "source")
        if resolved != owner:
            why["owner"] = f"{why['owner']}; '{owner}' mapped to {resolved} via people"
    elif first and first[1].owner:
        update["owner"] = people.resolve(first[1].owner)
        why["owner"] = _why(*first)
    else:
        update["owner"] = None
        why["owner"] = "none: the source names no owner and no rule sets one"

    if doc.review_interval_days is not None:
        why.setdefault("review_interval_days", "source")
    elif first and first[1].review_interval_days is not None:
        update["review_interval_days"] = first[1].review_interval_days
        why["review_interval_days"] = _why(*first)
    else:
        update["review_interval_days"] = settings.review.default_interval_days
        why["review_interval_days"] = "default review.default_interval_days"

    if doc.acl:
        update["acl"] = sorted({normalize_email(a) for a in doc.acl if a.strip()})
        why.setdefault("acl", "source")
    elif first and first[1].readers is not None:
        update["acl"] = sorted({normalize_email(a) for a in first[1].readers})
        why["acl"] = _why(*first)
    else:
        update["acl"] = sorted({normalize_email(a) for a in settings.review.default_readers})
        why["acl"] = "default review.default_readers"

    # ``status`` always has a value; it counts as unset when it is the default ("active") and the
    # ingestor recorded no reason for it, i.e. the source had no status property.
    status_given = doc.status != ACTIVE or "status" in doc.resolution
    if status_given:
        why.setdefault("status", "source")
    elif first and first[1].status:
        update["status"] = first[1].status.strip().lower()
        why["status"] = _why(*first)
    else:
        why["status"] = "default (active)"

    update["resolution"] = why
    return doc.model_copy(update=update)


def fallback_owner_for(doc: Document, settings: Settings) -> str | None:
    """Who gets escalations for ``doc``: the first matching rule's fallback, else the global one."""
    for _, rule in matching_rules(doc, settings):
        if rule.fallback_owner:
            return People(settings.people).resolve(rule.fallback_owner)
    fallback = settings.alerts.fallback_owner.strip()
    return People(settings.people).resolve(fallback) if fallback else None
