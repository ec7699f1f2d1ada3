"""The alert job: gather state, build digests, drop what was already said, deliver, record.

Guarantees (state lives in ``kb.store.alerts`` so it survives restarts):
- only one runner sends at a time: a lease lock in the store; a second runner reports ``locked``;
- the same document is not re-alerted to the same recipient before ``alerts.realert_after_days``;
- a digest is not re-sent within one period (the UTC date of the run, or the period given, e.g.
  the cron fire time), so a repeated run sends nothing new;
- one recipient's failed delivery does not stop the others, and is not recorded as sent, so the
  next run retries it;
- a dry run renders exactly what would be sent to whom and neither sends nor records anything.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from kb.alerts.channels import Channel, make_channel, redact_target, route_for
from kb.alerts.decision_links import DecisionLinks
from kb.alerts.digest import Digest, DigestBatch, DigestItem, build_digests
from kb.alerts.links import ReviewLinks
from kb.alerts.render import Rendered, render
from kb.alerts.successor_questions import DecisionLinkFor, questions_for, with_questions
from kb.clock import Clock
from kb.config import Settings
from kb.errors import KBError
from kb.identity import People, principal_for_user, same_email
from kb.lifecycle.breadcrumbs import Breadcrumbs
from kb.lifecycle.evidence import SuccessorEvidence
from kb.lifecycle.freshness import Freshness
from kb.lifecycle.rules import fallback_owner_for
from kb.lifecycle.successors import Judged, Relations, judge
from kb.records import Document, Principal
from kb.store.alerts import AlertHistory, RunnerLock, SentItem
from kb.store.audit import AuditLog
from kb.store.db import Database
from kb.store.documents import DocumentStore
from kb.store.reviews import Review, ReviewStore
from kb.store.secrets import SecretFindings, StoredFinding
from kb.store.successor_decisions import Verdict

log = logging.getLogger(__name__)


class Delivery(BaseModel):
    recipient: str
    channel: str | None = None
    target: str | None = Field(default=None, description="redacted: webhook URLs without their path")
    status: Literal["sent", "failed", "skipped", "would_send"]
    reason: str = ""
    subject: str = ""
    items: list[str] = Field(default_factory=list, description="doc ids of own documents")
    escalations: list[str] = Field(default_factory=list, description="doc ids escalated")
    secrets: int = 0
    successors: list[str] = Field(default_factory=list, description='doc ids asked "Is X replaced by Y?"')
    body: str | None = Field(
        default=None,
        description="what would be delivered, as text (dry runs "
        "only): the email's text part, Slack's mrkdwn or the webhook's JSON",
    )


class RunReport(BaseModel):
    period: str
    started_at: datetime
    dry_run: bool
    locked: bool = Field(default=False, description="another runner held the lock: nothing was sent")
    deliveries: list[Delivery] = Field(default_factory=list)
    unassigned: list[DigestItem] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for d in self.deliveries if d.status == status)


def preview(channel: str, message: Rendered) -> str:
    """What the channel would deliver, as text: the email body, Slack's mrkdwn, the JSON."""
    if channel == "slack":
        texts = [
            b["text"]["text"] if "text" in b else b["elements"][0]["text"] for b in message.slack["blocks"]
        ]
        return "\n\n".join(texts) + "\n"
    if channel == "webhook":
        return json.dumps(message.json_payload, indent=2, ensure_ascii=False) + "\n"
    return message.text


