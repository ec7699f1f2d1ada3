"""Issue 10: successors inferred at ingest and owners' decisions, end to end (real model, embedded
Chroma, SQLite, the real app through TestClient, the real CLI).

A small handbook, read through an in-memory reader, edited years apart:

    pair        older page (2022, alice)         newer page (2025)            readers of the newer
    deploy      Deploying to production          Deploying to production      everyone
    vpn         VPN access                       VPN access                   group:security only
    onboarding  Onboarding a new engineer        Onboarding a new engineer    everyone
    backups     Database backups                 Database backups             everyone
    unrelated   Expense claims (2022)            Team lunch menu (2025)       everyone

Decisions are made on the onboarding and backups pairs only, so the other tests do not depend on
the order tests run in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kb.alerts.decision_links import DecisionLinks
from kb.alerts.links import ReviewLinks
from kb.api import create_app
from kb.auth import hash_token
from kb.cli import app as cli_app
from kb.clock import FixedClock
from kb.config import Settings, settings_from_dict
from kb.ingest.successors import refresh_inferred
from kb.lifecycle.inference import MIN_GAP_DAYS, edited
from kb.records import Document, SourceBatch
from kb.runtime import Runtime
from kb.store.audit import AuditLog
from kb.store.inferred_successors import InferredSuccessors
from kb.store.successor_decisions import SuccessorDecisions
from tests.conftest import EXAMPLE_NOW

pytestmark = pytest.mark.slow

KEY = "successor-signing-key-0123456789"
OLD_DATE = datetime(2022, 3, 1, tzinfo=UTC)
NEW_DATE = datetime(2025, 9, 1, tzinfo=UTC)
TOKENS = {
    "alice": ("tok-alice", "alice@acme.test", [], False),
    "bob": ("tok-bob", "bob@acme.test", [], False),
    "sec": ("tok-sec", "sam@acme.test", ["security"], False),
    "admin": ("tok-admin", "root@acme.test", [], True),
}

DEPLOY_OLD = (
    "Deploys go out through Jenkins. Open the deploy-prod job, pick the release tag and press "
    "Build. Jenkins runs the smoke tests and then rolls the new version out to the production "
    "cluster one node at a time. If a deploy fails, roll back with the rollback-prod job."
)
DEPLOY_NEW = (
    "Deploys go out through GitHub Actions. Merge to main, then approve the production deploy "
    "workflow. The workflow runs the smoke tests and rolls the new version out to the production "
    "cluster with a canary first. If a deploy fails, roll back by re-running the previous workflow."
)
VPN_OLD = (
    "Install the OpenVPN client, download your profile from the IT portal and connect to "
    "vpn.acme.test with your laptop password. The VPN gives access to internal dashboards."
)
VPN_NEW = (
    "Install the Tailscale client, sign in with single sign-on and connect to the acme tailnet. "
    "The VPN gives access to internal dashboards and the staging network."
)
ONBOARD_OLD = (
    "A new engineer gets a laptop from IT on day one, an account in Jenkins and the wiki, and a "
    "buddy from the team. In the first week they ship a small change and read the architecture notes."
)
ONBOARD_NEW = (
    "A new engineer gets a laptop on day one, accounts in GitHub and the handbook, and an onboarding "
    "buddy from the team. In the first week they ship a small change and read the architecture notes."
)
BACKUP_OLD = (
    "The Postgres database is backed up every night with pg_dump to the backup server; dumps are "
    "kept for 14 days. To restore, copy the dump back and run pg_restore into a fresh database."
)
BACKUP_NEW = (
    "The Postgres database is backed up continuously with WAL archiving to object storage; backups "
    "are kept for 30 days. To restore, use point-in-time recovery into a fresh database."
)


def _doc(name: str, title: str, text: str, when: datetime, acl: list[str], owner: str) -> Document:
    return Document(
        doc_id=f"notion:{name}",
        source="notion",
        title=title,
        text=text,
        last_edited_at=when,
        review_interval_days=3650,  # dates alone never make these stale: only successors do
        owner=owner,
        acl=acl,
    )


PAGES = [
    _doc("deploy-old", "Deploying to production", DEPLOY_OLD, OLD_DATE, ["everyone"], "alice@acme.test"),
    _doc("deploy-new", "Deploying to production", DEPLOY_NEW, NEW_DATE, ["everyone"], "bob@acme.test"),
    _doc("vpn-old", "VPN access", VPN_OLD, OLD_DATE, ["everyone"], "alice@acme.test"),
    _doc("vpn-new", "VPN access", VPN_NEW, NEW_DATE, ["group:security"], "sam@acme.test"),
    _doc("onboard-old", "Onboarding a new engineer", ONBOARD_OLD, OLD_DATE, ["everyone"], "alice@acme.test"),
    _doc("onboard-new", "Onboarding a new engineer", ONBOARD_NEW, NEW_DATE, ["everyone"], "bob@acme.test"),
    _doc("backup-old", "Database backups", BACKUP_OLD, OLD_DATE, ["everyone"], "alice@acme.test"),
    _doc("backup-new", "Database backups", BACKUP_NEW, NEW_DATE, ["everyone"], "bob@acme.test"),
    _doc(
        "expenses",
        "Expense claims",
        "Submit receipts in the finance tool within 30 days; claims over 500 euros need approval.",
        OLD_DATE,
        ["everyone"],
        "carol@acme.test",
    ),
    _doc(
        "lunch",
        "Team lunch menu",
        "Thursday lunch is pizza; vegetarian options are ordered by the office manager.",
        NEW_DATE,
        ["everyone"],
        "carol@acme.test",
    ),
]


class HandbookReader:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def read(self, path: Path) -> SourceBatch:
        return SourceBatch(source="notion", documents=[p.model_copy() for p in PAGES], identity=["handbook"])


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Runtime]:
    settings = settings_from_dict(
        {
            "data": {"dir": str(tmp_path_factory.mktemp("succ") / "data")},
            "auth": {
                "tokens": [
                    {"sha256": hash_token(tok), "user": user, "groups": groups, "admin": admin}
                    for tok, user, groups, admin in TOKENS.values()
                ]
            },
            "api": {"public_base_url": "https://kb.acme.test"},
        }
    )
    runtime = Runtime(settings, embedder=embedder, clock=FixedClock(EXAMPLE_NOW))
    report = runtime.ingester({"notion": HandbookReader}).ingest("notion", Path("handbook"))
    assert len(report.added) == len(PAGES)
    yield runtime
    runtime.close()


@pytest.fixture(scope="module")
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt, warm=False)) as c:
        yield c


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_SIGNING_KEY", KEY)


def auth(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[name][0]}"}


def pairs(rt: Runtime) -> set[tuple[str, str]]:
    return {(p.doc_id, p.successor_id) for p in InferredSuccessors(rt.db).all()}


# -- inference at ingest --------------------------------------------------------------------------


def test_ingest_finds_the_rewritten_pages_and_nothing_else(rt: Runtime) -> None:
    found = pairs(rt)
    for name in ("deploy", "vpn", "onboard", "backup"):
        assert (f"notion:{name}-old", f"notion:{name}-new") in found
    assert not any("expenses" in p or "lunch" in p for pair in found for p in pair)
    # An older page is never named the successor of a newer one.
    by_id = {d.doc_id: d for d in PAGES}
    for old, new in found:
        assert (edited(by_id[new]) - edited(by_id[old])).days >= MIN_GAP_DAYS  # type: ignore[operator]
        assert (new, old) not in found


def test_stored_inference_has_a_confidence_and_a_plain_reason(rt: Runtime) -> None:
    row = next(p for p in InferredSuccessors(rt.db).all() if p.doc_id == "notion:deploy-old")
    assert 0.5 < row.confidence <= 1.0
    assert row.reason.startswith("newer page with a near-identical title and 0.")
    assert row.reason.endswith("similar content, edited 3 years later")


def test_an_unchanged_reingest_keeps_the_inference(rt: Runtime) -> None:
    before = InferredSuccessors(rt.db).all()
    report = rt.ingester({"notion": HandbookReader}).ingest("notion", Path("handbook"))
    assert report.unchanged and report.successors_inferred is None  # nothing changed: not recomputed
    assert InferredSuccessors(rt.db).all() == before


# -- shown as the successor, to readers of the successor only --------------------------------------


def _listed(client: TestClient, who: str) -> dict[str, Any]:
    res = client.get("/v1/docs", headers=auth(who))
    assert res.status_code == 200
    return {d["doc_id"]: d for d in res.json()["documents"]}


def test_docs_list_and_detail_carry_the_inferred_successor(client: TestClient) -> None:
    succ = _listed(client, "alice")["notion:deploy-old"]["successor"]
    assert succ["doc_id"] == "notion:deploy-new" and succ["inferred"] is True
    assert "near-identical title" in succ["reason"]
    detail = client.get("/v1/docs/notion:deploy-old", headers=auth("alice")).json()
    assert detail["successor"] == succ
    assert any("probably replaced by 'Deploying to production'" in r for r in detail["freshness"]["reasons"])
    assert _listed(client, "alice")["notion:deploy-new"]["successor"] is None


def test_an_unreadable_successor_does_not_exist_for_the_reader(client: TestClient, rt: Runtime) -> None:
    listed = client.get("/v1/docs", headers=auth("alice"))
    detail = client.get("/v1/docs/notion:vpn-old", headers=auth("alice"))
    search = client.post(
        "/v1/search", json={"question": "How do I connect to the VPN?"}, headers=auth("alice")
    )
    successors = client.get("/v1/successors", headers=auth("alice"))
    for res in (listed, detail, search, successors):
        assert res.status_code == 200
        assert "vpn-new" not in res.text and "Tailscale" not in res.text
    assert detail.json()["successor"] is None
    assert not any("probably replaced" in r for r in detail.json()["freshness"]["reasons"])
    # A reader of the newer page sees it.
    sec = client.get("/v1/docs/notion:vpn-old", headers=auth("sec")).json()
    assert sec["successor"]["doc_id"] == "notion:vpn-new" and sec["successor"]["inferred"] is True


def test_search_names_and_ranks_the_inferred_successor(client: TestClient) -> None:
    res = client.post(
        "/v1/search", json={"question": "How do we deploy to production?"}, headers=auth("alice")
    ).json()
    ranks = {h["doc_id"]: h for h in res["results"]}
    old, new = ranks["notion:deploy-old"], ranks["notion:deploy-new"]
    assert new["rank"] < old["rank"]
    assert old["successor"]["doc_id"] == "notion:deploy-new" and old["successor"]["inferred"] is True
    assert any("probably replaces it" in w for w in res["warnings"])


def test_kb_docs_shows_the_successor_its_owner_may_read(rt: Runtime) -> None:
    config = _config_file(rt)
    out = CliRunner().invoke(cli_app, ["docs", "--json", "-c", str(config)])
    assert out.exit_code == 0, out.output
    docs = {d["doc_id"]: d for d in json.loads(out.stdout)}
    assert docs["notion:deploy-old"]["successor"]["doc_id"] == "notion:deploy-new"
    assert docs["notion:deploy-old"]["successor"]["inferred"] is True
    # alice owns vpn-old and cannot read vpn-new: kb docs judges as the owner, like her digest.
    assert docs["notion:vpn-old"]["successor"] is None
    text = CliRunner().invoke(cli_app, ["docs", "-c", str(config)])
    assert "successor: Deploying to production (notion:deploy-new; inferred: newer page" in text.stdout


def _config_file(rt: Runtime) -> Path:
    """A config.toml for the CLI pointing at this runtime's store and index."""
    path = rt.settings.data.dir / "config.toml"
    tokens = "".join(
        f'[[auth.tokens]]\nsha256 = "{hash_token(tok)}"\nuser = "{user}"\ngroups = {json.dumps(groups)}\n'
        f"admin = {'true' if admin else 'false'}\n"
        for tok, user, groups, admin in TOKENS.values()
    )
    path.write_text(f'[data]\ndir = "{rt.settings.data.dir}"\n\n{tokens}')
    return path


