"""kb.identity: one email normalisation, one way to build a principal (the API's, the CLI's and
the evals' are the same), and the people table."""

from __future__ import annotations

import pytest

from kb.auth import Authenticator, hash_token
from kb.cli.search import principal_for as cli_principal
from kb.config import AuthSettings, Person, TokenEntry
from kb.errors import ConfigError
from kb.identity import People, build_principal, normalize_email, principal_for_user, same_email


def test_normalize_email_trims_and_lowercases() -> None:
    assert normalize_email(" Alice.Chen@ACME.com\t") == "alice.chen@acme.com"
    assert same_email("Alice@Acme.test ", "alice@acme.test")
    assert not same_email(None, "alice@acme.test") and not same_email("a@x.test", "b@x.test")


def test_admin_comes_from_the_flag_or_an_admin_group() -> None:
    p = build_principal(" Ops@Acme.test", ["KB-Admins", " "], admin=False, admin_groups=["kb-admins "])
    assert (p.user, p.groups, p.admin) == ("ops@acme.test", frozenset({"kb-admins"}), True)
    assert not build_principal("a@acme.test", ["eng"], admin=False, admin_groups=["kb-admins"]).admin
    assert build_principal("a@acme.test", [], admin=True, admin_groups=[]).admin


def test_cli_and_eval_principals_equal_the_api_principal_for_the_token() -> None:
    auth = AuthSettings(
        tokens=[
            TokenEntry(sha256=hash_token("t1"), user="Fin@Acme.test", groups=["Finance"]),
            TokenEntry(sha256=hash_token("t2"), user="boss@acme.test", groups=["KB-Admins"]),
        ],
        admin_groups=["kb-admins"],
    )
    api = Authenticator(auth)
    for token, user in (("t1", "fin@acme.test"), ("t2", " BOSS@acme.test")):
        assert (
            cli_principal(user, auth) == principal_for_user(user, auth) == api.authenticate(f"Bearer {token}")
        )


def test_disagreeing_token_entries_name_the_user() -> None:
    auth = AuthSettings(
        tokens=[
            TokenEntry(sha256="0" * 64, user="a@acme.test", groups=["finance"]),
            TokenEntry(sha256="1" * 64, user="A@acme.test", groups=["eng"]),
        ]
    )
    with pytest.raises(ConfigError, match=r"a@acme\.test"):
        cli_principal("a@acme.test", auth)


def test_people_table_matches_emails_in_any_case() -> None:
    people = People([Person(name="Priya Nair", email="Priya.Nair@Acme.com", aliases=["P. Nair"])])
    assert people.email_for("  p. NAIR ") == "priya.nair@acme.com"
    assert people.email_for("PRIYA.NAIR@acme.com ") == "priya.nair@acme.com"
    assert people.is_known(" priya.nair@ACME.com") and people.name_of("PRIYA.nair@acme.com") == "Priya Nair"
