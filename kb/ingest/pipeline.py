"""The ingest pipeline: export -> rules -> redaction -> diff -> chunk + embed -> Chroma -> store.

Crash safety rests on two facts. Chunk ids are deterministic (``<doc_id>#<i>``), so re-writing a
document upserts instead of duplicating. And the SQLite commit of a document (record + chunk
texts) comes after its vectors are written: until then the store still holds the old content
hash, so the next run re-embeds it. Vectors left behind by a killed run (ids the store does not
know) are dropped by ``reconcile`` at the start of every run.

Two runs at once could drop each other's uncommitted vectors in ``reconcile``, so a run holds the
store's ``ingest`` lease (``kb.store.locks``) from start to end; a second run fails fast naming
the holder. An unchanged re-ingest skips rules, redaction and hashing of the text for documents
whose raw form (as the ingestor read it, plus a fingerprint of the settings and code that shape
the stored record) matches what was recorded when the stored record was written.

After a run that added, changed or removed anything, successors are inferred across the whole
store and stored (``kb.ingest.successors``; ``IngestReport.successors_inferred``).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Protocol

from kb.clock import Clock
from kb.config import Settings
from kb.errors import IngestError, KBError
from kb.identity import People
from kb.ingest.chunking import chunk_document, embedding_text
from kb.ingest.duplicates import Text, find_near_duplicates
from kb.ingest.removal import RemovalPlan, check_export, index_metadata, plan_removal
from kb.ingest.reuse import reusable_vectors
from kb.ingest.sentences import backfill, sentence_rows, sentence_texts
from kb.ingest.successors import refresh_inferred
from kb.lifecycle.rules import resolve
from kb.records import Chunk, Document, IngestIssue, IngestReport, SecretFinding, Source, SourceBatch
from kb.redaction import redact_document
from kb.search.embedding import Embedder
from kb.search.index import VectorIndex, acl_key
from kb.store.db import Database
from kb.store.documents import DocumentStore
from kb.store.duplicates import NearDuplicates
from kb.store.export_ids import ExportIdentities
from kb.store.inferred_successors import InferredSuccessors
from kb.store.locks import Lease
from kb.store.raw_hashes import RawEntry, RawHashes
from kb.store.secrets import SecretFindings
from kb.store.sentence_vectors import SentenceRow, SentenceVectors
from kb.store.tombstones import BuriedChunk, Tombstones

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


# Code that turns a raw document into its stored record: editing it must invalidate raw hashes.
_RECORD_CODE = (
    "kb.records",
    "kb.identity",
    "kb.lifecycle.rules",
    "kb.redaction",
    "kb.ingest.chunking",
)


def _source(name: str) -> bytes:
    """A module's source code (its name when the source cannot be read)."""
    file = getattr(importlib.import_module(name), "__file__", None)
    try:
        return Path(file).read_bytes() if file else name.encode()
    except OSError:
        return name.encode()


@cache
def _code_fingerprint() -> bytes:
    h = hashlib.sha256()
    for name in _RECORD_CODE:
        h.update(_source(name))
    return h.digest()


def record_fingerprint(settings: Settings) -> bytes:
    """Everything besides the raw document that decides its stored record and chunks."""
    shaping = settings.model_dump(
        mode="json",
        include={
            "rules": True,
            "people": True,
            "review": {"default_interval_days", "default_readers"},
            "index": {"chunk_size", "chunk_overlap"},
            "model": {"name"},
        },
    )
    h = hashlib.sha256(_code_fingerprint())
    h.update(json.dumps(shaping, sort_keys=True).encode())
    return h.digest()


def embedding_fingerprint(settings: Settings) -> str:
    """What decides a document's chunks and vectors besides its title and text: the model and the
    chunking (settings and code). Part of the stored content hash, so changing any of them
    re-chunks and re-embeds every document on the next ingest instead of mixing vector spaces."""
    index = settings.index
    return _embedding_fingerprint(settings.model.name, index.chunk_size, index.chunk_overlap)


@cache
def _embedding_fingerprint(model: str, chunk_size: int, chunk_overlap: int) -> str:
    h = hashlib.sha256(f"{model}\0{chunk_size}\0{chunk_overlap}\0".encode())
    h.update(_source("kb.ingest.chunking"))
    return h.hexdigest()


def content_hash(doc: Document, settings: Settings) -> str:
    """The stored content hash: the document's title and text, and the embedding fingerprint."""
    joined = f"{doc.compute_content_hash()}\0{embedding_fingerprint(settings)}"
    return hashlib.sha256(joined.encode()).hexdigest()