# -- owners decide ---------------------------------------------------------------------------------


def test_only_the_owner_or_an_admin_may_decide(client: TestClient, rt: Runtime) -> None:
    before = SuccessorDecisions(rt.db).version()
    body = {"successor_id": "notion:backup-new", "decision": "replaced"}
    res = client.post("/v1/docs/notion:backup-old/successor", json=body, headers=auth("bob"))
    assert res.status_code == 403 and res.json()["error"]["type"] == "PermissionDenied"
    # A page the decider cannot read is "no such document", as for one that does not exist.
    vpn = {"successor_id": "notion:vpn-new", "decision": "replaced"}
    assert (
        client.post("/v1/docs/notion:vpn-old/successor", json=vpn, headers=auth("alice")).status_code == 404
    )
    missing = {"successor_id": "notion:nope", "decision": "replaced"}
    assert (
        client.post("/v1/docs/notion:backup-old/successor", json=missing, headers=auth("alice")).status_code
        == 404
    )
    bad = {"successor_id": "notion:backup-new", "decision": "maybe"}
    assert (
        client.post("/v1/docs/notion:backup-old/successor", json=bad, headers=auth("alice")).status_code
        == 422
    )
    assert SuccessorDecisions(rt.db).version() == before


def test_not_replaced_suppresses_the_inference_everywhere(client: TestClient, rt: Runtime) -> None:
    query = {"question": "What does a new engineer get from IT and Jenkins on day one?"}
    before = {
        h["doc_id"]: h for h in client.post("/v1/search", json=query, headers=auth("alice")).json()["results"]
    }
    assert before["notion:onboard-old"]["successor"]["doc_id"] == "notion:onboard-new"
    assert before["notion:onboard-new"]["rank"] < before["notion:onboard-old"]["rank"]

    body = {"successor_id": "notion:onboard-new", "decision": "not_replaced"}
    res = client.post("/v1/docs/notion:onboard-old/successor", json=body, headers=auth("alice"))
    assert res.status_code == 200 and res.json()["decided_by"] == "alice@acme.test"

    after = {
        h["doc_id"]: h for h in client.post("/v1/search", json=query, headers=auth("alice")).json()["results"]
    }
    assert after["notion:onboard-old"]["successor"] is None
    # Nothing holds the older page under the newer one any more: the better match comes first.
    assert after["notion:onboard-old"]["rank"] < after["notion:onboard-new"]["rank"]
    assert _listed(client, "alice")["notion:onboard-old"]["successor"] is None
    assert client.get("/v1/docs/notion:onboard-old", headers=auth("alice")).json()["successor"] is None
    # ... and the next ingest that recomputes does not store the pair again.
    refresh_inferred(rt.db, rt.documents, rt.index, rt.clock)
    assert ("notion:onboard-old", "notion:onboard-new") not in pairs(rt)
    assert ("notion:deploy-old", "notion:deploy-new") in pairs(rt)
    audit = [e for e in AuditLog(rt.db).entries() if e.action.startswith("successor:")]
    assert any(e.action == "successor:not_replaced:api" and e.query == "notion:onboard-old" for e in audit)


