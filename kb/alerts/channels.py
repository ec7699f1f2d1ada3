"""Delivery channels for digests (SMTP email, Slack and JSON webhooks) and per-owner routing.

Routing (``route_for``): an ``[[alerts.routes]]`` entry naming the owner wins; else an
email-looking owner gets email at that address; else the ``'*'`` route; else there is no route.
Errors are ``DeliveryError`` naming the target; webhook URLs are shown as ``scheme://host/…``
because their path usually *is* the secret.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel

from kb.alerts.render import Rendered
from kb.config import AlertSettings, SMTPSettings
from kb.errors import ConfigError, DeliveryError


class Route(BaseModel):
    channel: str
    target: str

    @property
    def display(self) -> str:
        return redact_target(self.target)


def looks_like_email(value: str) -> bool:
    local, _, domain = value.partition("@")
    return bool(local) and "." in domain and " " not in value


def redact_target(target: str) -> str:
    """A target safe to log or show: email addresses as-is, URLs without path or query."""
    if "://" not in target:
        return target
    parts = urlsplit(target)
    host = parts.hostname or "?"
    if parts.port:
        host = f"{host}:{parts.port}"
    return (
        f"{parts.scheme}://{host}/…"
        if parts.path not in ("", "/") or parts.query
        else f"{parts.scheme}://{host}"
    )


def route_for(recipient: str, settings: AlertSettings) -> Route | None:
    for r in settings.routes:
        if r.owner != "*" and r.owner.lower() == recipient.lower():
            return Route(channel=r.channel, target=r.target)
    if looks_like_email(recipient):
        return Route(channel="email", target=recipient)
    for r in settings.routes:
        if r.owner == "*":
            return Route(channel=r.channel, target=r.target)
    return None


class Channel(Protocol):
    name: str

    def send(self, target: str, message: Rendered) -> None:
        """Deliver ``message`` to ``target`` or raise ``DeliveryError`` naming the target."""
        ...


class EmailChannel:
    """One SMTP session per message: a refused recipient fails only that owner's digest."""

    name = "email"

    def __init__(self, smtp: SMTPSettings, env: dict[str, str] | None = None) -> None:
        self.smtp = smtp
        env = dict(os.environ) if env is None else env
        self.username = env.get(smtp.username_env, "") if smtp.username_env else ""
        self.password = env.get(smtp.password_env, "") if smtp.password_env else ""
        if smtp.username_env and not self.username:
            raise ConfigError(
                f"SMTP login configured but ${smtp.username_env} is empty", subject="alerts.smtp.username_env"
            )

    def build(self, target: str, message: Rendered) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.smtp.sender
        msg["To"] = target
        msg["Subject"] = message.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.smtp.sender.rpartition("@")[2] or None)
        msg.set_content(message.text)
        msg.add_alternative(message.html, subtype="html")
        return msg

    def send(self, target: str, message: Rendered) -> None:
        msg = self.build(target, message)
        where = f"{self.smtp.host}:{self.smtp.port}"
        try:
            with smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.smtp.timeout_s) as smtp:
                if self.smtp.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(msg, to_addrs=[target])
        except smtplib.SMTPRecipientsRefused as err:
            code, reason = next(iter(err.recipients.values()), (0, b""))
            raise DeliveryError(
                f"SMTP server {where} refused the recipient: {code} {reason.decode(errors='replace')}",
                subject=target,
            ) from err
        except (smtplib.SMTPException, OSError) as err:
            raise DeliveryError(f"email via {where} failed: {err}", subject=target) from err
        if refused:
            raise DeliveryError(f"SMTP server {where} refused the recipient", subject=target)


class _WebhookChannel:
    name = "webhook"

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s

    def payload(self, message: Rendered) -> dict[str, object]:
        return message.json_payload

    def send(self, target: str, message: Rendered) -> None:
        shown = redact_target(target)
        try:
            resp = httpx.post(target, json=self.payload(message), timeout=self.timeout_s)
        except httpx.HTTPError as err:
            # str(err) may contain the URL; name the redacted target and the error type only.
            raise DeliveryError(f"{self.name} POST failed: {type(err).__name__}", subject=shown) from None
        if not 200 <= resp.status_code < 300:
            raise DeliveryError(f"{self.name} answered HTTP {resp.status_code}", subject=shown)


class SlackWebhookChannel(_WebhookChannel):
    name = "slack"

    def payload(self, message: Rendered) -> dict[str, object]:
        return message.slack


class JSONWebhookChannel(_WebhookChannel):
    name = "webhook"


def make_channel(name: str, settings: AlertSettings) -> Channel:
    """The real channel for an ``AlertRoute.channel`` name (``ConfigError`` if misconfigured)."""
    if name == "email":
        return EmailChannel(settings.smtp)
    if name == "slack":
        return SlackWebhookChannel(settings.webhook_timeout_s)
    if name == "webhook":
        return JSONWebhookChannel(settings.webhook_timeout_s)
    raise ConfigError(f"unknown alert channel '{name}'", subject="alerts.routes")
