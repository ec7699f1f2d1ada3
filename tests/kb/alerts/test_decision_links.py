"""Decision links: signed with the review key but in their own domain, so neither kind of token
is accepted as the other; tampered, expired or garbage tokens fail with the link errors only."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta

import pytest

from kb.alerts.decision_links import DecisionLinks
from kb.alerts.links import LinkExpired, LinkInvalid, ReviewLinks
from kb.config import settings_from_dict

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
ENV = {"KB_SIGNING_KEY": "decision-links-key-0123456789"}


@pytest.fixture
def links() -> DecisionLinks:
    return DecisionLinks(settings_from_dict({"api": {"public_base_url": "https://kb.acme.test/"}}), ENV)


def test_a_signed_decision_round_trips_and_builds_a_url(links: DecisionLinks) -> None:
    token = links.sign_decision(
        "notion:a", "notion:b", "not_replaced", "o@acme.test", NOW + timedelta(days=1)
    )
    claim = links.verify_decision(token, NOW)
    assert (claim.doc_id, claim.successor_id, claim.decision, claim.owner) == (
        "notion:a",
        "notion:b",
        "not_replaced",
        "o@acme.test",
    )
    url = links.decision_url("notion:a", "notion:b", "replaced", "o@acme.test", NOW)
    assert url.startswith("https://kb.acme.test/v1/successor-decision?token=")


def test_review_and_decision_tokens_are_not_interchangeable(links: DecisionLinks) -> None:
    review = ReviewLinks(settings_from_dict({}), ENV)
    with pytest.raises(LinkInvalid):
        links.verify_decision(review.token_for("notion:a", "o@acme.test", NOW), NOW)
    decision = links.sign_decision("notion:a", "notion:b", "replaced", "o@acme.test", NOW + timedelta(days=1))
    with pytest.raises(LinkInvalid):
        review.verify(decision, NOW)


def test_expired_tampered_and_garbage_tokens(links: DecisionLinks) -> None:
    with pytest.raises(LinkExpired):
        links.verify_decision(links.sign_decision("a", "b", "replaced", "o", NOW - timedelta(seconds=1)), NOW)
    token = links.sign_decision("a", "b", "replaced", "o", NOW + timedelta(days=1))
    sig = token.partition(".")[2]
    other = links.sign_decision("a", "b", "not_replaced", "o", NOW + timedelta(days=1))
    with pytest.raises(LinkInvalid):  # the answer cannot be swapped under a valid signature
        links.verify_decision(f"{other.partition('.')[0]}.{sig}", NOW)
    rng = random.Random(10)
    alphabet = string.printable + "é€\u0000"
    for _ in range(300):
        junk = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 80)))
        with pytest.raises(LinkInvalid):
            links.verify_decision(junk, NOW)