def _decision_url_token(rt: Runtime, decision: str, owner: str, now: datetime) -> str:
    links = DecisionLinks(rt.settings)
    return links.sign_decision(
        "notion:backup-old", "notion:backup-new", decision, owner, now + timedelta(days=7)
    )  # type: ignore[arg-type]


def test_a_decision_link_records_once_then_says_it_was_used(client: TestClient, rt: Runtime) -> None:
    token = _decision_url_token(rt, "replaced", "alice@acme.test", EXAMPLE_NOW)
    page = client.get("/v1/successor-decision", params={"token": token})
    assert page.status_code == 200 and "Is <strong>Database backups</strong> replaced by" in page.text
    assert SuccessorDecisions(rt.db).history("notion:backup-old") == []  # a GET decides nothing

    done = client.post("/v1/successor-decision", params={"token": token})
    assert done.status_code == 200 and "answer recorded" in done.text
    replay = client.post("/v1/successor-decision", params={"token": token})
    assert replay.status_code == 200 and "already used" in replay.text
    history = SuccessorDecisions(rt.db).history("notion:backup-old")
    assert [(d.decision, d.decided_by, d.via) for d in history] == [("replaced", "alice@acme.test", "link")]

    # "replaced" acts like a stated link: superseded, confirmed by its owner, not a guess.
    detail = client.get("/v1/docs/notion:backup-old", headers=auth("bob")).json()
    assert detail["status"] == "superseded"
    assert detail["successor"]["doc_id"] == "notion:backup-new" and detail["successor"]["inferred"] is False
    assert "superseded by 'Database backups' (confirmed by its owner)" in detail["freshness"]["reasons"]


