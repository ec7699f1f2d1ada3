"""Authenticator: static hashed tokens, JWTs against a local JWKS file and a loopback JWKS URL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.auth import Authenticator, IdentityProviderUnavailable, hash_token
from kb.config import AuthSettings
from kb.errors import AuthError
from tests.kb.api.jwt_keys import SigningKey, jwt_settings, serve_jwks

TOKEN = "s3cret-token-for-bob"


def static_auth() -> Authenticator:
    return Authenticator(
        AuthSettings.model_validate(
            {
                "tokens": [
                    {"sha256": hash_token(TOKEN), "user": "Bob@Acme.test", "groups": ["Finance"]},
                    {"sha256": hash_token("root-token"), "user": "root@acme.test", "admin": True},
                    {"sha256": hash_token("ops-token"), "user": "ops@acme.test", "groups": ["kb-admins"]},
                ]
            }
        )
    )


def test_static_token_gives_its_principal_with_lowercased_ids() -> None:
    p = static_auth().authenticate(f"Bearer {TOKEN}")
    assert p.user == "bob@acme.test"
    assert p.groups == frozenset({"finance"})
    assert not p.admin


def test_admin_comes_from_the_token_flag_or_an_admin_group() -> None:
    auth = static_auth()
    assert auth.authenticate("Bearer root-token").admin
    assert auth.authenticate("bearer ops-token").admin


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing bearer token"),
        ("", "missing bearer token"),
        ("Basic Ym9iOnB3", "malformed Authorization header"),
        ("Bearer", "malformed Authorization header"),
        ("Bearer a b", "malformed Authorization header"),
        ("Bearer wrong-token", "invalid token"),
    ],
)
def test_bad_credentials_are_refused_without_echoing_them(header: str | None, message: str) -> None:
    with pytest.raises(AuthError) as info:
        static_auth().authenticate(header)
    assert str(info.value).startswith(message)
    assert "wrong-token" not in str(info.value)
    assert "Ym9iOnB3" not in str(info.value)


def jwt_auth_from_file(tmp_path: Path, key: SigningKey) -> Authenticator:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(key.jwks()))
    return Authenticator(
        AuthSettings.model_validate({"jwt": jwt_settings(jwks_path=str(path)), "admin_groups": ["KB-Admins"]})
    )


def test_jwt_from_a_local_jwks_gives_user_groups_and_admin(tmp_path: Path) -> None:
    key = SigningKey()
    auth = jwt_auth_from_file(tmp_path, key)
    p = auth.authenticate(f"Bearer {key.token(email='Carol@acme.test', groups=['Security'])}")
    assert (p.user, p.groups, p.admin) == ("carol@acme.test", frozenset({"security"}), False)
    assert auth.authenticate(f"Bearer {key.token(groups=['kb-admins'])}").admin


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"expires_in": -120}, "expired token"),
        ({"aud": "someone-else"}, "invalid token"),
        ({"iss": "https://evil.example.test/"}, "invalid token"),
        ({"email": ""}, "invalid token"),
    ],
)
def test_jwt_with_bad_claims_is_refused(tmp_path: Path, claims: dict[str, object], message: str) -> None:
    key = SigningKey()
    auth = jwt_auth_from_file(tmp_path, key)
    with pytest.raises(AuthError) as info:
        auth.authenticate(f"Bearer {key.token(**claims)}")  # type: ignore[arg-type]
    assert info.value.message == message


def test_jwt_signed_by_another_key_is_refused(tmp_path: Path) -> None:
    trusted, attacker = SigningKey(), SigningKey()  # same kid, different key
    auth = jwt_auth_from_file(tmp_path, trusted)
    with pytest.raises(AuthError, match="invalid token"):
        auth.authenticate(f"Bearer {attacker.token()}")


def test_jwt_with_alg_none_is_refused(tmp_path: Path) -> None:
    import jwt

    key = SigningKey()
    auth = jwt_auth_from_file(tmp_path, key)
    forged = jwt.encode(
        {"iss": "https://idp.example.test/", "aud": "freshkb", "email": "x@acme.test", "exp": 4_000_000_000},
        key=None,
        algorithm="none",
        headers={"kid": key.kid},
    )
    with pytest.raises(AuthError, match="invalid token"):
        auth.authenticate(f"Bearer {forged}")


def test_jwt_keys_are_fetched_from_the_jwks_url() -> None:
    key = SigningKey()
    with serve_jwks(key.jwks()) as (url, seen):
        auth = Authenticator(AuthSettings.model_validate({"jwt": jwt_settings(jwks_url=url)}))
        assert auth.authenticate(f"Bearer {key.token(email='dan@acme.test')}").user == "dan@acme.test"
        assert auth.authenticate(f"Bearer {key.token(email='dan@acme.test')}").user == "dan@acme.test"
        with pytest.raises(AuthError, match="invalid token"):
            auth.authenticate(f"Bearer {SigningKey(kid='unknown').token()}")
    assert seen[0] == "/jwks.json"


def test_unreachable_jwks_url_is_a_service_error_not_a_bad_token() -> None:
    key = SigningKey()
    with serve_jwks(key.jwks()) as (url, _):
        pass  # the server is gone: nothing listens on that port any more
    auth = Authenticator(AuthSettings.model_validate({"jwt": jwt_settings(jwks_url=url)}))
    with pytest.raises(IdentityProviderUnavailable) as info:
        auth.authenticate(f"Bearer {key.token()}")
    assert info.value.http_status == 503
