"""Find and redact credentials pasted into documents, so they are never embedded, stored or served.

A small set of high-signal patterns (cloud keys, private key blocks, vendor tokens, JWTs,
``password = ...`` assignments, ``scheme://user:password@host`` URLs). Findings carry a masked
preview only, never the secret itself, so they can go into owners' digests.

Foundation, not part of ``kb.ingest``: the ingest pipeline redacts every document it stores, and
the API pullers (``ingestors/notion_api.py``, ``ingestors/drive_api.py``) redact with the same
functions before they keep a page in ``kb.store.pull_state``. Redaction is idempotent (a
``[REDACTED:<kind>]`` marker is never found again), so a document redacted by a puller passes the
pipeline unchanged and keeps its raw hash from one pull to the next.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kb.records import Document, SecretFinding


@dataclass(frozen=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    group: int = 0  # the group holding the secret; only it is replaced


# Placeholders people write instead of a secret: redacting them would only add noise.
_PLACEHOLDER = re.compile(
    r"^(?:[<{$%]|\*{3,}|x{3,}|\.{3,}|\[redacted"
    r"|(?:none|null|redacted|example|changeme|required)$)",
    re.IGNORECASE,
)

_PATTERNS: tuple[_Pattern, ...] = (
    _Pattern(
        "private-key",
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
            # an unterminated block is redacted to the end of the text: safer than leaking the rest
            r"(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|.*)",
            re.DOTALL,
        ),
    ),
    _Pattern("aws-access-key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|AIPA)[0-9A-Z]{16}\b")),
    _Pattern(
        "github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b")
    ),
    _Pattern("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    _Pattern("slack-webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}")),
    _Pattern("stripe-key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b")),
    _Pattern("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    _Pattern("url-password", re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:([^\s@/]+)@"), group=1),
    _Pattern(
        "password-assignment",
        re.compile(
            # db_password, CLIENT_SECRET, auth-token, secret_key ...: a prefix may precede the key word
            r"(?i)(?<![a-z0-9])(?:[a-z0-9]+[_-])*(?:password|passwd|pwd|secret|token|api[_-]?key"
            r"|access[_-]?key)(?:[_-]key)?(?![a-z0-9])[\"']?\s*[:=]\s*([\"']?)"
            r"([^\s\"'`,;]{3,}[^\s\"'`,;.])\1"
        ),
        group=2,
    ),  # a sentence's full stop is not the value
)


_MARKER = "[REDACTED:"


def _plausible(kind: str, value: str) -> bool:
    """Assignments in prose ("Password: required") are not secrets; a value with a digit or a
    symbol, or a long one, is. Our own marker is never a secret (``postgres://u:[REDACTED:…]@h``)."""
    if value.startswith(_MARKER):
        return False
    if kind != "password-assignment":
        return True
    if _PLACEHOLDER.match(value):
        return False
    return len(value) >= 12 or bool(re.search(r"[\d\W_]", value))


def _mask(value: str) -> str:
    shown = value[: min(4, len(value) // 4)]
    return f"{shown}{'*' * 8}"


def _matches(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) spans to replace, earliest and longest first."""
    spans: list[tuple[int, int, str]] = []
    for pat in _PATTERNS:
        for m in pat.regex.finditer(text):
            start, end = m.span(pat.group)
            if start < end and _plausible(pat.kind, m.group(pat.group)):
                spans.append((start, end, pat.kind))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int, str]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def redact(text: str, field: str = "text") -> tuple[str, list[SecretFinding]]:
    """``text`` with each secret replaced by ``[REDACTED:<kind>]``, and what was found."""
    spans = _matches(text)
    if not spans:
        return text, []
    out: list[str] = []
    findings: list[SecretFinding] = []
    pos = 0
    for start, end, kind in spans:
        out.append(text[pos:start])
        out.append(f"{_MARKER}{kind}]")
        findings.append(
            SecretFinding(
                kind=kind, line=text.count("\n", 0, start) + 1, preview=_mask(text[start:end]), field=field
            )
        )
        pos = end
    out.append(text[pos:])
    return "".join(out), findings


def find_secrets(text: str) -> list[SecretFinding]:
    return redact(text)[1]


def _redact_value(value: Any, field: str) -> tuple[Any, list[SecretFinding]]:
    """Strings anywhere inside ``value`` (lists and mappings included) redacted."""
    if isinstance(value, str):
        return redact(value, field)
    findings: list[SecretFinding] = []
    if isinstance(value, list):
        out = []
        for item in value:
            item, found = _redact_value(item, field)
            out.append(item)
            findings += found
        return out, findings
    if isinstance(value, dict):
        mapped = {}
        for key, item in value.items():
            key, found_key = _redact_value(key, field) if isinstance(key, str) else (key, [])
            item, found = _redact_value(item, f"{field}.{key}")
            mapped[key] = item
            findings += found_key + found
        return mapped, findings
    return value, []


# Every stored or served field that can carry text from the export; ids, ACLs, hashes, dates and
# statuses are FreshKB's own vocabulary (an id is needed as it is, to match documents across runs).
_FREE_TEXT = ("title", "path", "url", "owner", "last_edited_by", "source_path", "properties", "resolution")


def redact_document(doc: Document) -> tuple[Document, list[SecretFinding]]:
    """Redact the text and every other free-text field (title, breadcrumb, URL, people, the
    path inside the export, properties at any depth, resolution notes): all are stored, and
    most are served."""
    text, findings = redact(doc.text)
    update: dict[str, Any] = {}
    for name in _FREE_TEXT:
        value, found = _redact_value(getattr(doc, name), name)
        if found:
            update[name] = value
            findings += [f.model_copy(update={"line": 0}) if name != "properties" else f for f in found]
    if not findings:
        return doc, []
    return doc.model_copy(update={"text": text, **update}), findings


def redact_rebuilt(
    doc: Document, stored: Document | None, stored_findings: Iterable[SecretFinding]
) -> tuple[Document, list[SecretFinding]]:
    """Redact a document a puller built (partly) from what it stored, already redacted (the text
    of an unchanged page, breadcrumbs from stored folder names). A field with nothing found now
    that equals its stored value keeps the findings made when it was first redacted, so an
    unchanged page reports the same secrets on every pull."""
    doc, found = redact_document(doc)
    if stored is None:
        return doc, found
    fresh = {f.field.split(".")[0] for f in found}

    def same(field: str) -> bool:
        name = field.split(".")[0]
        return name not in fresh and getattr(doc, name, None) == getattr(stored, name, None)

    return doc, [f for f in stored_findings if same(f.field)] + found