def raw_hash(raw: Document, fingerprint: bytes) -> str:
    """Hash of a document as the ingestor returned it (before rules and redaction)."""
    h = hashlib.sha256(fingerprint)
    h.update(raw.model_dump_json().encode())
    return h.hexdigest()


@dataclass
class _Prepared:
    """A document after rules and redaction, with the raw hash it came from."""

    doc: Document
    findings: list[SecretFinding]
    raw_hash: str

    def raw_entry(self) -> RawEntry:
        return RawEntry(self.doc.doc_id, self.raw_hash, self.doc.content_hash, self.doc.metadata_hash())


@dataclass
class _Pending:
    """A document whose content changed: chunked, waiting for its vectors."""

    item: _Prepared
    chunks: list[Chunk]
    added: bool

    @property
    def doc(self) -> Document:
        return self.item.doc


@dataclass(frozen=True)
class IngestOptions:
    """How far a run may go (``kb.ingest.removal`` explains the guards)."""

    dry_run: bool = False  # read and diff only: the report says what would change
    allow_removals: bool = False  # remove even more than ingest.max_removal_fraction
    replace_identity: bool = False  # take an export of another workspace/folder as this source's


@dataclass
class _Run:
    report: IngestReport
    progress: Progress | None
    lease: Lease | None
    options: IngestOptions = field(default_factory=IngestOptions)
    total: int = 0
    done: int = 0
    group: list[_Pending] = field(default_factory=list)
    writing: Future[None] | None = None  # the previous group's write, running beside the model