def test_forged_expired_foreign_and_crossed_links_decide_nothing(client: TestClient, rt: Runtime) -> None:
    good = _decision_url_token(rt, "not_replaced", "alice@acme.test", EXAMPLE_NOW)
    body, _, sig = good.partition(".")
    forged = f"{body}.{sig[:-2]}{'A' if sig[-2] != 'A' else 'B'}{sig[-1]}"
    expired = _decision_url_token(rt, "not_replaced", "alice@acme.test", EXAMPLE_NOW - timedelta(days=30))
    not_owner = _decision_url_token(rt, "not_replaced", "bob@acme.test", EXAMPLE_NOW)
    review = ReviewLinks(rt.settings).token_for("notion:backup-old", "alice@acme.test", EXAMPLE_NOW)
    before = SuccessorDecisions(rt.db).history("notion:backup-old")
    for token, status, says in (
        (forged, 403, "not valid"),
        (expired, 400, "expired"),
        (not_owner, 403, "only its owner or an admin"),
        (review, 403, "not valid"),  # a review link is not a decision link
        ("", 403, "not valid"),
        ("x" * 300 + "." + "\u00e9" * 20, 403, "not valid"),
    ):
        for method in (client.get, client.post):
            res = method("/v1/successor-decision", params={"token": token})
            assert (res.status_code, says in res.text) == (status, True), (token, res.text)
    # ... and a decision link is not a review link.
    assert client.post("/v1/review", params={"token": good}).status_code == 403
    assert SuccessorDecisions(rt.db).history("notion:backup-old") == before


