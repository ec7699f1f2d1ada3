"""The PostgreSQL backend's translation of the repositories' SQL, and its errors (a real server)."""

from __future__ import annotations

import time

import pytest

from kb.config import settings_from_dict
from kb.errors import ConfigError, StoreError
from kb.store.db import open_database
from kb.store.postgres import redact, translate
from tests.postgres import PASSWORD_ENV, PostgresServer


def test_placeholders_become_psycopg_ones_outside_string_literals() -> None:
    assert translate("SELECT ? WHERE a = '?' AND b LIKE 'x%' AND c = ?") == (
        "SELECT %s WHERE a = '?' AND b LIKE 'x%%' AND c = %s"
    )
    assert translate("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', %s"


def test_urls_in_errors_never_carry_a_password() -> None:
    assert redact("postgresql://kb:hunter2@db.internal:5432/kb") == "postgresql://kb:***@db.internal:5432/kb"
    assert redact("postgresql://kb@db.internal/kb") == "postgresql://kb@db.internal/kb"


def test_store_url_with_a_password_or_another_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"store\.url.*must not contain a password"):
        settings_from_dict({"store": {"url": "postgresql://kb:hunter2@db/kb"}})
    with pytest.raises(ConfigError, match=r"store\.url.*postgresql://user@host"):
        settings_from_dict({"store": {"url": "mysql://kb@db/kb"}})


@pytest.mark.slow
def test_wrong_password_is_a_store_error_naming_the_url(postgres: PostgresServer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = postgres.create_database()
    settings = settings_from_dict({"store": {"url": url, "password_env": "KB_WRONG_PW", "timeout_s": 2}})
    monkeypatch.setenv("KB_WRONG_PW", "not-the-password")
    db = open_database(settings)
    started = time.monotonic()
    with pytest.raises(StoreError, match="password authentication failed") as err:
        db.execute("SELECT 1")
    assert str(err.value).startswith(url) and "not-the-password" not in str(err.value)
    assert time.monotonic() - started < 10
    db.dispose()


@pytest.mark.slow
def test_the_password_comes_from_the_named_env_var(postgres: PostgresServer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = postgres.create_database()
    monkeypatch.setenv("KB_STORE_PW_FOR_TEST", postgres.password)
    monkeypatch.delenv(PASSWORD_ENV)
    db = open_database(settings_from_dict({"store": {"url": url, "password_env": "KB_STORE_PW_FOR_TEST"}}))
    assert db.dialect == "postgresql" and db.execute("SELECT 1 AS one").fetchone()["one"] == 1
    db.dispose()
