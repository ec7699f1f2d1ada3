"""The ingest pipeline: export -> rules -> redaction -> diff -> chunk + embed -> Chroma -> store.

Crash safety rests on two facts. Chunk ids are deterministic (``<doc_id>#<i>``), so re-writing a
document upserts instead of duplicating. And the SQLite commit of a document (record + chunk
texts) comes after its vectors are written: until then the store still holds the old content
hash, so the next run re-embeds it. Vectors left behind by a killed run (ids the store does not
know) are dropped by ``reconcile`` at the start of every run.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kb.chunking import chunk_document, embedding_text
from kb.config import Settings
from kb.errors import IngestError, KBError
from kb.index import acl_key
from kb.records import Chunk, Document, IngestIssue, IngestReport, Source, SourceBatch
from kb.rules import resolve
from kb.runtime import Runtime
from kb.secrets import SecretFinding, redact_document
from kb.store.secrets import SecretFindings

Progress = Callable[[int, int], None]
"""Called with (chunks embedded so far, chunks to embed in this run)."""


class Reader(Protocol):
    def read(self, path: Path) -> SourceBatch: ...


ReaderFactory = Callable[[Settings], Reader]

SOURCES: dict[str, Source] = {"notion": "notion", "gdrive": "gdrive", "drive": "gdrive"}
_READERS: dict[Source, tuple[str, str]] = {
    "notion": ("ingestors.notion", "NotionIngestor"),
    "gdrive": ("ingestors.drive", "DriveIngestor"),
}


def source_name(source: str) -> Source:
    try:
        return SOURCES[source.strip().lower()]
    except KeyError:
        raise IngestError(f"unknown source; expected one of {', '.join(SOURCES)}", subject=source) from None


def default_reader(source: Source) -> ReaderFactory:
    module, cls = _READERS[source]
    return getattr(importlib.import_module(module), cls)  # type: ignore[no-any-return]


@dataclass
class _Pending:
    """A document whose content changed: chunked, waiting for its vectors."""

    doc: Document
    chunks: list[Chunk]
    findings: list[SecretFinding]
    added: bool


@dataclass
class _Run:
    report: IngestReport
    progress: Progress | None
    total: int = 0
    done: int = 0
    group: list[_Pending] = field(default_factory=list)


class Ingester:
    def __init__(self, runtime: Runtime, readers: Mapping[str, ReaderFactory] | None = None) -> None:
        self.rt = runtime
        self.settings = runtime.settings
        self.findings = SecretFindings(runtime.db)
        self._readers = {source_name(k): v for k, v in (readers or {}).items()}
        # One embedding call per group of about this many chunks, across documents; small enough
        # that a killed run has committed most of its work.
        self.group_chunks = max(32, self.settings.model.batch_size)

    # -- the run --------------------------------------------------------------------------------
    def ingest(self, source: str, path: Path, progress: Progress | None = None) -> IngestReport:
        started = time.monotonic()
        src = source_name(source)
        missing_vectors = self.reconcile()
        batch = self._read(src, Path(path))
        run = _Run(IngestReport(source=src, input=str(path), failed=list(batch.issues)), progress)
        stored = self.rt.documents.hashes(src)
        docs = self._prepare(batch, run.report)

        changed: list[tuple[Document, list[SecretFinding]]] = []
        for doc, findings in docs:
            old = stored.get(doc.doc_id)
            if old is None or old[0] != doc.content_hash or doc.doc_id in missing_vectors:
                changed.append((doc, findings))
            elif old[1] != doc.metadata_hash():
                self._update_metadata(doc, findings)
                run.report.updated.append(doc.doc_id)
            else:
                run.report.unchanged.append(doc.doc_id)

        pending = self._chunk_all(changed, stored, run.report)
        run.total = sum(len(p.chunks) for p in pending)
        if progress and run.total:
            progress(0, run.total)
        for item in pending:
            run.group.append(item)
            if sum(len(p.chunks) for p in run.group) >= self.group_chunks:
                self._flush(run)
        self._flush(run)

        self._remove_missing(batch, {d.doc_id for d, _ in docs}, stored, run.report)
        run.report.seconds = round(time.monotonic() - started, 3)
        return run.report

    def reconcile(self) -> set[str]:
        """Drop vectors the store does not know (a killed run's leftovers); return the doc ids
        whose stored chunks lack vectors, so this run re-embeds them."""
        index_ids = self.rt.index.chunk_ids()
        store_ids = self.rt.documents.chunk_ids()
        self.rt.index.delete_chunks(index_ids - store_ids)
        return {cid.rsplit("#", 1)[0] for cid in store_ids - index_ids}

    # -- steps ----------------------------------------------------------------------------------
    def _read(self, source: Source, path: Path) -> SourceBatch:
        factory = self._readers.get(source) or default_reader(source)
        batch = factory(self.settings).read(path)
        if batch.source != source:
            raise IngestError(
                f"reader returned a {batch.source} batch for source {source}", subject=str(path)
            )
        return batch

    def _prepare(
        self, batch: SourceBatch, report: IngestReport
    ) -> list[tuple[Document, list[SecretFinding]]]:
        """Resolve rules, redact secrets, hash; one document per id (the first wins)."""
        out: dict[str, tuple[Document, list[SecretFinding]]] = {}
        for raw in batch.documents:
            if raw.doc_id in out:
                report.failed.append(
                    IngestIssue(
                        input=raw.source_path or raw.doc_id,
                        doc_id=raw.doc_id,
                        reason="duplicate document id; the first one was kept",
                    )
                )
                continue
            doc, findings = redact_document(resolve(raw, self.settings, self.rt.people))
            doc = doc.model_copy(update={"content_hash": doc.compute_content_hash()})
            out[doc.doc_id] = (doc, findings)
        return list(out.values())

    def _chunk_all(
        self,
        changed: list[tuple[Document, list[SecretFinding]]],
        stored: Mapping[str, tuple[str, str]],
        report: IngestReport,
    ) -> list[_Pending]:
        pending = []
        for doc, findings in changed:
            try:
                chunks = chunk_document(doc, self.settings.index)
            except (ValueError, RuntimeError) as err:  # one bad document must not stop the run
                report.failed.append(
                    IngestIssue(
                        input=doc.source_path or doc.doc_id, doc_id=doc.doc_id, reason=f"cannot chunk: {err}"
                    )
                )
                continue
            key = acl_key(doc.acl)
            for c in chunks:
                c.metadata["acl_key"] = key
            pending.append(_Pending(doc, chunks, findings, added=doc.doc_id not in stored))
        return pending

    def _flush(self, run: _Run) -> None:
        """Embed a group of documents in one call, write their vectors, then commit each."""
        group, run.group = run.group, []
        if not group:
            return
        chunks = [c for p in group for c in p.chunks]
        try:
            vectors = self.rt.embedder.embed([embedding_text(c) for c in chunks])
        except KBError:
            raise
        except Exception as err:
            raise IngestError(f"embedding failed: {err}", subject=self.settings.model.name) from err
        self.rt.index.upsert(chunks, vectors)
        # After reconcile, a document's vectors are its stored chunks plus those just written.
        stale = {c.chunk_id for p in group for c in self.rt.documents.chunks_for(p.doc.doc_id)}
        self.rt.index.delete_chunks(stale - {c.chunk_id for c in chunks})
        for item in group:
            self.rt.documents.upsert(item.doc, item.chunks)  # the commit point
            self.findings.replace(item.doc.doc_id, item.findings, self.rt.clock.now())
            (run.report.added if item.added else run.report.updated).append(item.doc.doc_id)
        run.report.chunks_embedded += len(chunks)
        run.done += len(chunks)
        if run.progress:
            run.progress(run.done, run.total)

    def _update_metadata(self, doc: Document, findings: list[SecretFinding]) -> None:
        old = self.rt.documents.get(doc.doc_id, with_text=False)
        if old is None or acl_key(old.acl) != acl_key(doc.acl):
            self.rt.index.update_acl(doc.doc_id, doc.acl)
        self.rt.documents.upsert(doc)
        self.findings.replace(doc.doc_id, findings, self.rt.clock.now())

    def _remove_missing(
        self, batch: SourceBatch, seen: set[str], stored: Mapping[str, tuple[str, str]], report: IngestReport
    ) -> None:
        gone = sorted(set(stored) - seen)
        if not batch.complete:
            # Part of the export was unreadable: a missing document may just be unread.
            report.removal_skipped = True
            return
        if not gone:
            return
        self.rt.documents.delete(gone)  # store first: leftover vectors are reconciled next run
        self.rt.index.delete_docs(gone)
        report.removed.extend(gone)
