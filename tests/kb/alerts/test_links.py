"""Review links: HMAC-signed, expiring, refused without a real key, tamper-evident."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from kb.alerts.links import LinkExpired, LinkInvalid, ReviewLinks
from kb.config import Settings
from kb.errors import ConfigError
from tests.conftest import EXAMPLE_NOW
from tests.kb.alerts.conftest import SIGNING_KEY, company_settings

ENV = {"KB_SIGNING_KEY": SIGNING_KEY}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return company_settings(tmp_path)


def test_sign_and_verify_round_trip(settings: Settings) -> None:
    links = ReviewLinks(settings, ENV)
    claim = links.verify(links.token_for("notion:abc", "alice@acme.test", EXAMPLE_NOW), EXAMPLE_NOW)
    assert (claim.doc_id, claim.owner) == ("notion:abc", "alice@acme.test")
    assert claim.expires_at == EXAMPLE_NOW + timedelta(days=settings.alerts.link_ttl_days)


def test_url_points_at_the_public_base(settings: Settings) -> None:
    url = ReviewLinks(settings, ENV).url_for("gdrive:1x", "alice@acme.test", EXAMPLE_NOW)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://kb.acme.test/v1/review"
    token = parse_qs(parts.query)["token"][0]
    assert ReviewLinks(settings, ENV).verify(token, EXAMPLE_NOW).doc_id == "gdrive:1x"


def test_expired_link_is_refused(settings: Settings) -> None:
    links = ReviewLinks(settings, ENV)
    token = links.token_for("notion:abc", "alice@acme.test", EXAMPLE_NOW)
    ttl = timedelta(days=settings.alerts.link_ttl_days)
    links.verify(token, EXAMPLE_NOW + ttl - timedelta(seconds=1))
    with pytest.raises(LinkExpired):
        links.verify(token, EXAMPLE_NOW + ttl)


def test_tampered_payload_or_signature_is_refused(settings: Settings) -> None:
    links = ReviewLinks(settings, ENV)
    token = links.token_for("notion:abc", "alice@acme.test", EXAMPLE_NOW)
    body, sig = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged["o"] = "mallory@acme.test"
    forged_body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    for bad in (f"{forged_body}.{sig}", f"{body}.{sig[:-2]}AA", body, "", "x.y", "%%%.%%%"):
        with pytest.raises(LinkInvalid) as err:
            links.verify(bad, EXAMPLE_NOW)
        assert str(err.value) == "token: this review link is not valid"


def test_a_link_signed_with_another_key_is_refused(settings: Settings) -> None:
    other = ReviewLinks(settings, {"KB_SIGNING_KEY": "another-key-0123456789abcdef"})
    token = other.token_for("notion:abc", "alice@acme.test", EXAMPLE_NOW)
    with pytest.raises(LinkInvalid):
        ReviewLinks(settings, ENV).verify(token, EXAMPLE_NOW)


@pytest.mark.parametrize(
    "key", [None, "", "changeme", "CHANGEME", "secret", "short-key", "aaaaaaaaaaaaaaaaaaaa"]
)
def test_missing_or_placeholder_key_refuses_to_make_links(settings: Settings, key: str | None) -> None:
    env = {} if key is None else {"KB_SIGNING_KEY": key}
    with pytest.raises(ConfigError) as err:
        ReviewLinks(settings, env)
    assert err.value.subject == "KB_SIGNING_KEY"
