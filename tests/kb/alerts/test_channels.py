"""Channels against real endpoints: aiosmtpd on loopback, an http.server webhook receiver."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

from kb.alerts.channels import (
    EmailChannel,
    JSONWebhookChannel,
    SlackWebhookChannel,
    redact_target,
    route_for,
)
from kb.alerts.digest import Digest, DigestItem
from kb.alerts.render import Rendered, render
from kb.config import SMTPSettings
from kb.errors import ConfigError, DeliveryError
from tests.kb.alerts.conftest import HOOK_PATH, SLACK_PATH, Mailbox, Receiver, company_settings, free_port

pytestmark = pytest.mark.slow  # starts servers


def message() -> Rendered:
    item = DigestItem(
        doc_id="notion:1",
        title="Deploy runbook",
        source="notion",
        path=["Eng"],
        breadcrumb="Eng / Deploy runbook",
        doc_status="active",
        status="overdue",
        weight=0.5,
        overdue_days=12,
        usage=3,
        url="https://notion.test/1",
    )
    return render(
        Digest(
            recipient="alice@acme.test",
            generated_at=datetime(2026, 11, 20, tzinfo=UTC),
            usage_window_days=30,
            items=[item],
        )
    )


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(msg, EmailMessage)
    return msg


def test_email_is_multipart_text_and_html(smtp_server: tuple[Mailbox, int]) -> None:
    box, port = smtp_server
    EmailChannel(SMTPSettings(host="127.0.0.1", port=port, sender="freshkb@acme.test")).send(
        "alice@acme.test", message()
    )
    [env] = box.messages
    assert env.rcpt_tos == ["alice@acme.test"]
    assert env.mail_from == "freshkb@acme.test"
    msg = parse(env.content)  # type: ignore[arg-type]
    assert msg["Subject"] == "FreshKB: 1 document to review"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and "1. Deploy runbook [overdue by 12 days]" in text.get_content()
    assert html is not None and '<a href="https://notion.test/1">Deploy runbook</a>' in html.get_content()


def test_refused_recipient_is_a_delivery_error_naming_it(smtp_server: tuple[Mailbox, int]) -> None:
    box, port = smtp_server
    box.refuse.add("gone@acme.test")
    channel = EmailChannel(SMTPSettings(host="127.0.0.1", port=port))
    with pytest.raises(DeliveryError) as err:
        channel.send("gone@acme.test", message())
    assert err.value.subject == "gone@acme.test"
    assert "550" in err.value.message
    assert box.messages == []


def test_unreachable_smtp_server_is_a_delivery_error() -> None:
    channel = EmailChannel(SMTPSettings(host="127.0.0.1", port=free_port(), timeout_s=2))
    with pytest.raises(DeliveryError) as err:
        channel.send("alice@acme.test", message())
    assert err.value.subject == "alice@acme.test"


def test_smtp_login_env_var_must_be_set() -> None:
    with pytest.raises(ConfigError) as err:
        EmailChannel(SMTPSettings(username_env="KB_SMTP_USER_UNSET"), env={})
    assert err.value.subject == "alerts.smtp.username_env"


def test_slack_webhook_posts_mrkdwn_blocks(webhook_server: tuple[Receiver, str]) -> None:
    receiver, base = webhook_server
    SlackWebhookChannel(5).send(base + SLACK_PATH, message())
    [(path, body)] = receiver.posts
    assert path == SLACK_PATH
    assert body["text"] == "FreshKB: 1 document to review"
    assert body["blocks"][1]["text"]["text"].startswith("*<https://notion.test/1|Deploy runbook>*")


def test_json_webhook_posts_the_digest(webhook_server: tuple[Receiver, str]) -> None:
    receiver, base = webhook_server
    JSONWebhookChannel(5).send(base + HOOK_PATH, message())
    [(_, body)] = receiver.posts
    assert body["recipient"] == "alice@acme.test"
    assert body["items"][0]["doc_id"] == "notion:1"


def test_webhook_error_names_the_host_not_the_secret_path(webhook_server: tuple[Receiver, str]) -> None:
    receiver, base = webhook_server
    receiver.fail_paths.add(SLACK_PATH)
    with pytest.raises(DeliveryError) as err:
        SlackWebhookChannel(5).send(base + SLACK_PATH, message())
    assert "HTTP 500" in str(err.value)
    assert "slack-secret-path" not in str(err.value)
    assert err.value.subject == base + "/…"
    dead = f"http://127.0.0.1:{free_port()}/hooks/secret-token"
    with pytest.raises(DeliveryError) as err:
        JSONWebhookChannel(2).send(dead, message())
    assert "secret-token" not in str(err.value)


def test_routing(tmp_path: Path) -> None:
    settings = company_settings(tmp_path, hook_base="https://hooks.test").alerts
    assert route_for("sre-team", settings).channel == "slack"  # type: ignore[union-attr]
    assert route_for("SRE-Team", settings).target == "https://hooks.test" + SLACK_PATH  # type: ignore[union-attr]
    alice = route_for("alice@acme.test", settings)
    assert alice is not None and (alice.channel, alice.target) == ("email", "alice@acme.test")
    assert route_for("Some Team", settings) is None
    settings.routes.append(settings.routes[0].model_copy(update={"owner": "*"}))
    assert route_for("Some Team", settings).channel == "slack"  # type: ignore[union-attr]
    assert route_for("alice@acme.test", settings).channel == "email"  # type: ignore[union-attr]


def test_redact_target() -> None:
    assert redact_target("https://hooks.slack.com/services/T/B/XYZ") == "https://hooks.slack.com/…"
    assert redact_target("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert redact_target("alice@acme.test") == "alice@acme.test"
