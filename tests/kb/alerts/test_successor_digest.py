"""Owners decide, from the digest: "Is X replaced by Y?" with signed one-click links, delivered by
real SMTP (aiosmtpd on loopback), answered through the real app; asked only of the page's owner,
only about a successor the owner may read, not again within the re-alert gap, never after an answer.

The store is filled directly, inferred pairs included (the digest reads what ingest stored; the
inference itself is tested in tests/kb/ingest/test_inferred_successors.py)."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from kb.alerts.render import render
from kb.api import create_app
from kb.clock import FixedClock
from kb.records import Document
from kb.runtime import Runtime
from kb.store.alerts import AlertHistory
from kb.store.inferred_successors import InferredPair, InferredSuccessors
from kb.store.successor_decisions import SuccessorDecisions
from tests.conftest import EXAMPLE_NOW
from tests.kb.alerts.conftest import SIGNING_KEY, Mailbox, Receiver, company_settings

pytestmark = pytest.mark.slow  # starts servers

REASON = "newer page with a near-identical title and 0.91 similar content, edited 2 years later"


def _page(doc_id: str, title: str, owner: str, acl: list[str], years_ago: int) -> Document:
    at = EXAMPLE_NOW - timedelta(days=365 * years_ago + 1)
    return Document(
        doc_id=doc_id,
        source="notion",
        title=title,
        owner=owner,
        url=f"https://notion.test/{doc_id}",
        last_edited_at=at,
        review_interval_days=3650,  # not due: the digest holds only the question
        acl=acl,
        text=f"{title} body.",
    )


@pytest.fixture
def rt(
    tmp_path: Path,
    smtp_server: tuple[Mailbox, int],
    webhook_server: tuple[Receiver, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Runtime]:
    monkeypatch.setenv("KB_SIGNING_KEY", SIGNING_KEY)
    runtime = Runtime(
        company_settings(tmp_path / "data", smtp_server[1], webhook_server[1]), clock=FixedClock(EXAMPLE_NOW)
    )
    for doc in (
        _page("deploy-old", "Deploy runbook", "alice@acme.test", ["everyone"], 3),
        _page("deploy-new", "Deploy runbook (Actions)", "bob@acme.test", ["everyone"], 1),
        _page("vpn-old", "VPN setup", "alice@acme.test", ["everyone"], 3),
        _page("vpn-new", "VPN setup (Tailscale)", "bob@acme.test", ["group:security"], 1),
    ):
        runtime.documents.upsert(doc)
    InferredSuccessors(runtime.db).replace_all(
        InferredPair(
            doc_id=f"{n}-old", successor_id=f"{n}-new", confidence=0.9, reason=REASON, inferred_at=EXAMPLE_NOW
        )
        for n in ("deploy", "vpn")
    )
    yield runtime
    runtime.close()


def _text(box: Mailbox, address: str) -> str:
    env = box.to(address)[-1]
    msg = email.message_from_bytes(env.content, policy=default_policy)  # type: ignore[arg-type]
    assert isinstance(msg, EmailMessage)
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_the_owner_is_asked_with_links_and_one_click_decides(
    rt: Runtime, smtp_server: tuple[Mailbox, int]
) -> None:
    box = smtp_server[0]
    report = rt.alert_runner().run()
    alice = next(d for d in report.deliveries if d.recipient == "alice@acme.test")
    assert (alice.status, alice.successors, alice.items) == ("sent", ["deploy-old"], [])
    assert alice.subject == "FreshKB: 1 possible replacement to confirm"
    text = _text(box, "alice@acme.test")
    assert "1. Is 'Deploy runbook' replaced by 'Deploy runbook (Actions)'?" in text
    assert f"   why: {REASON}" in text
    # The successor alice may not read does not exist in her digest.
    assert "Tailscale" not in text and "vpn-new" not in text
    assert not [m for m in box.messages if "bob@acme.test" in m.rcpt_tos]  # only the older page's owner

    links = dict(re.findall(r"   (Replaced|Not replaced): (\S+)", text))
    assert set(links) == {"Replaced", "Not replaced"}
    with TestClient(create_app(rt, warm=False)) as client:
        url = urlsplit(links["Not replaced"])
        assert url.netloc == "kb.acme.test" and url.path == "/v1/successor-decision"
        token = parse_qs(url.query)["token"][0]
        page = unescape(client.get(url.path, params={"token": token}).text)
        assert (
            "Is <strong>Deploy runbook</strong> replaced by <strong>Deploy runbook (Actions)</strong>?"
            in page
        )
        assert client.post(url.path, params={"token": token}).status_code == 200
        assert "already used" in client.post(url.path, params={"token": token}).text
    [decision] = SuccessorDecisions(rt.db).latest()
    assert (decision.doc_id, decision.successor_id, decision.decision, decision.decided_by, decision.via) == (
        "deploy-old",
        "deploy-new",
        "not_replaced",
        "alice@acme.test",
        "link",
    )
    # The alert history (shown with the page to its readers) names no successor.
    history = AlertHistory(rt.db).for_doc("deploy-old")
    assert [h.status for h in history] == ["successor"] and "deploy-new" not in history[0].reason

    # Answered: never asked again, even after the re-alert gap.
    assert isinstance(rt.clock, FixedClock)
    rt.clock.advance(days=rt.settings.alerts.realert_after_days + 1)
    later = rt.alert_runner().run()
    assert all(not d.successors for d in later.deliveries)


def test_an_unanswered_question_waits_for_the_realert_gap(rt: Runtime) -> None:
    first = rt.alert_runner().run(period="p1")
    second = rt.alert_runner().run(period="p2")
    assert [d.successors for d in first.deliveries if d.recipient == "alice@acme.test"] == [["deploy-old"]]
    assert all(not d.successors for d in second.deliveries)


def test_html_slack_and_json_carry_the_question(rt: Runtime) -> None:
    batch = rt.alert_runner().collect(EXAMPLE_NOW)
    [digest] = [d for d in batch.digests if d.recipient == "alice@acme.test"]
    message = render(digest)
    assert ">Replaced</a> &middot; <a href=" in message.html and "Not replaced</a>" in message.html
    assert "Is 'Deploy runbook' replaced by 'Deploy runbook (Actions)'?" in str(message.slack)
    assert message.json_payload["successors"][0]["successor_id"] == "deploy-new"
    for body in (message.text, message.html, str(message.slack), str(message.json_payload)):
        assert "Tailscale" not in body and "vpn-new" not in body
