"""A tiny but real OpenID Connect provider for tests, served on loopback by ``tests.kb.api.live``:
discovery, ``/authorize`` (signs in ``provider.user`` at once, as a provider with a session
would), ``/token`` (authorization code grant: one use per code, the redirect URI must match, and
the PKCE verifier must hash to the challenge given at ``/authorize``), and ``/jwks``. Tokens are
RS256 JWTs: an access token for the API's audience and an ID token for the client with the
nonce."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Query
from fastapi.responses import JSONResponse, RedirectResponse

from tests.kb.api.jwt_keys import AUDIENCE, SigningKey
from tests.kb.api.live import serve

CLIENT_ID = "freshkb-pages"


@dataclass
class Provider:
    issuer: str = ""
    user: str = "alice.chen@acme.com"
    groups: list[str] = field(default_factory=lambda: ["engineering@acme.com"])
    key: SigningKey = field(default_factory=SigningKey)  # published at /jwks
    sign_with: SigningKey | None = None  # a key the provider does not publish (a forgery)
    redirect_uris: set[str] = field(default_factory=set)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # why /token said no, for the tests


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def provider_app(p: Provider) -> FastAPI:
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {
            "issuer": p.issuer,
            "authorization_endpoint": f"{p.issuer}/authorize",
            "token_endpoint": f"{p.issuer}/token",
            "jwks_uri": f"{p.issuer}/jwks",
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        return p.key.jwks()

    @app.get("/authorize", response_model=None)
    def authorize(
        response_type: str,
        client_id: str,
        redirect_uri: str,
        state: str,
        nonce: str,
        code_challenge: str,
        code_challenge_method: str,
        scope: str = Query(""),
    ) -> RedirectResponse | JSONResponse:
        if client_id != CLIENT_ID or redirect_uri not in p.redirect_uris:
            return JSONResponse({"error": "unauthorized_client"}, 400)  # never redirect elsewhere
        if response_type != "code" or code_challenge_method != "S256" or "openid" not in scope.split():
            return RedirectResponse(
                f"{redirect_uri}?{urlencode({'error': 'invalid_request', 'state': state})}"
            )
        code = secrets.token_urlsafe(16)
        p.codes[code] = {"challenge": code_challenge, "redirect_uri": redirect_uri, "nonce": nonce}
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    @app.post("/token")
    def token(
        grant_type: str = Form(),
        code: str = Form(),
        redirect_uri: str = Form(),
        client_id: str = Form(),
        code_verifier: str = Form(),
    ) -> JSONResponse:
        issued = p.codes.pop(code, None)  # one use
        why = (
            "unknown or used code"
            if issued is None
            else "wrong grant or client"
            if grant_type != "authorization_code" or client_id != CLIENT_ID
            else "redirect_uri differs"
            if redirect_uri != issued["redirect_uri"]
            else "PKCE verifier does not match"
            if _challenge(code_verifier) != issued["challenge"]
            else ""
        )
        if why or issued is None:
            p.refused.append(why)
            return JSONResponse({"error": "invalid_grant", "error_description": why}, 400)
        claims = {"email": p.user, "groups": p.groups, "iss": p.issuer}
        signer = p.sign_with or p.key
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": 300,
                "access_token": signer.token(aud=AUDIENCE, **claims),  # type: ignore[arg-type]
                "id_token": signer.token(aud=CLIENT_ID, nonce=issued["nonce"], **claims),  # type: ignore[arg-type]
            }
        )

    return app


@contextmanager
def running_provider() -> Iterator[Provider]:
    p = Provider()
    with serve(provider_app(p), startup_timeout_s=30) as base:
        p.issuer = base
        yield p
