"""The digests the example company's owners get at EXAMPLE_NOW, delivered for real.

Works on a copy of the session's example store (``example_runtime`` is read-only), with the
Slack route pointed at a loopback receiver and SMTP at aiosmtpd. The usage table is emptied so the
order does not depend on what other tests searched.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kb.clock import FixedClock
from kb.runtime import Runtime
from kb.store.audit import AuditEntry, AuditLog
from tests.conftest import EXAMPLE_NOW, clone_store, example_settings, place_store
from tests.kb.alerts.conftest import SIGNING_KEY, SLACK_PATH, Mailbox, Receiver

pytestmark = pytest.mark.slow  # ingests the example data with the real model

# recipient -> (own items, escalated items), each "title [status]" in digest order
EXPECTED: dict[str, tuple[list[str], list[str]]] = {
    "alice.chen@acme.com": (
        ["Capacity Planning 2026 [overdue by 98 days]", "Disaster Recovery Plan [overdue by 52 days]"],
        [
            "Legacy LDAP TLS Certificate Renewal [overdue by 1347 days]",
            "Postgres Failover [overdue by 357 days]",
        ],
    ),
    "ben.ortiz@acme.com": (
        [
            "Legacy LDAP TLS Certificate Renewal [overdue by 1347 days]",
            "Postgres Failover [overdue by 357 days]",
            "CI Build Runners [overdue by 4 days]",
            "On-call Handbook [due in 6 days]",
            "Database Credentials Rotation [due in 10 days]",
        ],
        ["Redis Cache Operations [overdue by 202 days]"],
    ),
    "dana.kim@acme.com": (
        ["New Engineer Onboarding Checklist [overdue by 467 days]", "Laptop Setup for Intel Macs [overdue]"],
        [
            "Analytics Event Tracking Plan [overdue by 284 days]",
            "Capacity Planning 2026 [overdue by 98 days]",
        ],
    ),
    "platform-team@acme.com": (["Redis Cache Operations [overdue by 202 days]"], []),
    "priya.nair@acme.com": (
        ["Sales Tax and VAT [due in 8 days]"],
        ["Billing Spec (2021) [overdue by 1725 days]"],
    ),
    "sam.okafor@acme.com": (["Pentest Report 2026 - Executive Summary [overdue by 33 days]"], []),
    "tom.becker@acme.com": (["Analytics Event Tracking Plan [overdue by 284 days]"], []),
}


@pytest.fixture
def example_copy(
    example_runtime: Runtime,
    example_backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    smtp_server: tuple[Mailbox, int],
    webhook_server: tuple[Receiver, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Runtime]:
    monkeypatch.setenv("KB_SIGNING_KEY", SIGNING_KEY)
    settings = example_settings(tmp_path / "data")
    settings.alerts.smtp.host, settings.alerts.smtp.port = "127.0.0.1", smtp_server[1]
    for route in settings.alerts.routes:
        if route.channel != "email":
            route.target = webhook_server[1] + SLACK_PATH
    place_store(settings, example_backend, request)
    clone_store(example_runtime, settings)
    rt = Runtime(settings, clock=FixedClock(EXAMPLE_NOW))
    AuditLog(rt.db).db.execute("DELETE FROM usage")
    yield rt
    rt.close()


def numbered(body: str) -> list[str]:
    """The digest's numbered item lines ("1. Title [status]") without their numbers, in order."""
    return [line.split(". ", 1)[1] for line in body.splitlines() if line[:1].isdigit() and ". " in line]


def test_example_owners_get_exactly_their_digests(
    example_copy: Runtime, smtp_server: tuple[Mailbox, int], webhook_server: tuple[Receiver, str]
) -> None:
    box, receiver = smtp_server[0], webhook_server[0]
    report = example_copy.alert_runner().run()
    assert {d.recipient: d.status for d in report.deliveries} == {r: "sent" for r in EXPECTED}
    assert report.unassigned == [] and report.warnings == []
    for recipient, (own, escalated) in EXPECTED.items():
        if recipient == "platform-team@acme.com":  # routed to Slack
            [(path, payload)] = receiver.posts
            assert path == SLACK_PATH
            text = "\n".join(b["text"]["text"] for b in payload["blocks"])
            assert "|Redis Cache Operations>* — overdue by 202 days" in text
            continue
        [body] = box.texts_to(recipient)
        assert numbered(body) == own + escalated, recipient
        assert ("Escalated to you as fallback owner:" in body) == bool(escalated)
    [priya] = box.texts_to("priya.nair@acme.com")
    assert "escalated because: owner marcus.webb@acme.com has left" in priya
    [ben] = box.texts_to("ben.ortiz@acme.com")
    assert "- CI Build Runners (line 16): aws-access-key AKIA" in ben
    assert "/v1/review?token=" in ben
    # a repeated run sends nothing more
    example_copy.alert_runner().run()
    assert len(box.messages) == 6 and len(receiver.posts) == 1


def test_usage_puts_the_most_used_document_first(example_copy: Runtime) -> None:
    audit = AuditLog(example_copy.db)
    rotation = next(d for d in example_copy.documents.list() if d.title == "Database Credentials Rotation")
    for day in range(3):
        audit.record(
            AuditEntry(
                at=EXAMPLE_NOW - timedelta(days=day),
                user="alice.chen@acme.com",
                action="search",
                query="rotate db password",
                doc_ids=[rotation.doc_id],
            )
        )
    ben = next(
        d
        for d in example_copy.alert_runner().collect(EXAMPLE_NOW).digests
        if d.recipient == "ben.ortiz@acme.com"
    )
    assert [(i.title, i.usage) for i in ben.items][:2] == [
        ("Database Credentials Rotation", 3),
        ("Legacy LDAP TLS Certificate Renewal", 0),
    ]
