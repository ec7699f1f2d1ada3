"""Sign-in on the pages with ``[auth.jwt.login]``: authorization code + PKCE against a tiny real
OIDC provider on loopback (``tests/kb/api/oidc_provider.py``), FreshKB under a real uvicorn.

The whole flow hands the page a token the API accepts, in the fragment only; a forged state, a
verifier or nonce of another sign-in, a replayed callback or an unknown page to return to get no
token; in Chromium the link on ``/my`` signs in by keyboard and leaves no token in the address."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from kb.api import create_app, oidc
from kb.clock import FixedClock
from kb.config import settings_from_dict
from kb.runtime import Runtime
from tests.conftest import EXAMPLE_NOW
from tests.kb.api.jwt_keys import AUDIENCE, SigningKey
from tests.kb.api.live import serve
from tests.kb.api.oidc_provider import CLIENT_ID, Provider, running_provider
from tests.kb.api.test_page_browser import CHROMIUM
from tests.kb.api.test_page_flows_browser import open_page


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as p:
        yield p


@pytest.fixture(scope="module")
def base(provider: Provider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = settings_from_dict(
        {
            "data": {"dir": str(tmp_path_factory.mktemp("oidc") / "data")},
            "auth": {
                "jwt": {
                    "issuer": provider.issuer,
                    "audience": AUDIENCE,
                    "jwks_url": f"{provider.issuer}/jwks",
                    "login": {"client_id": CLIENT_ID},
                }
            },
        }
    )
    rt = Runtime(settings, clock=FixedClock(EXAMPLE_NOW))
    with serve(create_app(rt, warm=False)) as url:
        settings.api.public_base_url = url  # the redirect URI registered at the provider
        provider.redirect_uris.add(f"{url}/auth/callback")
        yield url
    rt.close()


def _start(base: str, next_page: str = "/my") -> tuple[str, str]:
    """(the provider's authorize URL, the login cookie)."""
    resp = httpx.get(f"{base}/auth/login", params={"next": next_page})
    assert resp.status_code == 302, resp.text
    return resp.headers["location"], resp.cookies[oidc.COOKIE]


def _code(authorize: str) -> tuple[str, str]:
    """Follow the provider's authorize URL: (code, state) it sends back."""
    back = httpx.get(authorize)
    assert back.status_code == 307, back.text
    query = parse_qs(urlsplit(back.headers["location"]).query)
    return query["code"][0], query["state"][0]


def _callback(base: str, cookie: str, code: str, state: str) -> httpx.Response:
    return httpx.get(
        f"{base}/auth/callback",
        params={"code": code, "state": state},
        headers={"Cookie": f"{oidc.COOKIE}={cookie}"},
    )


def test_code_and_pkce_hand_the_page_a_token_the_api_accepts(base: str, provider: Provider) -> None:
    authorize, cookie = _start(base)
    asked = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{provider.issuer}/authorize?")
    assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) == 43
    assert asked["redirect_uri"] == [f"{base}/auth/callback"] and asked["client_id"] == [CLIENT_ID]
    pending = oidc.Pending.from_cookie(cookie)
    assert asked["state"] == [pending.state] and asked["nonce"] == [pending.nonce]
    assert asked["code_challenge"] == [oidc.challenge(pending.verifier)]  # the verifier never leaves
    assert pending.verifier not in authorize

    code, state = _code(authorize)
    done = _callback(base, cookie, code, state)
    assert done.status_code == 303, done.text
    page, _, fragment = done.headers["location"].partition("#")
    assert page == "/my" and fragment.startswith("freshkb_token=")
    assert 'freshkb_oidc=""' in done.headers["set-cookie"]  # the login cookie is dropped
    token = fragment.removeprefix("freshkb_token=")
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == AUDIENCE  # the access token
    mine = httpx.get(f"{base}/v1/my", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200 and mine.json()["user"] == "alice.chen@acme.com"

    again = _callback(base, cookie, code, state)  # the same code twice: the provider refuses
    assert again.status_code == 502 and "freshkb_token" not in again.text + str(again.headers)
    assert provider.refused[-1] == "unknown or used code"


def test_a_forged_state_gets_no_token(base: str) -> None:
    authorize, cookie = _start(base)
    code, state = _code(authorize)
    resp = _callback(base, cookie, code, state[:-2] + "xx")
    assert resp.status_code == 400 and "does not match" in resp.text
    assert "location" not in resp.headers and "freshkb_token" not in resp.text
    no_cookie = httpx.get(f"{base}/auth/callback", params={"code": code, "state": state})
    assert no_cookie.status_code == 400 and "expired" in no_cookie.text


def test_another_sign_ins_verifier_or_nonce_gets_no_token(base: str, provider: Provider) -> None:
    authorize, cookie = _start(base)
    code, state = _code(authorize)
    pending = oidc.Pending.from_cookie(cookie)
    forged = replace(pending, verifier=oidc.start("/").verifier).cookie()
    resp = _callback(base, forged, code, state)
    assert resp.status_code == 502 and "refused" in resp.text and "freshkb_token" not in resp.text
    assert provider.refused[-1] == "PKCE verifier does not match"

    authorize, cookie = _start(base)
    code, state = _code(authorize)
    other_nonce = replace(oidc.Pending.from_cookie(cookie), nonce="another-sign-in").cookie()
    resp = _callback(base, other_nonce, code, state)
    assert resp.status_code == 400 and "another sign-in" in resp.text and "location" not in resp.headers


def test_the_return_page_is_one_of_the_pages(base: str) -> None:
    for asked, lands in (("https://evil.example/", "/"), ("//evil.example", "/"), ("/admin", "/admin")):
        authorize, cookie = _start(base, asked)
        code, state = _code(authorize)
        assert _callback(base, cookie, code, state).headers["location"].split("#")[0] == lands


def test_without_login_settings_the_pages_use_tokens(tmp_path: Path) -> None:
    rt = Runtime(settings_from_dict({"data": {"dir": str(tmp_path / "data")}}), clock=FixedClock(EXAMPLE_NOW))
    with serve(create_app(rt, warm=False)) as url:
        assert httpx.get(f"{url}/auth/config").json() == {"login": False}
        assert httpx.get(f"{url}/auth/login").status_code == 404
        assert httpx.get(f"{url}/auth/callback", params={"code": "c", "state": "s"}).status_code == 404
    rt.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")
def test_sign_in_from_my_page_by_keyboard(browser: Any, base: str) -> None:
    page, errors = open_page(browser, base, "phone", "/my")
    link = page.get_by_role("link", name="Sign in with your company account")
    link.wait_for(timeout=10_000)
    link.focus()
    page.keyboard.press("Enter")
    page.locator("#mine").wait_for(state="visible", timeout=30_000)
    assert page.url == f"{base}/my"  # no token left in the address
    assert "alice.chen@acme.com" in page.locator("#who").inner_text()
    stored = page.evaluate("sessionStorage.getItem('freshkb.token')")
    assert jwt.decode(stored, options={"verify_signature": False})["email"] == "alice.chen@acme.com"
    assert page.get_by_label("Access token").input_value() == stored
    assert errors == []
    page.close()


def test_an_id_token_signed_with_another_key_gets_no_token(base: str, provider: Provider) -> None:
    authorize, cookie = _start(base)
    code, state = _code(authorize)
    provider.sign_with = SigningKey(kid="not-published")
    try:
        resp = _callback(base, cookie, code, state)
    finally:
        provider.sign_with = None
    assert resp.status_code == 400 and "not valid" in resp.text and "location" not in resp.headers
