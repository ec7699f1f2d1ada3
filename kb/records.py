"""Typed records shared by ingestors, the store, retrieval, the API and alerts.

A ``Document`` is one Notion page / database row or one Drive file, with the lifecycle metadata
FreshKB exists to keep: owner, last edit, last review, review interval, status, successor, ACL.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["notion", "gdrive"]

EVERYONE = "everyone"
"""ACL entry meaning any authenticated principal may read."""

# Statuses a document can carry from its source or from configuration.
ACTIVE = "active"
DEPRECATED = "deprecated"
ARCHIVED = "archived"
DRAFT = "draft"


class Document(BaseModel):
    """One source document with its resolved lifecycle metadata.

    ACL entries are ``everyone``, ``user:<email>``, ``group:<name-or-email>`` or
    ``domain:<domain>``; all lower-case.
    """

    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(description="notion:<32 hex> or gdrive:<fileId>; stable across re-ingests")
    source: Source
    title: str
    path: list[str] = Field(default_factory=list, description="breadcrumb of parent titles")
    url: str | None = None
    owner: str | None = Field(None, description="email when resolvable, else the exported name")
    last_edited_at: datetime | None = None
    last_edited_by: str | None = None
    last_reviewed_at: datetime | None = None
    review_interval_days: int | None = None
    status: str = ACTIVE
    supersedes: list[str] = Field(default_factory=list)
    superseded_by: str | None = None
    acl: list[str] = Field(default_factory=list)
    content_hash: str = ""
    text: str = ""
    properties: dict[str, Any] = Field(default_factory=dict, description="raw source properties")
    source_path: str = Field("", description="where the document sits inside its export")
    links: list[str] = Field(default_factory=list, description="doc ids this document links to")
    resolution: dict[str, str] = Field(
        default_factory=dict, description="field -> why it has its value (property, rule, default)"
    )

    @property
    def breadcrumb(self) -> str:
        return " / ".join([*self.path, self.title])

    def compute_content_hash(self) -> str:
        """Hash of what gets embedded: a change here means the chunks must be re-embedded."""
        h = hashlib.sha256()
        h.update(self.title.encode())
        h.update(b"\0")
        h.update(self.text.encode())
        return h.hexdigest()

    def metadata_hash(self) -> str:
        """Hash of everything else; a change here updates the record without re-embedding."""
        data = self.model_dump(mode="json", exclude={"text", "content_hash"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


class IngestIssue(BaseModel):
    """A problem with one input; ingestion goes on without it."""

    model_config = ConfigDict(extra="forbid")

    input: str = Field(description="the entry, file or line the issue is about")
    reason: str
    doc_id: str | None = None
    severity: Literal["error", "warning"] = "error"


class SourceBatch(BaseModel):
    """What an ingestor read from one export."""

    model_config = ConfigDict(extra="forbid")

    source: Source
    documents: list[Document] = Field(default_factory=list)
    issues: list[IngestIssue] = Field(default_factory=list)
    complete: bool = Field(
        True,
        description="False when part of the export could not be read, so absence of a "
        "document does not mean it was deleted",
    )
    identity: list[str] = Field(
        default_factory=list,
        description="what this is an export of (Notion: the ids of its top-level pages and "
        "databases; Drive: the root folder id); empty when the export is not recognisable",
    )
    findings: dict[str, list[SecretFinding]] = Field(
        default_factory=dict,
        description="secrets an ingestor already redacted, by doc id (the API pullers redact "
        "before they store a page); the pipeline reports them with what it finds itself",
    )


class Chunk(BaseModel):
    """A piece of a document that is embedded and indexed."""

    model_config = ConfigDict(extra="forbid")

    chunk_id: str = Field(description="<doc_id>#<index>: deterministic so re-runs converge")
    doc_id: str
    index: int
    text: str
    heading: str = ""
    metadata: dict[str, str | int | float | bool] = Field(default_factory=dict)


class DocRef(BaseModel):
    """A pointer to a document a reader may see: a citation's source, a successor."""

    doc_id: str
    title: str
    url: str | None = None
    inferred: bool = Field(False, description="a guessed successor (newer page on the same topic)")
    reason: str = Field("", description="why it is the successor, in plain words")


class Principal(BaseModel):
    """Who a query runs as."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str
    groups: frozenset[str] = frozenset()
    admin: bool = False

    def acl_entries(self) -> frozenset[str]:
        """ACL entries that grant this principal access."""
        user = self.user.lower()
        entries = {EVERYONE, f"user:{user}"}
        entries.update(f"group:{g.lower()}" for g in self.groups)
        if "@" in user:
            entries.add(f"domain:{user.rsplit('@', 1)[1]}")
        return frozenset(entries)

    def can_read(self, acl: list[str]) -> bool:
        if self.admin:
            return True
        return bool(self.acl_entries().intersection(a.lower() for a in acl))


class IngestReport(BaseModel):
    """Summary of one ``kb ingest`` run."""

    model_config = ConfigDict(extra="forbid")

    source: Source
    input: str
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    failed: list[IngestIssue] = Field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = Field(
        0, description="chunks of changed documents written with an unchanged chunk's stored vector"
    )
    removal_skipped: bool = False
    removal_held: list[str] = Field(
        default_factory=list, description="documents missing from the export that were kept"
    )
    removal_note: str = Field("", description="why documents missing from the export were kept")
    refused: str = Field("", description="why this run changed nothing (set: the run failed)")
    dry_run: bool = Field(False, description="nothing was written; the lists say what would change")
    successors_inferred: int | None = Field(
        None, description="inferred successor pairs stored after this run (None: not recomputed)"
    )
    seconds: float = 0.0

    @property
    def read_anything(self) -> bool:
        return bool(self.added or self.updated or self.unchanged or self.removed)


class SecretFinding(BaseModel):
    """One secret found (and redacted) in a document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(description="e.g. aws-access-key, private-key, password-assignment")
    line: int = Field(description="1-based line in the field where it starts (0: not line-based)")
    preview: str = Field(description="masked preview; never the secret")
    field: str = Field("text", description="text, title or properties.<name>")


# Banners ("Deprecated", "Superseded by …") are read from the top of a page and its headings.
MARKER_WINDOW = 1500
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*)$", re.MULTILINE)


def marker_excerpt(text: str) -> str:
    """The part of a text markers are searched in (top of the page and headings): lets a caller
    keep only this in memory and still get the same assessment."""
    headings = "\n".join(f"# {h}" for h in HEADING.findall(text[MARKER_WINDOW:]))
    return f"{text[:MARKER_WINDOW]}\n{headings}" if headings else text[:MARKER_WINDOW]


# JSON Schema patterns use ECMAScript's \s: blank means only these characters (Python's
# str.strip() also strips control characters such as \x1e, which the schema's "\S" accepts).
_ECMA_SPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def is_blank(value: str) -> bool:
    """True when ``value`` has nothing but whitespace, as the schema's ``"pattern": "\\S"`` judges."""
    return not value.strip(_ECMA_SPACE)
