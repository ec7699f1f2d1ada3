""" "Is X replaced by Y?" in owners' digests: one question per page whose successor is only a guess.

Pure. Input: the documents, each one's judgement *as its owner sees it* (``kb.lifecycle.successors.
judge``: the owner may read the guessed successor, no decision has been made on the pair, nothing
states a successor) and a link maker; output: questions per recipient, added to the digests of a
``DigestBatch``. A question goes to the page's owner only, the person who may answer it (an admin
answers through the API or ``kb successors decide``); a page whose owner has left or is unknown
gets no question. The *replaced* / *not replaced* links are signed for the owner
(``kb.alerts.decision_links``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from kb.alerts.digest import Digest, DigestBatch, owner_problem
from kb.alerts.successor_question import SuccessorQuestion
from kb.config import Settings
from kb.identity import People, normalize_email
from kb.lifecycle.successors import Judged
from kb.records import Document

DecisionLinkFor = Callable[[str, str, str, str], str | None]
"""(doc_id, successor_id, "replaced" | "not_replaced", recipient) -> signed URL, or None."""


def questions_for(
    docs: Sequence[Document],
    judged: Mapping[str, Judged],
    *,
    settings: Settings,
    people: People,
    link_for: DecisionLinkFor | None = None,
) -> dict[str, list[SuccessorQuestion]]:
    """recipient -> questions about their pages, most confident first."""
    out: dict[str, list[SuccessorQuestion]] = {}
    for doc in docs:
        j = judged.get(doc.doc_id)
        succ = j.successor if j is not None else None
        if succ is None or not succ.inferred or not doc.owner or not doc.owner.strip():
            continue
        owner = normalize_email(doc.owner)
        if owner_problem(owner, people, settings) is not None:
            continue

        def link(
            decision: str, old: str = doc.doc_id, new: str = succ.doc_id, who: str = owner
        ) -> str | None:
            return link_for(old, new, decision, who) if link_for else None

        out.setdefault(owner, []).append(
            SuccessorQuestion.of(doc, succ, link("replaced"), link("not_replaced"))
        )
    return {k: sorted(v, key=SuccessorQuestion.sort_key) for k, v in out.items()}


def with_questions(
    batch: DigestBatch,
    questions: Mapping[str, list[SuccessorQuestion]],
    *,
    now: datetime,
    settings: Settings,
    people: People,
) -> DigestBatch:
    """``batch`` with each recipient's questions added (a digest for a recipient who has only
    questions is created)."""
    by_recipient = {d.recipient: d for d in batch.digests}
    for recipient, qs in questions.items():
        digest = by_recipient.get(recipient) or Digest(
            recipient=recipient,
            recipient_name=people.name_of(recipient),
            generated_at=now,
            usage_window_days=settings.audit.usage_window_days,
        )
        by_recipient[recipient] = digest.model_copy(update={"successors": qs})
    return batch.model_copy(update={"digests": [by_recipient[r] for r in sorted(by_recipient)]})
