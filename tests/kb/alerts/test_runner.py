"""The alert job end to end: real SMTP (aiosmtpd) and a real webhook receiver on loopback."""

from __future__ import annotations

import email
import json
import threading
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from kb.alerts.runner import RunReport
from kb.clock import FixedClock
from kb.runtime import Runtime
from kb.store.alerts import AlertHistory, RunnerLock
from tests.kb.alerts.conftest import FALLBACK, HOOK_PATH, SLACK_PATH, Mailbox, Receiver

pytestmark = pytest.mark.slow  # starts servers

EMAIL_RECIPIENTS = ["alice@acme.test", FALLBACK, "zed@acme.test"]


def statuses(report: RunReport) -> dict[str, str]:
    return {d.recipient: d.status for d in report.deliveries}


def body_of(box: Mailbox, address: str) -> str:
    [env] = box.to(address)
    msg = email.message_from_bytes(env.content, policy=default_policy)  # type: ignore[arg-type]
    assert isinstance(msg, EmailMessage)
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def clock(rt: Runtime) -> FixedClock:
    assert isinstance(rt.clock, FixedClock)
    return rt.clock


def test_run_delivers_each_digest_through_its_route(
    company: Runtime, smtp_server: tuple[Mailbox, int], webhook_server: tuple[Receiver, str]
) -> None:
    box, receiver = smtp_server[0], webhook_server[0]
    report = company.alert_runner().run()
    assert statuses(report) == {r: "sent" for r in [*EMAIL_RECIPIENTS, "data-team", "sre-team"]}
    assert report.period == "2026-11-20"
    assert sorted(r for m in box.messages for r in m.rcpt_tos) == sorted(EMAIL_RECIPIENTS)
    alice = body_of(box, "alice@acme.test")
    assert (
        alice.index("1. VPN setup [overdue by 202 days]")
        < alice.index("2. Deploy runbook [overdue by 23 days]")
        < alice.index("3. On-call guide [due in 6 days]")
    )
    assert "https://kb.acme.test/v1/review?token=" in alice
    assert "- Fresh notes (line 3): aws-access-key" in alice
    admin = body_of(box, FALLBACK)
    assert "escalated because: owner carol@acme.test has left" in admin
    assert "escalated because: document has no owner" in admin
    assert sorted(path for path, _ in receiver.posts) == sorted([SLACK_PATH, HOOK_PATH])
    sre = next(body for path, body in receiver.posts if path == SLACK_PATH)
    assert "Incident process" in sre["blocks"][1]["text"]["text"]
    slack = next(d for d in report.deliveries if d.recipient == "sre-team")
    assert slack.target is not None and "slack-secret-path" not in slack.target
    history = AlertHistory(company.db).for_doc("a-vpn")
    assert sorted((h.recipient, h.status) for h in history) == [
        ("alice@acme.test", "overdue"),
        (FALLBACK, "overdue"),
    ]


def test_a_repeated_run_sends_nothing(
    company: Runtime, smtp_server: tuple[Mailbox, int], webhook_server: tuple[Receiver, str]
) -> None:
    company.alert_runner().run()
    sent = (len(smtp_server[0].messages), len(webhook_server[0].posts))
    again = company.alert_runner().run()
    assert set(statuses(again).values()) == {"skipped"}
    assert (len(smtp_server[0].messages), len(webhook_server[0].posts)) == sent


def test_digest_is_idempotent_per_period_even_without_a_realert_gap(
    company: Runtime, smtp_server: tuple[Mailbox, int]
) -> None:
    company.settings.alerts.realert_after_days = 0
    company.alert_runner().run()
    again = company.alert_runner().run()
    assert {d.reason for d in again.deliveries} == {"digest already sent for period 2026-11-20"}
    assert len(smtp_server[0].messages) == 3
    clock(company).advance(days=1)
    assert statuses(company.alert_runner().run())["alice@acme.test"] == "sent"
    assert len(smtp_server[0].messages) == 6


def test_same_doc_is_not_realerted_before_the_interval(
    company: Runtime, smtp_server: tuple[Mailbox, int]
) -> None:
    box = smtp_server[0]
    company.alert_runner().run()
    clock(company).advance(days=6)
    report = company.alert_runner().run()
    assert statuses(report)["alice@acme.test"] == "skipped"
    assert len(box.to("alice@acme.test")) == 1
    clock(company).advance(days=1, seconds=1)  # 7 days after the first alert
    report = company.alert_runner().run()
    assert statuses(report)["alice@acme.test"] == "sent"
    assert len(box.to("alice@acme.test")) == 2
    assert (
        "VPN setup [overdue by 209 days]"
        in email.message_from_bytes(box.to("alice@acme.test")[1].content).as_string()
    )  # type: ignore[arg-type]