def test_kb_successors_lists_states_and_decides(rt: Runtime) -> None:
    config = str(_config_file(rt))
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["successors", "--json", "-c", config])
    assert listed.exit_code == 0, listed.output
    items = {(i["doc_id"], i["successor_id"]): i for i in json.loads(listed.stdout)["items"]}
    deploy = items[("notion:deploy-old", "notion:deploy-new")]
    assert deploy["state"] == "pending" and deploy["inferred"] and deploy["confidence"] > 0.5

    pending = json.loads(runner.invoke(cli_app, ["successors", "--pending", "--json", "-c", config]).stdout)
    assert all(i["state"] == "pending" for i in pending["items"]) and pending["count"] == len(
        pending["items"]
    )

    refused = runner.invoke(
        cli_app,
        [
            "successors",
            "decide",
            "notion:deploy-old",
            "notion:deploy-new",
            "--replaced",
            "--as",
            "bob@acme.test",
            "-c",
            config,
        ],
    )
    assert refused.exit_code == 2 and "only the page's owner or an admin" in refused.stderr
    ok = runner.invoke(
        cli_app,
        [
            "successors",
            "decide",
            "notion:expenses",
            "notion:lunch",
            "--not-replaced",
            "--as",
            "root@acme.test",
            "-c",
            config,
        ],
    )
    assert ok.exit_code == 0 and "notion:expenses is not replaced by notion:lunch" in ok.stdout
    text = runner.invoke(cli_app, ["successors", "-c", config]).stdout
    assert "PENDING      notion:deploy-old  Deploying to production" in text
    assert "NOT REPLACED notion:expenses  Expense claims" in text
    assert "decided by root@acme.test" in text
