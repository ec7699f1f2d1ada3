"""Sign-in on the web pages through the identity provider: OpenID Connect authorization code
flow with PKCE (RFC 7636, S256), for ``[auth.jwt.login]``.

``GET /auth/login`` sends the browser to the provider's ``authorization_endpoint`` (from its
discovery document) with a fresh ``state``, ``nonce`` and PKCE challenge; the verifier, state,
nonce and the page to return to travel in a short-lived HttpOnly cookie scoped to ``/auth``, so
any API worker can finish the flow. ``GET /auth/callback`` checks ``state``, exchanges the code
(with the verifier) at the ``token_endpoint``, verifies the ID token (signature from the
provider's ``jwks_uri``, ``iss``, ``aud`` = the client id, ``exp``, ``nonce``) and hands the page
the token FreshKB's API accepts (``kb.auth.Authenticator``: the access token when it is a JWT
for ``auth.jwt.audience``, else the ID token) in the URL fragment, which browsers never send to
a server; ``signin.js`` moves it into the tab's session storage and removes it from the address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx
import jwt

from kb.auth import LEEWAY_S, Authenticator
from kb.config import AuthSettings, OIDCLoginSettings
from kb.errors import AuthError, KBError

COOKIE = "freshkb_oidc"
COOKIE_TTL_S = 600
PAGES = ("/", "/my", "/admin")
"""Where a sign-in may return to (anything else returns to ``/``: no open redirect)."""


class LoginFailed(KBError):
    """The sign-in did not complete; ``message`` is safe to show the user."""

    http_status = 400


class ProviderFailed(LoginFailed):
    """The identity provider could not be reached or refused the exchange."""

    http_status = 502


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Pending:
    """What the login started, kept in the cookie until the callback."""

    state: str
    verifier: str
    nonce: str
    next: str

    def cookie(self) -> str:
        raw = json.dumps({"s": self.state, "v": self.verifier, "n": self.nonce, "r": self.next})
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def from_cookie(cls, value: str | None) -> Pending:
        try:
            data = json.loads(base64.urlsafe_b64decode((value or "").encode()))
            return cls(state=data["s"], verifier=data["v"], nonce=data["n"], next=safe_next(data["r"]))
        except (ValueError, KeyError, TypeError):
            raise LoginFailed("this sign-in has expired or was started elsewhere; start again") from None


def safe_next(value: str | None) -> str:
    return value if value in PAGES else "/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def start(next_page: str | None) -> Pending:
    return Pending(
        state=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(64),  # 86 characters: within PKCE's 43..128
        nonce=secrets.token_urlsafe(24),
        next=safe_next(next_page),
    )


def challenge(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())


def discovery_url(issuer: str, login: OIDCLoginSettings) -> str:
    return login.discovery_url or issuer.rstrip("/") + "/.well-known/openid-configuration"


@lru_cache(maxsize=4)
def discover(url: str, issuer: str, timeout_s: float) -> Provider:
    """The provider's endpoints (cached per process; a failure is not cached)."""
    try:
        resp = httpx.get(url, timeout=timeout_s)
        resp.raise_for_status()
        doc = resp.json()
        provider = Provider(**{k: str(doc[k]) for k in Provider.__dataclass_fields__})
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as err:
        raise ProviderFailed(
            f"cannot read the identity provider's discovery document: {type(err).__name__}", subject=url
        ) from err
    if provider.issuer.rstrip("/") != issuer.rstrip("/"):
        raise ProviderFailed("the discovery document names another issuer", subject=url)
    return provider


def authorize_url(provider: Provider, login: OIDCLoginSettings, redirect_uri: str, pending: Pending) -> str:
    params = {
        "response_type": "code",
        "client_id": login.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(login.scopes),
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": challenge(pending.verifier),
        "code_challenge_method": "S256",
    }
    return str(httpx.URL(provider.authorization_endpoint, params=params))


def check_state(pending: Pending, state: str | None) -> None:
    if not state or not hmac.compare_digest(pending.state.encode(), state.encode()):
        raise LoginFailed("this sign-in does not match the one started in this browser; start again")


def exchange(
    provider: Provider, login: OIDCLoginSettings, redirect_uri: str, code: str, pending: Pending
) -> dict[str, Any]:
    """The provider's token response for ``code`` (PKCE verifier included)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": login.client_id,
        "code_verifier": pending.verifier,
    }
    secret = os.environ.get(login.client_secret_env, "") if login.client_secret_env else ""
    auth = (login.client_id, secret) if secret else None
    try:
        resp = httpx.post(provider.token_endpoint, data=form, auth=auth, timeout=login.timeout_s)
    except httpx.HTTPError as err:
        raise ProviderFailed(f"cannot reach the identity provider: {type(err).__name__}") from err
    if resp.status_code != 200:
        raise ProviderFailed(f"the identity provider refused the sign-in (HTTP {resp.status_code})")
    try:
        body = resp.json()
    except ValueError:
        raise ProviderFailed("the identity provider's token response is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
        raise ProviderFailed("the identity provider's token response has no ID token")
    return body


def verify_id_token(
    provider: Provider, login: OIDCLoginSettings, issuer: str, algorithms: list[str], token: str, nonce: str
) -> dict[str, Any]:
    try:
        key = jwt.PyJWKClient(provider.jwks_uri, timeout=login.timeout_s).get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=algorithms,
            audience=login.client_id,
            issuer=issuer,
            leeway=LEEWAY_S,
            options={"require": ["exp", "iss", "aud", "nonce"]},
        )
    except jwt.PyJWKClientConnectionError as err:
        raise ProviderFailed("cannot fetch the identity provider's signing keys") from err
    except jwt.PyJWTError as err:  # bad signature, claims, or a key the provider does not list
        raise LoginFailed("the identity provider's ID token is not valid") from err
    if not hmac.compare_digest(str(claims.get("nonce")).encode(), nonce.encode()):
        raise LoginFailed("the identity provider's ID token is for another sign-in")
    return claims


def api_token(authenticator: Authenticator, tokens: dict[str, Any]) -> str:
    """The token FreshKB's API accepts: the access token, else the ID token."""
    for name in ("access_token", "id_token"):
        token = tokens.get(name)
        if not isinstance(token, str):
            continue
        try:
            authenticator.authenticate(f"Bearer {token}")
        except AuthError:
            continue
        return token
    raise ProviderFailed(
        "signed in, but [auth.jwt] accepts neither the access token nor the ID token "
        "(check auth.jwt.audience and user_claim)"
    )


def login_settings(auth: AuthSettings) -> OIDCLoginSettings | None:
    return auth.jwt.login if auth.jwt is not None else None