class AlertRunner:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        documents: DocumentStore,
        people: People,
        clock: Clock,
        channels: Mapping[str, Channel] | None = None,
        env: Mapping[str, str] | None = None,
        holder: str | None = None,
    ) -> None:
        """``kb.runtime.Runtime.alert_runner`` builds one from the configured parts."""
        self.settings = settings
        self.db = db
        self.documents = documents
        self.people = people
        self.clock = clock
        self.history = AlertHistory(db)
        self.lock = RunnerLock(db)
        self._channels = dict(channels or {})
        self._env = env if env is not None else os.environ
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    # -- gathering ------------------------------------------------------------------------
    def assessments(self, now: datetime) -> tuple[list[Document], dict[str, Freshness], dict[str, Review]]:
        docs, judged = self.judgements(now)
        store = ReviewStore(self.db)
        latest = {d: r for d in store.latest_all() if (r := store.latest(d)) is not None}
        return docs, {d: j.freshness for d, j in judged.items()}, latest

    def judgements(self, now: datetime, owner: str | None = None) -> tuple[list[Document], dict[str, Judged]]:
        """Every document, and its freshness and successor as its owner sees them; with
        ``owner``, only that owner's documents are judged (``GET /v1/my``), the same way."""
        docs = self.documents.list()  # text = the marker excerpt assess() reads
        reviewed = ReviewStore(self.db).latest_all()
        judged_docs = docs if owner is None else [d for d in docs if same_email(d.owner, owner)]
        judged = {
            d.doc_id: j
            for d, j in zip(judged_docs, self._for_owners(docs, reviewed, now, judged_docs), strict=True)
        }
        return docs, judged

    def _for_owners(
        self,
        docs: list[Document],
        reviewed: Mapping[str, datetime],
        now: datetime,
        only: list[Document] | None = None,
    ) -> list[Judged]:
        """Each document's freshness (of ``only``, default all ``docs``) as its owner (who reads
        the digest) sees it: a successor the owner cannot read does not count
        (``kb.lifecycle.successors.judge``); owners' decisions and the successors inferred at
        ingest count (``kb.lifecycle.evidence``)."""
        relations = Relations.of(docs)
        evidence = SuccessorEvidence.load(self.db, relations.docs)
        readable: dict[str | None, frozenset[str]] = {}
        out = []
        for doc in docs if only is None else only:
            if doc.owner not in readable:
                owner = principal_for_user(doc.owner or "", self.settings.auth)
                readable[doc.owner] = frozenset(d.doc_id for d in docs if owner.can_read(d.acl))
            judged = judge(
                doc,
                now,
                self.settings,
                relations=relations,
                readable=readable[doc.owner].__contains__,
                reviewed_at=reviewed.get(doc.doc_id),
                decisions=evidence.decisions_for(doc.doc_id),
                inferred=evidence.inferred.get(doc.doc_id, ()),
            )
            out.append(judged)
        return out

    def collect(self, now: datetime, warnings: list[str] | None = None) -> DigestBatch:
        """Every digest as of ``now``, before de-duplication against what was already sent."""
        docs, judged = self.judgements(now)
        docs = self._with_breadcrumbs(docs)
        fresh = {d: j.freshness for d, j in judged.items()}
        store = ReviewStore(self.db)
        latest = {d: r for d in store.latest_all() if (r := store.latest(d)) is not None}
        window = timedelta(days=self.settings.audit.usage_window_days)
        findings: dict[str, list[StoredFinding]] = {}
        for f in SecretFindings(self.db).all():
            findings.setdefault(f.doc_id, []).append(f)
        link_for = None
        decision_link: DecisionLinkFor | None = None
        try:
            links = DecisionLinks(self.settings, self._env)
            review_links = ReviewLinks(self.settings, self._env)
            link_for = lambda doc_id, who: review_links.url_for(doc_id, who, now)  # noqa: E731

            def decision_link(old: str, new: str, decision: str, who: str) -> str:
                verdict: Verdict = "replaced" if decision == "replaced" else "not_replaced"
                return links.decision_url(old, new, verdict, who, now)
        except KBError as err:
            if warnings is not None:
                warnings.append(f"review links disabled: {err}")
        questions = questions_for(
            docs, judged, settings=self.settings, people=self.people, link_for=decision_link
        )
        batch = build_digests(
            docs,
            fresh,
            now=now,
            settings=self.settings,
            people=self.people,
            usage=AuditLog(self.db).usage_counts(now - window),
            reviews=latest,
            secrets=findings,
            link_for=link_for,
            fallback_for=lambda d: fallback_owner_for(d, self.settings),
        )
        return with_questions(batch, questions, now=now, settings=self.settings, people=self.people)

    def _with_breadcrumbs(self, docs: list[Document]) -> list[Document]:
        """Each document with the breadcrumb its digests may show: a parent that its owner or
        its fallback owner (who gets escalations) cannot read is no title (``kb.lifecycle.breadcrumbs``)."""
        crumbs, by_id = Breadcrumbs.of(docs), {d.doc_id: d for d in docs}
        principals: dict[str, Principal] = {}
        out = []
        for doc in docs:
            fallback = fallback_owner_for(doc, self.settings) or self.settings.alerts.fallback_owner
            readers = [
                principals.setdefault(w, principal_for_user(w, self.settings.auth))
                for w in (doc.owner, fallback)
                if w
            ]

            def readable(doc_id: str, readers: list[Principal] = readers) -> bool:
                return bool(readers) and all(p.can_read(by_id[doc_id].acl) for p in readers)

            out.append(crumbs.view(doc, readable))
        return out

    def _unsent(self, digest: Digest, now: datetime, last: Mapping[tuple[str, str, str], datetime]) -> Digest:
        """The digest without what this recipient was told less than realert_after_days ago."""
        gap = timedelta(days=self.settings.alerts.realert_after_days)

        def due(doc_id: str, kind: str) -> bool:
            at = last.get((doc_id, digest.recipient, kind))
            return at is None or now - at >= gap

        return digest.model_copy(
            update={
                "items": [i for i in digest.items if due(i.doc_id, "stale")],
                "escalations": [i for i in digest.escalations if due(i.doc_id, "stale")],
                "secrets": [s for s in digest.secrets if due(s.doc_id, "secret")],
                "successors": [q for q in digest.successors if due(q.doc_id, "successor")],
            }
        )

    # -- the run --------------------------------------------------------------------------
    def run(self, dry_run: bool = False, period: str | None = None) -> RunReport:
        now = self.clock.now()
        report = RunReport(period=period or now.date().isoformat(), started_at=now, dry_run=dry_run)
        if not dry_run:
            ttl = timedelta(minutes=self.settings.alerts.lock_ttl_minutes)
            if not self.lock.acquire(self.holder, now, ttl):
                report.locked = True
                report.warnings.append("another alert runner holds the lock; nothing sent")
                return report
        try:
            batch = self.collect(now, report.warnings)
            report.unassigned = batch.unassigned
            if batch.unassigned:
                report.warnings.append(
                    f"{len(batch.unassigned)} document(s) have no owner and no "
                    "fallback owner (set alerts.fallback_owner)"
                )
            last = self.history.last_alerted()
            for digest in batch.digests:
                report.deliveries.append(self._deliver(self._unsent(digest, now, last), report, now))
        finally:
            if not dry_run:
                self.lock.release(self.holder)
        return report

    def _deliver(self, digest: Digest, report: RunReport, now: datetime) -> Delivery:
        out = Delivery(
            recipient=digest.recipient,
            status="skipped",
            items=[i.doc_id for i in digest.items],
            escalations=[i.doc_id for i in digest.escalations],
            secrets=len(digest.secrets),
            successors=[q.doc_id for q in digest.successors],
        )
        if digest.is_empty():
            out.reason = f"nothing new: already alerted within {self.settings.alerts.realert_after_days} days"
            return out
        if self.history.digest_sent(digest.recipient, report.period):
            out.reason = f"digest already sent for period {report.period}"
            return out
        route = route_for(digest.recipient, self.settings.alerts)
        if route is None:
            out.reason = "no route: not an email address and no [[alerts.routes]] entry or '*'"
            return out
        message = render(digest)
        out.channel, out.target, out.subject = route.channel, redact_target(route.target), message.subject
        if report.dry_run:
            out.status, out.body = "would_send", preview(route.channel, message)
            return out
        try:
            self._channel(route.channel).send(route.target, message)
        except KBError as err:
            log.warning("alert delivery to %s failed: %s", digest.recipient, err)
            self.history.record_failure(
                recipient=digest.recipient,
                period=report.period,
                channel=route.channel,
                target=out.target,
                error=str(err),
                at=now,
            )
            out.status, out.reason = "failed", str(err)
            return out
        items = [
            SentItem(doc_id=i.doc_id, status=i.status, reason=i.escalation or "") for i in digest.all_items
        ]
        items += [SentItem(doc_id=s.doc_id, status="secret", reason=s.kind) for s in digest.secrets]
        items += [
            # No successor id or title: the alert history is shown with the page to any of its readers.
            SentItem(doc_id=q.doc_id, status="successor", reason="asked whether a newer page replaces it")
            for q in digest.successors
        ]
        self.history.record_sent(
            recipient=digest.recipient,
            period=report.period,
            channel=route.channel,
            target=out.target,
            items=items,
            at=now,
        )
        out.status = "sent"
        return out

    def _channel(self, name: str) -> Channel:
        if name not in self._channels:
            self._channels[name] = make_channel(name, self.settings.alerts)
        return self._channels[name]
