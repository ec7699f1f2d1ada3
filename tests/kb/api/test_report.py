"""``GET /v1/report``, ``/admin`` and the ``kb_documents`` gauges over the example data, with its
own copy of the store (so other tests' traffic does not mix in): admins get the report, anyone
else 403; the gauges count only what the scraping token may read; ``kb report --json`` prints
the same figures."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kb.api import create_app
from kb.cli import app
from kb.clock import FixedClock
from kb.records import Principal
from kb.runtime import Runtime
from kb.store.health_snapshots import HealthSnapshots
from tests.conftest import EXAMPLE_NOW, ROOT
from tests.kb.api.conftest import USERS, auth, doc_id
from tests.kb.api.live import serve
from tests.kb.api.test_page_browser import CHROMIUM
from tests.kb.api.test_page_flows_browser import open_page

pytestmark = pytest.mark.slow

SAUNA = "How do I book the sauna on the fourth floor?"
NOTION_CHECKLIST = "notion:62186c6012a1b04b77e579a8f74b8ecb"
DRIVE_CHECKLIST = "gdrive:1f5eb5964f35e4420bda650362c70ec76"


@pytest.fixture(scope="module")
def rt(api_runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    if api_runtime.settings.store.url:  # the report's own isolated copy is a SQLite file
        pytest.skip("the report tests copy the SQLite store; PostgreSQL is covered by tests/kb/store")
    store = tmp_path_factory.mktemp("report") / "kb.sqlite"
    src, dst = sqlite3.connect(api_runtime.settings.store_path), sqlite3.connect(store)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    with sqlite3.connect(store) as conn:  # start from no traffic at all
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in {"audit", "usage", "feedback"} & tables:
            conn.execute(f"DELETE FROM {table}")
    settings = api_runtime.settings.model_copy(deep=True)
    settings.store.path = store
    settings.report.teams = {"platform": ["platform-team@acme.com", "alice.chen@acme.com"]}
    runtime = Runtime(settings, embedder=api_runtime.embedder, clock=FixedClock(EXAMPLE_NOW))
    yield runtime
    runtime.close()


@pytest.fixture(scope="module")
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt)) as c:
        yield c


def test_only_admins_get_the_report(client: TestClient) -> None:
    for user in ("engineer", "hr", "outsider"):
        response = client.get("/v1/report", headers=auth(user))
        assert response.status_code == 403, user
        assert response.json()["error"]["type"] == "PermissionDenied"
        assert "documents" not in response.text
    assert client.get("/v1/report").status_code == 401
    page = client.get("/admin")
    assert page.status_code == 200 and "Knowledge health" in page.text
    assert "script-src 'sha256-" in page.headers["content-security-policy"]


def test_the_report_reads_traffic_feedback_and_the_store(client: TestClient, rt: Runtime) -> None:
    migration = doc_id(rt, "Billing Migration Q4 2026")
    for _ in range(2):
        asked = client.post(
            "/v1/ask", json={"question": "How are invoices generated?"}, headers=auth("engineer")
        )
        assert asked.status_code == 200
    spec = doc_id(rt, "Billing Spec (2021)")
    owner = rt.documents.get(spec, with_text=False).owner  # type: ignore[union-attr]
    for question in (SAUNA, "Where do I reserve the sauna?"):
        vote = {"question": question, "answer": "…", "doc_ids": [spec], "rating": "down", "comment": "no"}
        assert client.post("/v1/feedback", json=vote, headers=auth("engineer")).status_code == 201

    body = client.get("/v1/report", headers=auth("admin")).json()
    everything = rt.documents.list()
    overall = next(r for r in body["health"] if r["dimension"] == "all")
    assert overall["documents"] == body["documents"] == len(everything)
    assert sum(body["by_status"].values()) == len(everything)
    assert overall["unowned"] == sum(1 for d in everything if not d.owner)
    assert overall["owner_left"] >= 1  # Marcus Webb left; he owns the 2021 billing spec
    teams = {r["key"]: r["documents"] for r in body["health"] if r["dimension"] == "team"}
    assert teams["platform"] == sum(
        1 for d in everything if d.owner in ("platform-team@acme.com", "alice.chen@acme.com")
    )
    assert {r["dimension"] for r in body["health"]} == {"all", "space", "team", "owner"}
    assert [t["day"] for t in body["trend"]] == [EXAMPLE_NOW.date().isoformat()]
    assert HealthSnapshots(rt.db).series()[-1].day == date(2026, 11, 20)

    [gap] = [g for g in body["gaps"] if any(q["question"] == SAUNA for q in g["questions"])]
    assert gap["count"] == 2 and gap["negative_feedback"] == 2
    assert gap["likely_owner"] == owner
    [week] = body["stale_citations"]
    assert week["answers"] == 2 and week["week"] == "2026-11-16"
    assert week["stale_first"] == 0  # the answer cites the current migration doc first
    used = {u["doc_id"]: u["uses"] for u in body["most_used"]}
    assert used[migration] == 2  # cited by both answers
    assert [(p["title_a"], p["title_b"]) for p in body["near_duplicates"]] == [
        ("New Engineer Onboarding Checklist", "New Engineer Onboarding Checklist")
    ]


def _gauges(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line.startswith("kb_documents{"):
            status = line.split('status="', 1)[1].split('"', 1)[0]
            out[status] = float(line.rsplit(" ", 1)[1])
    return out


def test_document_gauges_count_what_the_scraper_may_read(client: TestClient, rt: Runtime) -> None:
    everything = rt.documents.list()
    for user in ("admin", "engineer", "hr", "outsider"):
        gauges = _gauges(client.get("/metrics", headers=auth(user)).text)
        _, _user, groups, admin = USERS[user]
        p = Principal(user=_user, groups=groups, admin=admin)
        assert sum(gauges.values()) == sum(1 for d in everything if p.can_read(d.acl)), user
        assert set(gauges) >= {"fresh", "due_soon", "overdue", "deprecated", "superseded"}
    admin, engineer = (
        _gauges(client.get("/metrics", headers=auth("admin")).text),
        _gauges(client.get("/metrics", headers=auth("engineer")).text),
    )
    assert sum(engineer.values()) < sum(admin.values())


def test_kb_report_json_prints_the_same_figures(rt: Runtime, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[data]\ndir = "{rt.settings.data.dir}"\n[store]\npath = "{rt.settings.store_path}"\n'
        '[report.teams]\nplatform = ["platform-team@acme.com", "alice.chen@acme.com"]\n'
    )
    result = CliRunner().invoke(app, ["report", "--json", "--config", str(config)])
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["documents"] == len(rt.documents.list())
    assert any(r["dimension"] == "team" and r["key"] == "platform" for r in body["health"])
    text = CliRunner().invoke(app, ["report", "--config", str(config)])
    assert "Health by space:" in text.stdout and "Near-duplicates across sources:" in text.stdout


# -- the pages in Debian's chromium (Playwright), by keyboard, at 1280 px and 390 px -------------

browser_only = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]
SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def live(rt: Runtime) -> Iterator[str]:
    with serve(create_app(rt)) as base:
        yield base


@browser_only[0]
@browser_only[1]
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_admin_page_by_keyboard(browser: Any, live: str, size: str) -> None:
    page, errors = open_page(browser, live, size, "/admin")
    assert page.evaluate("document.activeElement.id") == "token"  # focus starts in the token field
    page.keyboard.type(USERS["admin"][0])
    page.keyboard.press("Enter")
    page.locator("#report").wait_for(state="visible", timeout=180_000)
    assert page.locator("#trend-chart circle.pt-fresh").count() >= 1
    assert "Notion / Engineering Wiki" in page.locator("#health").inner_text()
    page.locator("#dimension").focus()
    page.keyboard.press("ArrowDown")  # space -> team
    assert page.locator("#dimension").input_value() == "team"
    assert "platform" in page.locator("#health").inner_text()
    assert "New Engineer Onboarding Checklist" in page.locator("#dups").inner_text()
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"admin-{size}.png"), full_page=True)
    assert errors == []
    page.close()


@browser_only[0]
@browser_only[1]
def test_admin_page_is_403_for_non_admins(browser: Any, live: str) -> None:
    page, _ = open_page(browser, live, "desktop", "/admin")
    page.keyboard.type(USERS["engineer"][0])
    page.keyboard.press("Enter")
    page.locator("#denied").wait_for(state="visible", timeout=60_000)
    assert "403" in page.locator("#denied").inner_text()
    assert page.locator("#report").is_hidden()
    assert page.locator("#health tr").count() == 0
    page.close()


@browser_only[0]
@browser_only[1]
def test_search_results_fold_the_drive_copy_into_also_in(browser: Any, live: str) -> None:
    page, errors = open_page(browser, live, "desktop", "/")
    page.get_by_label("Access token").focus()
    page.keyboard.type(USERS["engineer"][0])
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("What is on the new engineer onboarding checklist?")
    page.keyboard.press("Enter")
    results = page.locator("#results li")
    results.first.wait_for(state="visible", timeout=120_000)
    shown = [r.get_attribute("data-doc-id") for r in results.all()]
    copies = {NOTION_CHECKLIST: "Notion", DRIVE_CHECKLIST: "Drive"}  # the page's source labels
    [kept] = [d for d in shown if d in copies]  # one of the two copies, not both
    [other] = [d for d in copies if d != kept]
    also = page.locator(f'[data-doc-id="{kept}"] .also-in')
    assert also.inner_text() == f"Also in {copies[other]}: New Engineer Onboarding Checklist"
    assert page.locator("#results .also-in").count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "page-also-in.png"))
    assert errors == []
    page.close()
