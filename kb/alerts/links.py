"""Signed, expiring one-click review links for digests.

A token is ``<payload>.<signature>``: the payload is base64url JSON ``{"d": doc_id, "o": owner,
"e": expiry (unix seconds)}`` and the signature is HMAC-SHA256 over the payload with the key from
the env var named by ``alerts.signing_key_env``. Anyone holding the link may confirm the review
as ``owner`` until it expires, so the key must be real: missing or placeholder keys are refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from pydantic import BaseModel

from kb.clock import utc
from kb.config import Settings
from kb.errors import BadRequest, ConfigError, PermissionDenied

MIN_KEY_CHARS = 16
PLACEHOLDER_KEYS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "changeit",
        "secret",
        "placeholder",
        "example",
        "dev",
        "test",
        "password",
        "xxx",
        "todo",
        "replace-me",
        "replaceme",
    }
)


class ReviewClaim(BaseModel):
    """What a valid token grants: ``owner`` may confirm ``doc_id`` until ``expires_at``."""

    doc_id: str
    owner: str
    expires_at: datetime


class LinkExpired(BadRequest):
    """A correctly signed token whose time is up (HTTP 400)."""


class LinkInvalid(PermissionDenied):
    """A token that is malformed or whose signature does not match (HTTP 403)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _check_key(key: str | None, env_var: str) -> bytes:
    if not key or not key.strip():
        raise ConfigError(f"review links need a signing key in ${env_var}", subject=env_var)
    stripped = key.strip()
    if stripped.lower() in PLACEHOLDER_KEYS or len(set(stripped)) < 4:
        raise ConfigError(f"${env_var} holds a placeholder, set a random key", subject=env_var)
    if len(stripped) < MIN_KEY_CHARS:
        raise ConfigError(f"${env_var} is too short (at least {MIN_KEY_CHARS} characters)", subject=env_var)
    return stripped.encode()


class ReviewLinks:
    """Signs and verifies review tokens and builds ``{public_base_url}/v1/review?token=...``."""

    def __init__(self, settings: Settings, env: Mapping[str, str] | None = None) -> None:
        env_var = settings.alerts.signing_key_env
        self._key = _check_key((env if env is not None else os.environ).get(env_var), env_var)
        self._ttl = timedelta(days=settings.alerts.link_ttl_days)
        self._base = settings.api.public_base_url.rstrip("/")

    def sign(self, doc_id: str, owner: str, expires_at: datetime) -> str:
        payload = json.dumps(
            {"d": doc_id, "o": owner, "e": int(utc(expires_at).timestamp())},
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        body = _b64(payload)
        return f"{body}.{_b64(self._mac(body))}"

    def token_for(self, doc_id: str, owner: str, now: datetime) -> str:
        return self.sign(doc_id, owner, utc(now) + self._ttl)

    def url_for(self, doc_id: str, owner: str, now: datetime) -> str:
        return f"{self._base}/v1/review?token={quote(self.token_for(doc_id, owner, now))}"

    def verify(self, token: str, now: datetime) -> ReviewClaim:
        """The claim of a genuine, unexpired token; ``LinkInvalid`` / ``LinkExpired`` otherwise.

        The errors say nothing about which part was wrong: a tampered link learns nothing.
        """
        body, _, sig = token.strip().partition(".")
        try:
            # The signature is checked before the payload is even parsed.
            if not body or not sig or not hmac.compare_digest(_unb64(sig), self._mac(body)):
                raise LinkInvalid("this review link is not valid", subject="token")
            data = json.loads(_unb64(body))
            claim = ReviewClaim(
                doc_id=str(data["d"]),
                owner=str(data["o"]),
                expires_at=datetime.fromtimestamp(int(data["e"]), UTC),
            )
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError, OverflowError, OSError) as err:
            # OverflowError / OSError: a signed expiry beyond what a datetime can hold (10**20)
            raise LinkInvalid("this review link is not valid", subject="token") from err
        if claim.expires_at <= utc(now):
            raise LinkExpired("this review link has expired", subject="token")
        return claim

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()
