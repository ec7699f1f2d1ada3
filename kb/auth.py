"""Who is calling: bearer tokens (static, stored as sha256 hashes) and optional OIDC/JWT.

``Authenticator.authenticate(authorization_header) -> Principal``. Failures raise ``AuthError``
with a message that never echoes the token and never says which check failed beyond
"invalid token" / "expired token": telling a caller that the audience (or the signature) was the
problem helps an attacker more than a legitimate user.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from pathlib import Path
from typing import Any

import jwt

from kb.config import AuthSettings, JWTSettings, TokenEntry
from kb.errors import AuthError, KBError
from kb.records import Principal

INVALID = "invalid token"
EXPIRED = "expired token"
# Clock skew tolerated between FreshKB and the identity provider.
LEEWAY_S = 30


class IdentityProviderUnavailable(KBError):
    """The identity provider's signing keys could not be fetched: not the caller's fault."""

    http_status = 503


def hash_token(token: str) -> str:
    """The sha256 hex digest stored in ``[[auth.tokens]]`` instead of the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and all(token.split("."))


class _JWKS:
    """Signing keys from a JWKS URL (cached by PyJWKClient) or a local JWKS file."""

    def __init__(self, settings: JWTSettings) -> None:
        self._client = jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None
        self._path = Path(settings.jwks_path) if settings.jwks_path else None
        self._keyset: jwt.PyJWKSet | None = None
        self._lock = threading.Lock()

    def key_for(self, token: str) -> Any:
        if self._client is not None:
            try:
                return self._client.get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientConnectionError as err:
                raise IdentityProviderUnavailable(
                    "cannot fetch the identity provider's signing keys", subject="auth.jwt.jwks_url"
                ) from err
            except (jwt.PyJWKClientError, jwt.DecodeError) as err:
                raise AuthError(INVALID) from err
        return self._local_key(token)

    def _local_key(self, token: str) -> Any:
        with self._lock:
            if self._keyset is None:
                self._keyset = self._load_file()
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.DecodeError as err:
            raise AuthError(INVALID) from err
        keys = self._keyset.keys
        if kid is None and len(keys) == 1:
            return keys[0].key
        for k in keys:
            if k.key_id == kid:
                return k.key
        raise AuthError(INVALID)

    def _load_file(self) -> jwt.PyJWKSet:
        assert self._path is not None
        try:
            return jwt.PyJWKSet.from_dict(json.loads(self._path.read_text()))
        except (OSError, ValueError, jwt.PyJWKSetError) as err:
            raise IdentityProviderUnavailable(
                f"cannot read the JWKS file: {err}", subject="auth.jwt.jwks_path"
            ) from err


class Authenticator:
    def __init__(self, settings: AuthSettings) -> None:
        self._tokens: list[TokenEntry] = list(settings.tokens)
        self._admin_groups = {g.lower() for g in settings.admin_groups}
        self._jwt = settings.jwt
        self._jwks = (
            _JWKS(settings.jwt)
            if settings.jwt and (settings.jwt.jwks_url or settings.jwt.jwks_path)
            else None
        )

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal for an ``Authorization`` header value; ``AuthError`` otherwise."""
        if not authorization or not authorization.strip():
            raise AuthError("missing bearer token: send 'Authorization: Bearer <token>'")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise AuthError("malformed Authorization header: expected 'Bearer <token>'")
        principal = self._static(token)
        if principal is not None:
            return principal
        if self._jwks is not None and _looks_like_jwt(token):
            return self._from_jwt(token)
        raise AuthError(INVALID)

    def _static(self, token: str) -> Principal | None:
        digest = hash_token(token)
        found: TokenEntry | None = None
        # Compare against every entry (constant time each) so timing does not reveal position.
        for entry in self._tokens:
            if hmac.compare_digest(digest, entry.sha256.lower()) and found is None:
                found = entry
        if found is None:
            return None
        return self._principal(found.user, found.groups, explicit_admin=found.admin)

    def _from_jwt(self, token: str) -> Principal:
        assert self._jwt is not None and self._jwks is not None
        key = self._jwks.key_for(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=self._jwt.algorithms,
                audience=self._jwt.audience,
                issuer=self._jwt.issuer,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as err:
            raise AuthError(EXPIRED) from err
        except jwt.InvalidTokenError as err:
            raise AuthError(INVALID) from err
        user = claims.get(self._jwt.user_claim)
        if not isinstance(user, str) or not user.strip():
            raise AuthError(INVALID)
        raw_groups = claims.get(self._jwt.groups_claim, [])
        if isinstance(raw_groups, str):
            raw_groups = [raw_groups]
        groups = [g for g in raw_groups if isinstance(g, str)] if isinstance(raw_groups, list) else []
        return self._principal(user, groups, explicit_admin=False)

    def _principal(self, user: str, groups: list[str], *, explicit_admin: bool) -> Principal:
        lowered = frozenset(g.lower() for g in groups)
        admin = explicit_admin or bool(lowered & self._admin_groups)
        return Principal(user=user.strip().lower(), groups=lowered, admin=admin)


def principal_for(user: str, auth: AuthSettings) -> Principal:
    """The principal the API would build for ``user``'s ``[[auth.tokens]]`` entries (their groups;
    admin when an entry says so or a group is in ``auth.admin_groups``); a user with no entry is
    a plain principal with no groups. Used where FreshKB acts for a person who is not calling it
    (an owner reading their digest)."""
    user = user.strip().lower()
    admin_groups = {g.lower() for g in auth.admin_groups}
    groups: set[str] = set()
    admin = False
    for entry in auth.tokens:
        if entry.user.strip().lower() == user:
            groups.update(g.lower() for g in entry.groups)
            admin = admin or entry.admin
    return Principal(user=user, groups=frozenset(groups), admin=admin or bool(groups & admin_groups))
