"""Signed one-click *replaced* / *not replaced* links for "Is X replaced by Y?" in digests.

The signing of ``kb.alerts.links`` (same key, same expiry, same errors), over a payload that also
names the successor and the answer: ``{"d": old, "s": successor, "v": "replaced" |
"not_replaced", "o": owner, "e": expiry}``. The MAC is taken over ``successor-decision:`` + the
payload, so a review token is not a valid decision token and a decision token is not a valid
review token, though both are signed with one key.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import quote

from pydantic import BaseModel

from kb.alerts.links import LinkExpired, LinkInvalid, ReviewLinks, _b64, _unb64
from kb.clock import utc
from kb.store.successor_decisions import Verdict

_DOMAIN = b"successor-decision:"
_INVALID = "this decision link is not valid"


class DecisionClaim(BaseModel):
    """What a valid token grants: ``owner`` may answer ``decision`` for the pair until ``expires_at``."""

    doc_id: str
    successor_id: str
    decision: Verdict
    owner: str
    expires_at: datetime


class DecisionLinks(ReviewLinks):
    """Signs and verifies decision tokens; ``{public_base_url}/v1/successor-decision?token=...``."""

    def sign_decision(
        self, doc_id: str, successor_id: str, decision: Verdict, owner: str, expires_at: datetime
    ) -> str:
        payload = {
            "d": doc_id,
            "s": successor_id,
            "v": decision,
            "o": owner,
            "e": int(utc(expires_at).timestamp()),
        }
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{_b64(self._mac(body))}"

    def decision_url(
        self, doc_id: str, successor_id: str, decision: Verdict, owner: str, now: datetime
    ) -> str:
        token = self.sign_decision(doc_id, successor_id, decision, owner, utc(now) + self._ttl)
        return f"{self._base}/v1/successor-decision?token={quote(token)}"

    def verify_decision(self, token: str, now: datetime) -> DecisionClaim:
        """The claim of a genuine, unexpired decision token; ``LinkInvalid`` / ``LinkExpired``
        otherwise, saying nothing about which part was wrong."""
        body, _, sig = token.strip().partition(".")
        try:
            if not body or not sig or not hmac.compare_digest(_unb64(sig), self._mac(body)):
                raise LinkInvalid(_INVALID, subject="token")
            data = json.loads(_unb64(body))
            claim = DecisionClaim(
                doc_id=str(data["d"]),
                successor_id=str(data["s"]),
                decision=data["v"],
                owner=str(data["o"]),
                expires_at=datetime.fromtimestamp(int(data["e"]), UTC),
            )
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError, OverflowError, OSError) as err:
            raise LinkInvalid(_INVALID, subject="token") from err
        if claim.expires_at <= utc(now):
            raise LinkExpired("this decision link has expired", subject="token")
        return claim

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, _DOMAIN + body.encode("ascii"), hashlib.sha256).digest()