class Ingester:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        documents: DocumentStore,
        people: People,
        index: Callable[[], VectorIndex],
        embedder: Callable[[], Embedder],
        clock: Clock,
        readers: Mapping[str, ReaderFactory] | None = None,
    ) -> None:
        """``index`` and ``embedder`` are factories: Chroma opens once the run holds the lock, and
        the model loads only when something needs embedding (an unchanged re-run never loads it).
        ``kb.runtime.Runtime.ingester`` builds one from the configured parts."""
        self.settings = settings
        self.db = db
        self.documents = documents
        self.people = people
        self.clock = clock
        self._index = index
        self._embedder = embedder
        self.findings = SecretFindings(db)
        self.raw_hashes = RawHashes(db)
        self.identities = ExportIdentities(db)
        self.tombstones = Tombstones(db)
        self.inferred = InferredSuccessors(db)
        self.sentences = SentenceVectors(db)
        self.duplicates = NearDuplicates(db)
        self._readers = {source_name(k): v for k, v in (readers or {}).items()}
        # One embedding call, one Chroma upsert and the commits per group of about this many
        # chunks, across documents.
        self.group_chunks = self.settings.ingest.embed_group_chunks

    @property
    def index(self) -> VectorIndex:
        return self._index()

    def with_readers(self, readers: Mapping[str, ReaderFactory]) -> Ingester:
        """The same pipeline reading sources through ``readers`` (the API pullers use this)."""
        return Ingester(
            self.settings,
            self.db,
            documents=self.documents,
            people=self.people,
            index=self._index,
            embedder=self._embedder,
            clock=self.clock,
            readers=readers,
        )

    # -- the run --------------------------------------------------------------------------------
    def ingest(
        self,
        source: str,
        path: Path,
        progress: Progress | None = None,
        options: IngestOptions | None = None,
    ) -> IngestReport:
        started = time.monotonic()
        src = source_name(source)
        options = options or IngestOptions()
        report = IngestReport(source=src, input=str(path), dry_run=options.dry_run)
        if options.dry_run:  # writes nothing, so needs no lock and does not reconcile
            self._dry_run(src, Path(path), report, options)
        else:
            lease = self._lock()
            run = _Run(report, progress, lease, options)
            try:
                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-ingest-write") as writer:
                    try:
                        self._ingest(src, Path(path), run, writer)
                    finally:
                        self._await_write(run)  # never release the lock with a write in flight
            finally:
                lease.release()
        report.seconds = round(time.monotonic() - started, 3)
        return report

    def _lock(self) -> Lease:
        lease = Lease(
            self.db, "ingest", stale_after=timedelta(seconds=self.settings.ingest.lock_stale_seconds)
        )
        holder = lease.acquire()
        if holder is not None:
            raise IngestError(
                f"another ingest is running ({holder.describe()}); wait for it to finish, or for "
                f"its lock to go stale ({self.settings.ingest.lock_stale_seconds}s without a heartbeat)",
                subject=self.settings.store_target,
            )
        return lease

    def _checked_read(
        self, src: Source, path: Path, report: IngestReport, options: IngestOptions
    ) -> SourceBatch | None:
        """The export, or None (with ``report.refused`` saying why) when it must change nothing."""
        batch = self._read(src, path)
        report.failed.extend(batch.issues)
        report.refused = check_export(
            batch, self.identities.get(src), replace_identity=options.replace_identity
        )
        return None if report.refused else batch

    def _plan_removal(
        self, batch: SourceBatch, seen: set[str], stored: Mapping[str, object], options: IngestOptions
    ) -> RemovalPlan:
        return plan_removal(
            batch,
            seen,
            stored,
            max_fraction=self.settings.ingest.max_removal_fraction,
            allow=options.allow_removals,
        )

    def _dry_run(self, src: Source, path: Path, report: IngestReport, options: IngestOptions) -> None:
        batch = self._checked_read(src, path, report, options)
        if batch is None:
            return
        stored = self.documents.hashes(src)
        docs, seen = self._prepare(batch, self.raw_hashes.valid(src), report)
        for item in docs:
            old = stored.get(item.doc.doc_id)
            if old is None:
                report.added.append(item.doc.doc_id)
            elif old == (item.doc.content_hash, item.doc.metadata_hash()):
                report.unchanged.append(item.doc.doc_id)
            else:
                report.updated.append(item.doc.doc_id)
        self._report_removal(self._plan_removal(batch, seen, stored, options), report)

    @staticmethod
    def _report_removal(plan: RemovalPlan, report: IngestReport) -> None:
        report.removed.extend(plan.remove)
        report.removal_held.extend(plan.held)
        report.removal_skipped = bool(plan.note)
        report.removal_note = plan.note

    def _ingest(self, src: Source, path: Path, run: _Run, writer: ThreadPoolExecutor) -> None:
        missing_vectors = self.reconcile()
        self._purge_tombstones()
        batch = self._checked_read(src, path, run.report, run.options)
        if batch is None:
            return
        stored = self.documents.hashes(src)
        known = {k: v for k, v in self.raw_hashes.valid(src).items() if k not in missing_vectors}
        docs, seen = self._prepare(batch, known, run.report)

        changed: list[_Prepared] = []
        settled: list[RawEntry] = []  # unchanged or metadata-only: record their raw hashes now
        for item in docs:
            doc = item.doc
            old = stored.get(doc.doc_id)
            if old is None or old[0] != doc.content_hash or doc.doc_id in missing_vectors:
                changed.append(item)
                continue
            if old[1] != doc.metadata_hash():
                self._update_metadata(doc, item.findings)
                run.report.updated.append(doc.doc_id)
            else:
                run.report.unchanged.append(doc.doc_id)
            settled.append(item.raw_entry())
        self.raw_hashes.record(settled)

        pending = self._chunk_all(changed, stored, run.report)
        run.total = sum(len(p.chunks) for p in pending)
        if run.progress and run.total:
            run.progress(0, run.total)
        grouped = 0
        for p in pending:
            run.group.append(p)
            grouped += len(p.chunks)
            if grouped >= self.group_chunks:
                self._flush(run, writer)
                grouped = 0
        self._flush(run, writer)
        self._await_write(run)

        plan = self._plan_removal(batch, seen, stored, run.options)
        self._remove(plan.remove, reason=f"missing from {src} export {path}")
        self._report_removal(plan, run.report)
        recorded = set() if run.options.replace_identity else self.identities.get(src)
        self.identities.record(src, recorded | set(batch.identity))
        report = run.report
        if report.added or report.updated or report.removed or not self.inferred.version():
            report.successors_inferred = refresh_inferred(self.db, self.documents, self.index, self.clock)
        self.backfill_sentences()
        self.find_duplicates()

    def backfill_sentences(self) -> int:
        """Embed the answerer's sentences of stored chunks that have none (``kb.ingest.sentences``);
        returns the chunks filled."""
        return backfill(
            self.documents,
            self.sentences,
            self.settings.model.name,
            lambda texts: self._embedder().embed(texts),
            self.group_chunks,
        )

    def find_duplicates(self) -> None:
        """Recompute the near-duplicate pairs over every stored document (``kb.ingest.duplicates``)."""
        if not self.settings.duplicates.enabled:
            self.duplicates.replace([])
            return
        texts = (Text(d.doc_id, d.source, d.title, d.text) for d in self.documents.list(with_text=True))
        self.duplicates.replace(find_near_duplicates(texts, self.settings.duplicates), self.clock.now())

    def reconcile(self) -> set[str]:
        """Drop vectors the store does not know (a killed run's leftovers); return the doc ids
        whose stored chunks lack vectors, so this run re-embeds them."""
        index_ids = self.index.chunk_ids()
        store_ids = self.documents.chunk_ids()
        self.index.delete_chunks(index_ids - store_ids)
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
        self, batch: SourceBatch, known: Mapping[str, str], report: IngestReport
    ) -> tuple[list[_Prepared], set[str]]:
        """Resolve rules, redact secrets, hash; one document per id (the first wins).

        A document whose raw hash is ``known`` (recorded with its current stored record) is
        unchanged: it is reported as such and skipped. Returns the rest and every id seen.
        """
        fingerprint = record_fingerprint(self.settings)
        seen: set[str] = set()
        out: list[_Prepared] = []
        for raw in batch.documents:
            if raw.doc_id in seen:
                report.failed.append(
                    IngestIssue(
                        input=raw.source_path or raw.doc_id,
                        doc_id=raw.doc_id,
                        reason="duplicate document id; the first one was kept",
                    )
                )
                continue
            seen.add(raw.doc_id)
            digest = raw_hash(raw, fingerprint)
            if known.get(raw.doc_id) == digest:
                report.unchanged.append(raw.doc_id)
                continue
            doc, findings = redact_document(resolve(raw, self.settings, self.people))
            findings = [*batch.findings.get(raw.doc_id, ()), *findings]  # a puller redacted first
            doc = doc.model_copy(update={"content_hash": content_hash(doc, self.settings)})
            out.append(_Prepared(doc, findings, digest))
        return out, seen

    def _chunk_all(
        self, changed: list[_Prepared], stored: Mapping[str, tuple[str, str]], report: IngestReport
    ) -> list[_Pending]:
        pending = []
        for item in changed:
            doc = item.doc
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
            pending.append(_Pending(item, chunks, added=doc.doc_id not in stored))
        return pending

    def _flush(self, run: _Run, writer: ThreadPoolExecutor) -> None:
        """Embed a group of documents in one call, then hand its writes to the writer thread, so
        Chroma and SQLite work on group N while the model embeds group N + 1. Groups are written
        in order, one at a time, each vectors first and then its commits (the crash-safety
        order); a failed write stops the run at the next group."""
        group, run.group = run.group, []
        if not group:
            return
        if run.lease is not None and run.lease.lost.is_set():
            raise IngestError(
                "this run's ingest lock went stale and was taken over by another run; stopping",
                subject=self.settings.store_target,
            )
        chunks = [c for p in group for c in p.chunks]
        sentences = [(c, sentence_texts(c, p.doc.title)) for p in group for c in p.chunks]
        reused, known = self._reusable(run, group, sentences)
        # One model call for the chunks and the answerer's sentences in them, less what is reused.
        todo = [c for c in chunks if c.chunk_id not in reused]
        todo_sentences = sorted({t for _, ts in sentences for t in ts} - set(known))
        texts = [embedding_text(c) for c in todo] + todo_sentences
        try:
            vectors = self._embedder().embed(texts) if texts else []
        except KBError:
            raise
        except Exception as err:
            raise IngestError(f"embedding failed: {err}", subject=self.settings.model.name) from err
        fresh = dict(zip((c.chunk_id for c in todo), vectors[: len(todo)], strict=True))
        by_text = {**known, **dict(zip(todo_sentences, vectors[len(todo) :], strict=True))}
        rows = sentence_rows(sentences, [by_text[t] for _, ts in sentences for t in ts])
        chunk_vectors = [reused[c.chunk_id] if c.chunk_id in reused else fresh[c.chunk_id] for c in chunks]
        self._await_write(run)
        run.report.chunks_reused += len(chunks) - len(todo)
        run.writing = writer.submit(self._write, run, group, chunks, chunk_vectors, rows, len(todo))

    def _reusable(
        self, run: _Run, group: list[_Pending], sentences: list[tuple[Chunk, list[str]]]
    ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
        """Stored vectors this group can reuse (``kb.ingest.reuse``): by chunk id, and the
        answerer's sentence vectors by text. Documents new to the store have none."""
        updated = [(p.doc, p.chunks) for p in group if not p.added]
        if not updated:
            return {}, {}
        self._await_write(run)  # read the index and store after the previous group's write
        model = self.settings.model.name
        reused = reusable_vectors(updated, self.documents, self.index, self._embedded_now)
        ids = {p.doc.doc_id for p in group if not p.added}
        texts = [t for c, ts in sentences if c.doc_id in ids for t in ts]
        known = {t: [float(x) for x in v] for t, v in self.sentences.lookup(model, texts).items()}
        return reused, known

    def _embedded_now(self, stored: Document) -> bool:
        """Whether a stored document's vectors are the current model's and chunking's."""
        return content_hash(stored, self.settings) == stored.content_hash

    @staticmethod
    def _await_write(run: _Run) -> None:
        writing, run.writing = run.writing, None
        if writing is not None:
            writing.result()  # re-raises the write's error

    def _write(
        self,
        run: _Run,
        group: list[_Pending],
        chunks: list[Chunk],
        vectors: list[list[float]],
        sentences: list[SentenceRow],
        embedded: int,
    ) -> None:
        self.index.upsert(chunks, vectors)
        # After reconcile, a document's vectors are its stored chunks plus those just written.
        stale = {c.chunk_id for p in group for c in self.documents.chunks_for(p.doc.doc_id)}
        self.index.delete_chunks(stale - {c.chunk_id for c in chunks})
        for p in group:
            self.documents.upsert(p.doc, p.chunks)  # the commit point
            self.findings.replace(p.doc.doc_id, p.item.findings, self.clock.now())
            (run.report.added if p.added else run.report.updated).append(p.doc.doc_id)
        self.raw_hashes.record(p.item.raw_entry() for p in group)
        # After the commits (a row needs its chunk): a crash in between leaves chunks without
        # sentence vectors, which the next run's backfill embeds (and answers embed meanwhile).
        self.sentences.put(self.settings.model.name, sentences)
        run.report.chunks_embedded += embedded
        run.done += len(chunks)
        if run.progress:
            run.progress(run.done, run.total)

    def _update_metadata(self, doc: Document, findings: list[SecretFinding]) -> None:
        old = self.documents.get(doc.doc_id, with_text=False)
        if old is None or acl_key(old.acl) != acl_key(doc.acl):
            self.index.update_acl(doc.doc_id, doc.acl)
        self.documents.upsert(doc)
        self.findings.replace(doc.doc_id, findings, self.clock.now())

    # -- removal and restore ----------------------------------------------------------------
    def _purge_tombstones(self) -> None:
        self.tombstones.purge(self.clock.now() - timedelta(days=self.settings.ingest.tombstone_days))

    def _remove(self, doc_ids: list[str], reason: str) -> None:
        """Bury each document (record, text, chunks, vectors), then delete it: store first, so
        vectors left by a crash here are reconciled away by the next run."""
        now = self.clock.now()
        for doc_id in doc_ids:
            doc = self.documents.get(doc_id)
            if doc is None:
                continue
            chunks = self.documents.chunks_for(doc_id)
            held = self.index.stored(c.chunk_id for c in chunks)
            buried = []
            for c in chunks:
                vector, meta = held.get(c.chunk_id, (None, {}))
                buried.append(BuriedChunk(c.model_copy(update={"metadata": index_metadata(meta)}), vector))
            self.tombstones.bury(doc, buried, now, reason)
        self.documents.delete(doc_ids)
        self.index.delete_docs(doc_ids)

    def restore(self, doc_id: str) -> Document:
        """Put a removed document back as it was (vectors from its tombstone; chunks without
        one are embedded again). ``IngestError`` naming ``doc_id`` when there is nothing to restore."""
        lease = self._lock()
        try:
            tomb = self.tombstones.get(doc_id)
            if tomb is None:
                raise IngestError(
                    "no removed document with this id (`kb docs --removed` lists them)", subject=doc_id
                )
            if self.documents.get(doc_id, with_text=False) is not None:
                raise IngestError(
                    "this document is stored (an ingest brought it back); nothing to restore", subject=doc_id
                )
            buried = self.tombstones.chunks(doc_id)
            chunks = [b.chunk for b in buried]
            missing = [i for i, b in enumerate(buried) if b.vector is None]
            fresh = self._embedder().embed([embedding_text(chunks[i]) for i in missing]) if missing else []
            vectors = [b.vector for b in buried]
            for i, vec in zip(missing, fresh, strict=True):
                vectors[i] = vec
            self.index.upsert(chunks, [v for v in vectors if v is not None])
            self.documents.upsert(tomb.doc, [c.model_copy(update={"metadata": {}}) for c in chunks])
            self.tombstones.forget([doc_id])
            self.find_duplicates()
            return tomb.doc
        finally:
            lease.release()
