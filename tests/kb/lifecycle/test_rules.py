"""Rules fill what the source left out, in order, and say why."""

from __future__ import annotations

from kb.config import Settings, settings_from_dict
from kb.lifecycle.rules import fallback_owner_for, resolve, rule_matches
from kb.records import Document


def _settings() -> Settings:
    return settings_from_dict(
        {
            "people": [{"name": "Priya Raman", "email": "Priya@acme.example", "aliases": ["P. Raman"]}],
            "review": {"default_interval_days": 180, "default_readers": ["domain:acme.example"]},
            "alerts": {"fallback_owner": "kb-admins@acme.example"},
            "rules": [
                {
                    "source": "notion",
                    "match": "Security/**",
                    "owner": "Priya Raman",
                    "review_interval_days": 90,
                    "readers": ["group:Security"],
                    "status": "active",
                    "fallback_owner": "ciso@acme.example",
                },
                {"match": "Engineering/*/Runbook*", "owner": "sre@acme.example", "review_interval_days": 30},
                {"source": "gdrive", "match": "**", "readers": ["everyone"], "status": "draft"},
            ],
        }
    )


def _doc(title: str, path: list[str] | None = None, source: str = "notion", **kw: object) -> Document:
    return Document(
        doc_id=f"{source}:{title}",
        source=source,
        title=title,  # type: ignore[arg-type]
        path=path or [],
        **kw,
    )  # type: ignore[arg-type]


def test_double_star_matches_the_page_itself_and_everything_below() -> None:
    rule = _settings().rules[0]
    assert rule_matches(rule, _doc("Security"))
    assert rule_matches(rule, _doc("Key rotation", ["Security"]))
    assert rule_matches(rule, _doc("Deep", ["security", "Policies", "2026"]))  # case-insensitive
    assert not rule_matches(rule, _doc("Security notes", ["Engineering"]))
    assert not rule_matches(rule, _doc("Securityish"))
    assert not rule_matches(rule, _doc("Key rotation", ["Security"], source="gdrive"))


def test_single_star_stays_within_one_level() -> None:
    rule = _settings().rules[1]
    assert rule_matches(rule, _doc("Runbook: deploys", ["Engineering", "Platform"]))
    assert not rule_matches(rule, _doc("Runbook: deploys", ["Engineering", "Platform", "Old"]))
    assert not rule_matches(rule, _doc("Runbook: deploys", ["Engineering"]))


def test_first_matching_rule_fills_missing_fields_and_records_why() -> None:
    doc = resolve(_doc("Key rotation", ["Security"]), _settings())
    assert doc.owner == "priya@acme.example"  # name mapped through people
    assert doc.review_interval_days == 90
    assert doc.acl == ["group:security"]
    assert doc.resolution["owner"] == "rule 1 (notion Security/**)"
    assert doc.resolution["acl"] == "rule 1 (notion Security/**)"


def test_explicit_document_metadata_wins_over_rules() -> None:
    raw = _doc(
        "Key rotation",
        ["Security"],
        owner="P. Raman",
        review_interval_days=7,
        acl=["User:Bob@acme.example"],
        status="deprecated",
        resolution={"owner": "property 'Owner'"},
    )
    doc = resolve(raw, _settings())
    assert doc.owner == "priya@acme.example"
    assert doc.resolution["owner"].startswith("property 'Owner'")
    assert "P. Raman" in doc.resolution["owner"]
    assert doc.review_interval_days == 7
    assert doc.resolution["review_interval_days"] == "source"
    assert doc.acl == ["user:bob@acme.example"]
    assert doc.status == "deprecated"
    assert raw.owner == "P. Raman"  # the input is not modified


def test_defaults_apply_when_no_rule_sets_a_field() -> None:
    doc = resolve(_doc("Lunch menu", ["Office"]), _settings())
    assert doc.owner is None
    assert doc.resolution["owner"].startswith("none")
    assert doc.review_interval_days == 180
    assert doc.resolution["review_interval_days"] == "default review.default_interval_days"
    assert doc.acl == ["domain:acme.example"]
    assert doc.resolution["acl"] == "default review.default_readers"
    assert doc.status == "active"


def test_rule_without_interval_falls_back_to_default_and_rule_sets_status() -> None:
    doc = resolve(_doc("Budget", source="gdrive"), _settings())
    assert doc.acl == ["everyone"]
    assert doc.status == "draft"
    assert doc.resolution["status"] == "rule 3 (gdrive **)"
    assert doc.review_interval_days == 180


def test_fallback_owner_comes_from_the_rule_else_the_global_setting() -> None:
    settings = _settings()
    assert fallback_owner_for(_doc("Key rotation", ["Security"]), settings) == "ciso@acme.example"
    assert fallback_owner_for(_doc("Lunch"), settings) == "kb-admins@acme.example"
    assert fallback_owner_for(_doc("Lunch"), settings_from_dict({})) is None
