"""Wiring: build FreshKB's components from one ``Settings``, lazily.

The CLI and the API both work through a ``Runtime``; the embedding model and Chroma are opened
on first use only, once per process.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from kb.clock import Clock, SystemClock
from kb.config import RetrievalSettings, Settings
from kb.identity import People
from kb.store.audit import AuditLog, AuditRecorder
from kb.store.db import Database, open_database
from kb.store.documents import DocumentStore
from kb.store.reviews import ReviewStore

if TYPE_CHECKING:
    from collections.abc import Mapping

    from kb.alerts.channels import Channel
    from kb.alerts.owner_view import OwnerView
    from kb.alerts.runner import AlertRunner
    from kb.ingest.pipeline import Ingester, ReaderFactory
    from kb.insights.report import Report
    from kb.records import Principal
    from kb.search.embedding import Embedder
    from kb.search.index import VectorIndex
    from kb.search.retrieval import Retriever


class Runtime:
    def __init__(
        self, settings: Settings, *, clock: Clock | None = None, embedder: Embedder | None = None
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        if embedder is not None:
            self.__dict__["embedder"] = embedder

    @cached_property
    def db(self) -> Database:
        return open_database(self.settings)

    @cached_property
    def documents(self) -> DocumentStore:
        return DocumentStore(self.db)

    @cached_property
    def reviews(self) -> ReviewStore:
        return ReviewStore(self.db)

    @cached_property
    def audit(self) -> AuditRecorder:
        """Where searches and asks are recorded (the API's and ``kb search``'s): queued and written
        in batches (``audit.flush_seconds``); ``close`` writes what is left."""
        audit = self.settings.audit
        return AuditRecorder(
            AuditLog(self.db), self.clock, audit.retention_days, flush_seconds=audit.flush_seconds
        )

    @cached_property
    def people(self) -> People:
        return People(self.settings.people)

    @cached_property
    def embedder(self) -> Embedder:
        from kb.search.embedding import load_embedder

        return load_embedder(self.settings.model)

    @cached_property
    def answer_embedder(self) -> Embedder:
        """The extractive answerer's embedder: sentence vectors stored at ingest, the question's
        vector from the retriever's cache, the model only for what neither holds."""
        from kb.answer.precomputed import PrecomputedSentences
        from kb.store.sentence_vectors import SentenceVectors

        return PrecomputedSentences(
            SentenceVectors(self.db),
            self.settings.model.name,
            lambda: self.embedder,
            self.retriever.embed_query,
        )

    @cached_property
    def index(self) -> VectorIndex:
        from kb.search.index import ChromaIndex

        return ChromaIndex(self.settings)

    @cached_property
    def retriever(self) -> Retriever:
        return self.retriever_for(None)

    def retriever_for(self, retrieval: RetrievalSettings | None) -> Retriever:
        """A retriever over this runtime's store and index; ``retrieval`` overrides the
        configured ``[retrieval]`` (the evals compare configurations this way)."""
        from kb.search.retrieval import Retriever

        return Retriever(
            self.settings,
            self.documents,
            self.reviews,
            index=lambda: self.index,
            embedder=lambda: self.embedder,
            clock=self.clock,
            retrieval=retrieval,
        )

    def ingester(self, readers: Mapping[str, ReaderFactory] | None = None) -> Ingester:
        """An ingest pipeline over this runtime's store and index (``readers`` replace the
        Notion/Drive ingestors per source; tests pass in-memory ones)."""
        from kb.ingest.pipeline import Ingester

        return Ingester(
            self.settings,
            self.db,
            documents=self.documents,
            people=self.people,
            index=lambda: self.index,
            embedder=lambda: self.embedder,
            clock=self.clock,
            readers=readers,
        )

    def alert_runner(
        self,
        *,
        channels: Mapping[str, Channel] | None = None,
        env: Mapping[str, str] | None = None,
        holder: str | None = None,
    ) -> AlertRunner:
        """The staleness-digest runner over this runtime's store (``channels`` replace the
        configured notifiers by name; ``env`` replaces ``os.environ`` for secrets)."""
        from kb.alerts.runner import AlertRunner

        return AlertRunner(
            self.settings,
            self.db,
            documents=self.documents,
            people=self.people,
            clock=self.clock,
            channels=channels,
            env=env,
            holder=holder,
        )

    def report(self) -> Report:
        """The knowledge report as of now (``kb report``, ``/admin``; admins only): freshness as
        the digests judge it, gaps embedded with the search model, a gap's likely owner read from
        what an admin's search finds. Records today's health snapshot."""
        from kb.insights.report import build_report
        from kb.records import Principal

        admin = Principal(user="report@freshkb.invalid", admin=True)
        self.audit.flush()  # the API queues audit rows; the report reads them from the store
        now = self.clock.now()
        docs, judged = self.alert_runner().judgements(now)
        fresh = {d: j.freshness for d, j in judged.items()}

        def search_owners(question: str) -> list[str]:
            hits = self.retriever.search(question, admin, top_k=3, now=now).hits
            return [h.doc.owner for h in hits if h.doc.owner]

        return build_report(
            self.settings,
            self.db,
            self.people,
            docs,
            fresh,
            embed=lambda texts: self.embedder.embed_queries(texts),
            search_owners=search_owners,
            now=now,
        )

    def owner_view(self, principal: Principal) -> OwnerView:
        """What ``principal`` owns and what needs them (``GET /v1/my``), judged as their digest
        judges it (``AlertRunner.judgements``); negative feedback of the last
        ``report.window_days``."""
        from datetime import timedelta

        from kb.alerts.owner_view import build_owner_view, owned_by
        from kb.store.audit import AuditLog
        from kb.store.duplicates import NearDuplicates
        from kb.store.feedback import FeedbackStore
        from kb.store.secrets import SecretFindings, StoredFinding

        self.audit.flush()  # usage counts and feedback are read from the store
        now = self.clock.now()
        docs, judged = self.alert_runner().judgements(now, owner=principal.user)
        mine = [d.doc_id for d in owned_by(principal, docs)]
        findings: dict[str, list[StoredFinding]] = {}
        for f in SecretFindings(self.db).all():  # matched by doc id: the owner as owned_by reads it
            if f.doc_id in judged:
                findings.setdefault(f.doc_id, []).append(f)
        since = now - timedelta(days=self.settings.report.window_days)
        return build_owner_view(
            principal,
            docs,
            judged,
            now=now,
            usage=AuditLog(self.db).usage_counts(now - timedelta(days=self.settings.audit.usage_window_days)),
            reviews={d: r for d in mine if (r := self.reviews.latest(d)) is not None},
            secrets=findings,
            partners=NearDuplicates(self.db).partners(among=mine),
            feedback=FeedbackStore(self.db).list(rating="down", since=since),
        )

    def close(self) -> None:
        if "audit" in self.__dict__:
            self.audit.close()
        if "db" in self.__dict__:
            self.db.dispose()
