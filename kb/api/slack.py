"""Slack: request signatures, the Web API calls FreshKB makes, who the Slack user is, and the
answer as a Slack message.

* ``verify_signature``: Slack's v0 scheme, HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` with the
  app's signing secret (from the env var ``slack.signing_secret_env``), compared in constant
  time; requests signed more than ``slack.replay_window_s`` ago (or ahead) are refused.
* ``SlackAPI``: ``users.info`` (the user's email) and ``chat.postMessage`` / ``chat.postEphemeral``
  against ``slack.api_base_url`` (a loopback server in tests).
* ``principal_for``: the Slack user's email must belong to an active person in ``[[people]]`` or
  to a ``[[auth.tokens]]`` user; groups come from that user's token entries. Unknown or departed
  users get a reply saying so and no answer.
* Who may read the reply: a slash command's answer is ephemeral (only the asker sees it) and a
  direct message goes to the asker alone, so both answer with the asker's ACL. A mention in a
  channel is read by the whole channel, so it answers only from documents open to everyone in
  the asker's email domain (``everyone`` / ``domain:...``), never group- or user-restricted ones.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import httpx

from kb.answer import Answer, Answerer
from kb.config import Settings, SlackSettings
from kb.errors import AuthError, ConfigError, DeliveryError, KBError
from kb.identity import normalize_email
from kb.records import Principal
from kb.runtime import Runtime
from kb.store.audit import AuditRecorder

log = logging.getLogger(__name__)


def _secret(settings: SlackSettings) -> str:
    secret = os.environ.get(settings.signing_secret_env, "")
    if not secret:
        raise ConfigError(
            f"Slack is not configured: set {settings.signing_secret_env}", subject="slack.signing_secret_env"
        )
    return secret


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify_signature(
    settings: SlackSettings,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise ``AuthError`` unless Slack signed ``body`` within the replay window."""
    secret = _secret(settings)
    if not timestamp or not signature:
        raise AuthError("missing Slack signature headers", subject="X-Slack-Signature")
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        raise AuthError("malformed Slack timestamp", subject="X-Slack-Request-Timestamp") from None
    if age > settings.replay_window_s:
        raise AuthError(
            "Slack request timestamp is outside the replay window", subject="X-Slack-Request-Timestamp"
        )
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise AuthError("invalid Slack signature", subject="X-Slack-Signature")


class SlackAPI:
    """The few Slack Web API methods FreshKB calls, with the bot token from the environment."""

    def __init__(self, settings: SlackSettings) -> None:
        self._settings = settings
        self._base = settings.api_base_url.rstrip("/")

    def _call(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        token = os.environ.get(self._settings.bot_token_env, "")
        if not token:
            raise ConfigError(
                f"set {self._settings.bot_token_env} to the bot token", subject="slack.bot_token_env"
            )
        try:
            response = httpx.post(
                f"{self._base}/{method}",
                json=payload,
                headers={"Authorization": f"Bearer {token}"},
                timeout=self._settings.timeout_s,
            )
            data: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise DeliveryError(f"Slack {method} failed: {err}", subject=method) from err
        if not data.get("ok"):
            raise DeliveryError(
                f"Slack {method} failed: {data.get('error', 'unknown error')}", subject=method
            )
        return data

    def email_of(self, user_id: str) -> str | None:
        profile = self._call("users.info", {"user": user_id}).get("user", {}).get("profile", {})
        email = profile.get("email")
        return normalize_email(email) if isinstance(email, str) and email.strip() else None

    def post(
        self, channel: str, text: str, *, thread_ts: str | None = None, ephemeral_to: str | None = None
    ) -> None:
        payload: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
        if thread_ts:
            payload["thread_ts"] = thread_ts
        if ephemeral_to:
            self._call("chat.postEphemeral", {**payload, "user": ephemeral_to})
        else:
            self._call("chat.postMessage", payload)


def principal_for(settings: Settings, email: str) -> Principal | None:
    """The FreshKB principal of a Slack user's email, or None when FreshKB does not know them."""
    email = email.lower()
    tokens = [t for t in settings.auth.tokens if t.user.lower() == email]
    person = next((p for p in settings.people if p.email.lower() == email), None)
    if (person is None and not tokens) or (person is not None and not person.active):
        return None
    groups = frozenset(g.lower() for t in tokens for g in t.groups)
    admin_groups = {g.lower() for g in settings.auth.admin_groups}
    return Principal(
        user=email, groups=groups, admin=any(t.admin for t in tokens) or bool(groups & admin_groups)
    )


def channel_principal(asker: Principal) -> Principal:
    """Reads what everyone in the asker's email domain may read, and nothing restricted."""
    domain = asker.user.rsplit("@", 1)[-1]
    return Principal(user=f"slack-channel@{domain}")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(answer: Answer) -> str:
    """The answer in Slack mrkdwn: text, numbered sources with owner / status / last review, warnings."""
    lines = [_esc(answer.text)]
    if answer.citations:
        lines.append("")
        for c in answer.citations:
            title = f"<{c.url}|{_esc(c.title)}>" if c.url else _esc(c.title)
            reviewed = c.last_reviewed_at.date().isoformat() if c.last_reviewed_at else "never"
            meta = f"{_esc(c.owner or 'no owner')} · {c.status.replace('_', ' ')} · last reviewed {reviewed}"
            lines.append(f"[{c.n}] {title} ({meta})")
            if c.successor is not None:
                nxt = (
                    f"<{c.successor.url}|{_esc(c.successor.title)}>"
                    if c.successor.url
                    else _esc(c.successor.title)
                )
                lines.append(f"     replaced by {nxt}")
    lines += [f":warning: {_esc(w)}" for w in answer.warnings]
    return "\n".join(lines)


@dataclass(frozen=True)
class SlackQuestion:
    user_id: str
    channel: str
    text: str
    thread_ts: str | None = None  # reply in this thread
    ephemeral: bool = False  # slash command: only the asker sees the reply
    direct: bool = False  # a direct message: only the asker reads the thread


NOT_LINKED = "Sorry, your Slack account is not linked to a FreshKB user, so I cannot answer."
EMPTY = "Ask me a question, e.g. `/kb how do I deploy a service?`"


def answer_in_slack(runtime: Runtime, answerer: Answerer, audit: AuditRecorder, q: SlackQuestion) -> None:
    """Map the user, answer with the ACL the reply's readers share, post the reply."""
    api = SlackAPI(runtime.settings.slack)
    try:
        reply = _reply(runtime, answerer, audit, api, q)
        api.post(q.channel, reply, thread_ts=q.thread_ts, ephemeral_to=q.user_id if q.ephemeral else None)
    except KBError as err:  # a background task: nobody to raise to, so say it in the log
        log.warning("Slack question from %s not answered: %s", q.user_id, err)


def _reply(
    runtime: Runtime, answerer: Answerer, audit: AuditRecorder, api: SlackAPI, q: SlackQuestion
) -> str:
    email = api.email_of(q.user_id)
    asker = principal_for(runtime.settings, email) if email else None
    if asker is None:
        return NOT_LINKED
    question = q.text.strip()[: runtime.settings.api.max_question_chars]
    if not question:
        return EMPTY
    reader = asker if q.ephemeral or q.direct else channel_principal(asker)
    with audit.call(asker, "ask", question) as call:
        result = runtime.retriever.search(question, reader, now=runtime.clock.now())
        answer = answerer.answer(question, result)
        call.doc_ids = [c.doc_id for c in answer.citations]
    return render(answer)
