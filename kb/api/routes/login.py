"""Sign-in on the pages through the identity provider (``[auth.jwt.login]``, ``kb.api.oidc``):
``GET /auth/config`` (whether it is on: ``signin.js`` shows the link), ``GET /auth/login``
(to the provider) and ``GET /auth/callback`` (back, and to the page with the token in the
fragment). Failures get a page in the pages' look that says what to do, never a token."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kb.api import oidc
from kb.api.deps import RuntimeDep
from kb.api.routes.reviews import _page
from kb.auth import Authenticator
from kb.config import OIDCLoginSettings

router = APIRouter(prefix="/auth", include_in_schema=False)

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _redirect_uri(runtime: RuntimeDep) -> str:
    return runtime.settings.api.public_base_url.rstrip("/") + "/auth/callback"


def _failed(message: str, status: int) -> HTMLResponse:
    page = _page(
        "Sign-in failed",
        f'<p>{escape(message)}.</p><p><a href="/auth/login">Try again</a> or sign in with a token.</p>',
        status,
    )
    page.delete_cookie(oidc.COOKIE, path="/auth")
    return page


@router.get("/config")
def login_config(runtime: RuntimeDep) -> dict[str, bool]:
    return {"login": oidc.login_settings(runtime.settings.auth) is not None}


def _login(runtime: RuntimeDep) -> tuple[OIDCLoginSettings, str] | None:
    auth = runtime.settings.auth
    login = oidc.login_settings(auth)
    if login is None or auth.jwt is None:
        return None
    return login, auth.jwt.issuer


@router.get("/login", response_model=None)
def login(
    runtime: RuntimeDep, request: Request, next: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    configured = _login(runtime)
    if configured is None:
        return _page("Sign-in not configured", "<p>Sign in with an access token instead.</p>", 404)
    settings, issuer = configured
    try:
        provider = oidc.discover(oidc.discovery_url(issuer, settings), issuer, settings.timeout_s)
    except oidc.LoginFailed as err:
        return _failed(err.message, err.http_status)
    pending = oidc.start(next)
    resp = RedirectResponse(
        oidc.authorize_url(provider, settings, _redirect_uri(runtime), pending), 302, headers=_NO_STORE
    )
    resp.set_cookie(
        oidc.COOKIE,
        pending.cookie(),
        max_age=oidc.COOKIE_TTL_S,
        path="/auth",
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back
        secure=request.url.scheme == "https",
    )
    return resp


@router.get("/callback", response_model=None)
def callback(
    runtime: RuntimeDep,
    request: Request,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> Response:
    configured = _login(runtime)
    if configured is None:
        return _page("Sign-in not configured", "<p>Sign in with an access token instead.</p>", 404)
    settings, issuer = configured
    try:
        pending = oidc.Pending.from_cookie(request.cookies.get(oidc.COOKIE))
        oidc.check_state(pending, state)
        if error or not code:
            raise oidc.LoginFailed(f"the identity provider did not sign you in ({error or 'no code'})")
        provider = oidc.discover(oidc.discovery_url(issuer, settings), issuer, settings.timeout_s)
        tokens = oidc.exchange(provider, settings, _redirect_uri(runtime), code, pending)
        algorithms = runtime.settings.auth.jwt.algorithms if runtime.settings.auth.jwt else ["RS256"]
        oidc.verify_id_token(provider, settings, issuer, algorithms, tokens["id_token"], pending.nonce)
        authenticator: Authenticator = request.app.state.authenticator
        token = oidc.api_token(authenticator, tokens)
    except oidc.LoginFailed as err:
        return _failed(err.message, err.http_status)
    resp = RedirectResponse(f"{pending.next}#freshkb_token={token}", 303, headers=_NO_STORE)
    resp.delete_cookie(oidc.COOKIE, path="/auth")
    return resp
