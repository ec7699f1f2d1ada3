"""Secrets are found, redacted, and never appear in a finding's preview."""

from __future__ import annotations

import pytest

from kb.records import Document
from kb.redaction import find_secrets, redact, redact_document
from kb.store.documents import DocumentStore
from kb.store.secrets import SecretFindings

AWS = "AKIAIOSFODNN7EXAMPLE"
GITHUB = "ghp_" + "a1B2c3D4e5" * 4
SLACK = "xoxb-123456789012-abcdefghijkl"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("secret", "kind"),
    [
        (AWS, "aws-access-key"),
        (GITHUB, "github-token"),
        (SLACK, "slack-token"),
        (STRIPE, "stripe-key"),
        (JWT, "jwt"),
        (KEY, "private-key"),
    ],
)
def test_each_token_kind_is_redacted(secret: str, kind: str) -> None:
    text, findings = redact(f"intro\nuse {secret} here\nend")
    assert secret not in text
    assert f"[REDACTED:{kind}]" in text
    assert [(f.kind, f.line) for f in findings] == [(kind, 2)]
    assert secret not in findings[0].preview
    assert text.startswith("intro\nuse ") and text.endswith(" here\nend")


def test_assignments_redact_the_value_only() -> None:
    text, findings = redact("db_password = hunter2!\nAPI_KEY: 'Zx9-77abcdEF'\ntoken=abc123def456")
    assert text == (
        "db_password = [REDACTED:password-assignment]\n"
        "API_KEY: '[REDACTED:password-assignment]'\n"
        "token=[REDACTED:password-assignment]"
    )
    assert [f.line for f in findings] == [1, 2, 3]


def test_prose_and_placeholders_are_not_secrets() -> None:
    text = (
        "Password: required for all staff.\npassword = <your password>\n"
        "token: ${SLACK_TOKEN}\nThe secret: kindness.\nAKIA is the prefix of AWS keys."
    )
    assert find_secrets(text) == []


def test_url_credentials_keep_the_user_and_host() -> None:
    text, findings = redact("connect to postgres://app:S3cr3t-pw@db.internal:5432/main")
    assert text == "connect to postgres://app:[REDACTED:url-password]@db.internal:5432/main"
    assert findings[0].kind == "url-password"
    assert "S3cr3t" not in findings[0].preview


def test_unterminated_private_key_is_redacted_to_the_end() -> None:
    text, findings = redact("see below\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\nmore")
    assert text == "see below\n[REDACTED:private-key]"
    assert findings[0].line == 2


def test_document_title_and_properties_are_redacted_too() -> None:
    doc = Document(
        doc_id="notion:1",
        source="notion",
        title=f"Keys {AWS}",
        text=f"a\n{GITHUB}",
        properties={"Notes": f"token={STRIPE}", "Count": 3},
    )
    clean, findings = redact_document(doc)
    dumped = clean.model_dump_json()
    assert AWS not in dumped and GITHUB not in dumped and STRIPE not in dumped
    assert {(f.field, f.kind) for f in findings} == {
        ("text", "github-token"),
        ("title", "aws-access-key"),
        ("properties.Notes", "stripe-key"),
    }
    assert clean.properties["Count"] == 3
    assert redact_document(Document(doc_id="notion:2", source="notion", title="t"))[1] == []


def test_findings_store_replaces_per_doc_and_lists_by_owner(open_db) -> None:  # type: ignore[no-untyped-def]
    db = open_db()
    docs = DocumentStore(db)
    store = SecretFindings(db)
    docs.upsert(Document(doc_id="notion:1", source="notion", title="A", owner="ann@x.example"))
    docs.upsert(Document(doc_id="notion:2", source="notion", title="B", owner="bob@x.example"))
    store.replace("notion:1", find_secrets(f"{AWS}\n{SLACK}"))
    store.replace("notion:2", find_secrets(JWT))
    assert [f.kind for f in store.for_owner("ANN@x.example")] == ["aws-access-key", "slack-token"]
    assert store.for_doc("notion:2")[0].title == "B"
    store.replace("notion:1", [])
    assert store.for_doc("notion:1") == []
    docs.delete(["notion:2"])
    assert store.all() == []
    assert all(AWS not in f.preview for f in find_secrets(AWS))


def test_every_free_text_field_is_redacted() -> None:
    """Issue 11, case 5: a secret in a file name, breadcrumb, URL, nested property or resolution
    note is redacted like one in the text; ids and ACLs are left as they are."""
    doc = Document(
        doc_id="gdrive:f1",
        source="gdrive",
        title="Deploy",
        text="body",
        path=["Ops", f"creds {SLACK}"],
        url=f"https://example.com/?t={GITHUB}",
        owner="ann@acme.example",
        last_edited_by=f"bot {AWS}",
        source_path=f"files/f1/deploy {AWS}.md",
        properties={"labels": [f"k={STRIPE}", {"note": JWT}], "Count": 3},
        resolution={"owner": f"property 'Owner' ({GITHUB})"},
        acl=["group:eng@acme.example"],
    )
    clean, findings = redact_document(doc)
    dumped = clean.model_dump_json()
    for secret in (AWS, GITHUB, SLACK, STRIPE, JWT):
        assert secret not in dumped
    assert clean.source_path == "files/f1/deploy [REDACTED:aws-access-key].md"
    assert {f.field for f in findings} >= {
        "path",
        "url",
        "last_edited_by",
        "source_path",
        "properties.labels",
        "properties.labels.note",
        "resolution.owner",
    }
    assert (clean.doc_id, clean.acl, clean.owner, clean.properties["Count"]) == (
        doc.doc_id,
        doc.acl,
        doc.owner,
        3,
    )
