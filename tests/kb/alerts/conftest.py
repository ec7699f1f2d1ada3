"""Real delivery endpoints on loopback (aiosmtpd, http.server) and a small company's store.

The store is filled directly (alerts need records, not embeddings). Judged at EXAMPLE_NOW
(2026-11-20 12:00 UTC) with the default 180-day interval and 14 days "due soon":

    doc            owner              state                       usage  goes to
    a-runbook      alice (active)     overdue 23 days             5      alice
    a-vpn          alice              overdue 202 days (> 90)     5      alice + fallback
    a-oncall       alice              due in 6 days               0      alice
    a-fresh        alice              fresh, holds a secret       9      (secret -> alice)
    b-old-api      bob                deprecated, very old        0      nobody
    c-payroll      carol (has left)   overdue 30 days             2      fallback only
    n-orphan       (none)             overdue 10 days             0      fallback only
    s-incident     sre-team (routed)  overdue 10 days             1      sre-team (Slack)
    d-schema       data-team (routed) due in 3 days               0      data-team (JSON hook)
    z-unknown      zed (not a person) overdue 5 days              0      zed + fallback
"""

from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from kb.clock import FixedClock
from kb.config import Settings, settings_from_dict
from kb.records import Document
from kb.redaction import SecretFinding
from kb.runtime import Runtime
from kb.store.audit import AuditEntry, AuditLog
from kb.store.secrets import SecretFindings
from tests.conftest import EXAMPLE_NOW, place_store

SIGNING_KEY = "test-signing-key-0123456789abcdef"
FALLBACK = "kb-admins@acme.test"
SLACK_PATH = "/services/T000/B000/slack-secret-path"
HOOK_PATH = "/hooks/json-secret-path"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """aiosmtpd handler: keeps every accepted message; refuses the addresses in ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[Envelope] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 Message accepted"

    def to(self, address: str) -> list[Envelope]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def texts_to(self, address: str) -> list[str]:
        """The decoded text/plain parts of the messages to ``address``."""
        out = []
        for env in self.to(address):
            msg = email.message_from_bytes(env.content, policy=default_policy)  # type: ignore[arg-type]
            assert isinstance(msg, EmailMessage)
            part = msg.get_body(("plain",))
            assert part is not None
            out.append(str(part.get_content()))
        return out


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


class Receiver:
    def __init__(self) -> None:
        self.posts: list[tuple[str, Any]] = []
        self.fail_paths: set[str] = set()


@pytest.fixture
def webhook_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.path in receiver.fail_paths:
                self.send_response(500)
            else:
                receiver.posts.append((self.path, json.loads(body)))
                self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield receiver, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def company_settings(
    data_dir: Path, smtp_port: int = 25, hook_base: str = "http://127.0.0.1:9", **alerts: Any
) -> Settings:
    return settings_from_dict(
        {
            "data": {"dir": str(data_dir)},
            "people": [
                {"name": "Alice Adams", "email": "alice@acme.test"},
                {"name": "Bob Brown", "email": "bob@acme.test"},
                {"name": "Carol Chen", "email": "carol@acme.test", "active": False},
            ],
            "api": {"public_base_url": "https://kb.acme.test"},
            "alerts": {
                "fallback_owner": FALLBACK,
                "smtp": {
                    "host": "127.0.0.1",
                    "port": smtp_port,
                    "sender": "freshkb@acme.test",
                    "timeout_s": 5,
                },
                "routes": [
                    {"owner": "sre-team", "channel": "slack", "target": hook_base + SLACK_PATH},
                    {"owner": "data-team", "channel": "webhook", "target": hook_base + HOOK_PATH},
                ],
                **alerts,
            },
        }
    )


def _doc(
    doc_id: str,
    title: str,
    owner: str | None,
    reviewed_days_ago: int | None,
    interval: int = 180,
    now: datetime = EXAMPLE_NOW,
    **extra: Any,
) -> Document:
    reviewed = now - timedelta(days=reviewed_days_ago) if reviewed_days_ago is not None else None
    return Document(
        doc_id=doc_id,
        source="notion",
        title=title,
        path=["Acme"],
        owner=owner,
        url=f"https://notion.test/{doc_id}",
        last_reviewed_at=reviewed,
        last_edited_at=reviewed,
        last_edited_by="editor@acme.test" if reviewed else None,
        review_interval_days=interval,
        acl=["everyone"],
        text=f"{title} body.",
        **extra,
    )


def company_docs(now: datetime = EXAMPLE_NOW) -> list[Document]:
    """The company's documents, dated relative to ``now``."""
    return [
        _doc("a-runbook", "Deploy runbook", "alice@acme.test", 180 + 23, now=now),
        _doc("a-vpn", "VPN setup", "alice@acme.test", 90 + 202, interval=90, now=now),
        _doc("a-oncall", "On-call guide", "alice@acme.test", 180 - 6, now=now),
        _doc("a-fresh", "Fresh notes", "alice@acme.test", 10, now=now),
        _doc("b-old-api", "Old API", "bob@acme.test", 900, now=now, status="deprecated"),
        _doc("c-payroll", "Payroll", "carol@acme.test", 180 + 30, now=now),
        _doc("n-orphan", "Orphan page", None, 180 + 10, now=now),
        _doc("s-incident", "Incident process", "sre-team", 180 + 10, now=now),
        _doc("d-schema", "Warehouse schema", "data-team", 180 - 3, now=now),
        _doc("z-unknown", "Zed notes", "zed@acme.test", 180 + 5, now=now),
    ]


USAGE = {"a-runbook": 5, "a-vpn": 5, "a-fresh": 9, "c-payroll": 2, "s-incident": 1}


def fill_store(rt: Runtime, now: datetime = EXAMPLE_NOW) -> None:
    for doc in company_docs(now):
        rt.documents.upsert(doc)
    audit = AuditLog(rt.db)
    for doc_id, n in USAGE.items():
        for k in range(n):
            audit.record(
                AuditEntry(
                    at=now - timedelta(days=k),
                    user="u@acme.test",
                    action="search",
                    query="q",
                    doc_ids=[doc_id],
                )
            )
    SecretFindings(rt.db).replace(
        "a-fresh", [SecretFinding(kind="aws-access-key", line=3, preview="AKIA…[redacted]")]
    )


@pytest.fixture
def company(
    tmp_path: Path,
    smtp_server: tuple[Mailbox, int],
    webhook_server: tuple[Receiver, str],
    monkeypatch: pytest.MonkeyPatch,
    store_backend: str,
    request: pytest.FixtureRequest,
) -> Iterator[Runtime]:
    monkeypatch.setenv("KB_SIGNING_KEY", SIGNING_KEY)
    settings = company_settings(tmp_path / "data", smtp_server[1], webhook_server[1])
    place_store(settings, store_backend, request)
    rt = Runtime(settings, clock=FixedClock(EXAMPLE_NOW))
    fill_store(rt)
    yield rt
    rt.close()
