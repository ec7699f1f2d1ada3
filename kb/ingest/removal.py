"""Which documents an ingest may remove, and how a removed one comes back.

An export removes the documents it lacks only when it is a recognisable, complete export of the
same source, and only a bounded share of them:

- an export with no documents, or with no identity (``SourceBatch.identity``: not recognisably
  an export of this kind), changes nothing: ``check_export`` says why and the run fails;
- an export whose identity shares nothing with the one recorded at the source's first ingest
  (``kb.store.export_ids``) is of another workspace or folder: it changes nothing either, unless
  the caller replaces the identity on purpose;
- an incomplete export (part of it unreadable) removes nothing: a missing document may be unread;
- a run that would remove more than ``ingest.max_removal_fraction`` of the source removes none
  unless the caller allows it.

Removed documents are buried (``kb.store.tombstones``) with their chunks and vectors before they
are deleted, so ``restore`` puts one back exactly, without the export or the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kb.records import SourceBatch

_KIND = {"notion": "Notion export", "gdrive": "Drive export"}
_IDENTITY = {
    "notion": "no top-level page or database with a Notion id",
    "gdrive": "no root folder id in export_info.json or the manifest",
}
INCOMPLETE = "part of the export could not be read"
_INDEX_METADATA = ("title", "source", "acl_key")
"""Chunk metadata FreshKB itself writes to the index (the rest is llama-index's node copy)."""


@dataclass(frozen=True)
class RemovalPlan:
    """Documents gone from the export: ``remove`` now, or ``held`` back with ``note`` saying why."""

    remove: list[str]
    held: list[str]
    note: str = ""


def _ids(ids: Sequence[str] | set[str], n: int = 3) -> str:
    shown = sorted(ids)[:n]
    more = f" and {len(ids) - n} more" if len(ids) > n else ""
    return ", ".join(shown) + more


def check_export(batch: SourceBatch, recorded: set[str], *, replace_identity: bool = False) -> str:
    """Why this export must change nothing ('' when it may be ingested)."""
    kind = _KIND[batch.source]
    if not batch.documents:
        return f"the {kind} holds no documents; nothing was changed"
    if not batch.identity:
        return f"not a recognisable {kind} ({_IDENTITY[batch.source]}); nothing was changed"
    if recorded and not recorded & set(batch.identity) and not replace_identity:
        return (
            f"this {kind} is of another workspace or folder (roots {_ids(batch.identity)}) than the "
            f"one this source was first ingested from (roots {_ids(recorded)}); nothing was changed. "
            "If it really replaces that one, run again with --replace-identity"
        )
    return ""


def plan_removal(
    batch: SourceBatch,
    seen: set[str],
    stored: Mapping[str, object],
    *,
    max_fraction: float,
    allow: bool,
) -> RemovalPlan:
    """The stored documents of the source that ``batch`` lacks, and whether to remove them.

    A document an issue names (the export lists it, but it was skipped or could not be read: too
    large to export, an unsupported type now) is still there: its stored copy is kept, as a pull
    keeps a file it can no longer export."""
    listed = {i.doc_id for i in batch.issues if i.doc_id}
    gone = sorted(set(stored) - seen - listed)
    if not batch.complete:
        return RemovalPlan([], gone, INCOMPLETE)
    if not gone:
        return RemovalPlan([], [])
    fraction = len(gone) / len(stored)
    if fraction > max_fraction and not allow:
        return RemovalPlan(
            [],
            gone,
            f"{len(gone)} of {len(stored)} documents ({fraction:.0%}) are missing from the export, "
            f"more than ingest.max_removal_fraction ({max_fraction:.0%}); none were removed. "
            "If they really are gone, run again with --allow-removals",
        )
    return RemovalPlan(gone, [])


def index_metadata(meta: Mapping[str, object]) -> dict[str, str | int | float | bool]:
    """The part of a chunk's index metadata that ``VectorIndex.upsert`` takes back."""
    return {k: v for k in _INDEX_METADATA if isinstance(v := meta.get(k), str | int | float | bool)}