def test_new_item_is_sent_while_old_ones_wait(company: Runtime, smtp_server: tuple[Mailbox, int]) -> None:
    company.alert_runner().run()
    clock(company).advance(days=3)
    # d-schema (data-team) is unchanged, but a-fresh stays fresh; make a new alice doc overdue
    doc = company.documents.get("a-fresh")
    assert doc is not None
    company.documents.upsert(
        doc.model_copy(update={"doc_id": "a-new", "title": "New overdue", "review_interval_days": 1})
    )
    report = company.alert_runner().run()
    alice = next(d for d in report.deliveries if d.recipient == "alice@acme.test")
    assert (alice.status, alice.items, alice.secrets) == ("sent", ["a-new"], 0)


def test_failing_channel_does_not_stop_the_others_and_is_retried(
    company: Runtime, smtp_server: tuple[Mailbox, int], webhook_server: tuple[Receiver, str]
) -> None:
    box, receiver = smtp_server[0], webhook_server[0]
    box.refuse.add("alice@acme.test")
    receiver.fail_paths.add(SLACK_PATH)
    report = company.alert_runner().run()
    assert statuses(report) == {
        "alice@acme.test": "failed",
        "sre-team": "failed",
        FALLBACK: "sent",
        "zed@acme.test": "sent",
        "data-team": "sent",
    }
    failed = {d.recipient: d.reason for d in report.deliveries if d.status == "failed"}
    assert "550" in failed["alice@acme.test"]
    assert "HTTP 500" in failed["sre-team"] and "secret-path" not in failed["sre-team"]
    history = AlertHistory(company.db)
    assert [h.recipient for h in history.for_doc("a-runbook")] == []
    assert [h.recipient for h in history.for_doc("s-incident")] == []
    assert {d["recipient"] for d in history.deliveries() if d["status"] == "failed"} == {
        "alice@acme.test",
        "sre-team",
    }
    # the endpoints recover: the next run (same period) delivers exactly the two that failed
    box.refuse.clear()
    receiver.fail_paths.clear()
    retry = company.alert_runner().run()
    assert {r for r, s in statuses(retry).items() if s == "sent"} == {"alice@acme.test", "sre-team"}
    assert len(box.to("alice@acme.test")) == 1
    assert len(box.to(FALLBACK)) == 1
    assert [h.recipient for h in history.for_doc("a-runbook")] == ["alice@acme.test"]


def test_dry_run_sends_and_records_nothing(
    company: Runtime, smtp_server: tuple[Mailbox, int], webhook_server: tuple[Receiver, str]
) -> None:
    report = company.alert_runner().run(dry_run=True)
    assert set(statuses(report).values()) == {"would_send"}
    alice = next(d for d in report.deliveries if d.recipient == "alice@acme.test")
    assert (alice.channel, alice.target) == ("email", "alice@acme.test")
    assert alice.body is not None and alice.body.startswith("Hello Alice Adams,")
    slack = next(d for d in report.deliveries if d.recipient == "sre-team")
    assert slack.body is not None and slack.body.startswith("*FreshKB: 1 document to review* for sre-team")
    assert "*<https://notion.test/s-incident|Incident process>* — overdue by 10 days" in slack.body
    hook = next(d for d in report.deliveries if d.recipient == "data-team")
    assert hook.body is not None and json.loads(hook.body)["items"][0]["doc_id"] == "d-schema"
    assert smtp_server[0].messages == [] and webhook_server[0].posts == []
    history = AlertHistory(company.db)
    assert history.last_alerted() == {} and history.deliveries() == []
    assert statuses(company.alert_runner().run())["alice@acme.test"] == "sent"


def test_a_held_lock_means_nothing_is_sent(company: Runtime, smtp_server: tuple[Mailbox, int]) -> None:
    lock = RunnerLock(company.db)
    now = company.clock.now()
    assert lock.acquire("other-process", now, timedelta(minutes=30))
    report = company.alert_runner().run()
    assert report.locked and report.deliveries == []
    assert smtp_server[0].messages == []
    assert lock.holder(now) == "other-process"
    # a crashed holder: its lease runs out, and on PostgreSQL its connection (with the advisory
    # lock) goes; the next runner takes over
    clock(company).advance(minutes=31)
    lock._sessions.pop("other-process").release()
    assert not company.alert_runner().run().locked
    assert len(smtp_server[0].messages) == 3
    assert lock.holder(company.clock.now()) is None


def test_concurrent_runners_send_each_digest_once(
    company: Runtime, smtp_server: tuple[Mailbox, int], webhook_server: tuple[Receiver, str]
) -> None:
    reports: list[RunReport] = []
    start = threading.Barrier(3)

    def go() -> None:
        rt = Runtime(company.settings, clock=company.clock)  # its own connection, like another process
        start.wait()
        reports.append(rt.alert_runner().run())
        rt.close()

    threads = [threading.Thread(target=go) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(reports) == 3
    assert sum(r.count("sent") for r in reports) == 5
    assert len(smtp_server[0].messages) == 3 and len(webhook_server[0].posts) == 2


def test_missing_signing_key_still_sends_without_links(
    company: Runtime, smtp_server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KB_SIGNING_KEY")
    report = company.alert_runner().run()
    assert any("review links disabled" in w for w in report.warnings)
    alice = body_of(smtp_server[0], "alice@acme.test")
    assert "/v1/review?token=" not in alice
    assert "Still accurate? Run: kb review a-vpn --as <you>" in alice
