"""``GET /v1/my`` and the ``/my`` page over the example data, with their own copy of the store
(reviews and votes made here must not change what other tests see): a doc owner gets their own
pages, most urgent first, and nothing about anyone else's; Review, "Replaced by" and "Not
replaced" are the owner's (or an admin's) alone; the page works by keyboard at 1280 px and
390 px; the one-click review page has the pages' look and works without JavaScript."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from kb.alerts.links import ReviewLinks
from kb.api import create_app
from kb.auth import hash_token
from kb.clock import FixedClock
from kb.config import TokenEntry
from kb.records import Principal
from kb.runtime import Runtime
from kb.store.successor_decisions import SuccessorDecisions
from tests.conftest import EXAMPLE_NOW, ROOT, clone_store, place_store
from tests.kb.api.conftest import USERS, auth, doc_id
from tests.kb.api.live import serve
from tests.kb.api.test_page_browser import CHROMIUM
from tests.kb.api.test_page_flows_browser import open_page

pytestmark = pytest.mark.slow

SIGNING_KEY = "my-page-review-signing-key-0123456789"
EXTRA = {"ben": "ben.ortiz@acme.com", "dana": "dana.kim@acme.com"}  # own secrets, near-duplicates
SHOTS = ROOT / "docs" / "screenshots"
MISSING = "notion:" + "0" * 32


def _auth(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer tok-{name}"} if name in EXTRA else auth(name)


@pytest.fixture(scope="module")
def rt(
    api_runtime: Runtime,
    example_backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[Runtime]:
    settings = api_runtime.settings.model_copy(deep=True)
    settings.store.path = tmp_path_factory.mktemp("my") / "kb.sqlite"
    settings.store.url = ""
    place_store(settings, example_backend, request)
    clone_store(api_runtime, settings)
    settings.auth.tokens += [TokenEntry(sha256=hash_token(f"tok-{n}"), user=u) for n, u in EXTRA.items()]
    mp = pytest.MonkeyPatch()
    mp.setenv(settings.alerts.signing_key_env, SIGNING_KEY)
    runtime = Runtime(settings, embedder=api_runtime.embedder, clock=FixedClock(EXAMPLE_NOW))
    yield runtime
    runtime.close()
    mp.undo()


@pytest.fixture(scope="module")
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt, warm=False)) as c:
        yield c


def _principal(name: str) -> Principal:
    _, user, groups, admin = USERS[name]
    return Principal(user=user, groups=frozenset(groups), admin=admin)


def test_my_lists_the_callers_own_pages_most_urgent_first(client: TestClient, rt: Runtime) -> None:
    body = client.get("/v1/my", headers=auth("engineer")).json()
    alice = _principal("engineer")
    own = {d.doc_id for d in rt.documents.list() if d.owner == alice.user and alice.can_read(d.acl)}
    assert {d["doc_id"] for d in body["documents"]} == own and body["counts"]["documents"] == len(own) == 7
    assert {d["title"] for d in body["overdue"]} == {"Disaster Recovery Plan", "Capacity Planning 2026"}
    assert [d["status"] for d in body["documents"][:2]] == ["overdue", "overdue"]
    assert body["documents"][-1]["status"] == "archived"  # nothing to review: last
    assert body["counts"]["overdue"] == 2 and body["due_soon"] == []
    assert {d["owner"] for d in body["documents"]} == {"alice.chen@acme.com"}
    # the same judgement and order as alice's digest (most used, then most overdue)
    digest = {d.recipient: d for d in rt.alert_runner().collect(EXAMPLE_NOW).digests}["alice.chen@acme.com"]
    assert [(i.doc_id, i.overdue_days, i.usage) for i in digest.items] == [
        (d["doc_id"], d["overdue_days"], d["usage"]) for d in body["overdue"]
    ]


def test_nothing_about_other_peoples_pages(client: TestClient, rt: Runtime) -> None:
    sam = client.get("/v1/my", headers=auth("security")).json()
    assert [d["title"] for d in sam["overdue"]] == ["Pentest Report 2026 - Executive Summary"]
    alice = client.get("/v1/my", headers=auth("engineer")).text
    others = [d for d in rt.documents.list() if d.owner != "alice.chen@acme.com"]
    for d in others:
        assert d.doc_id not in alice, d.title
    assert "Pentest" not in alice and "sam.okafor" not in alice
    admin = client.get("/v1/my", headers=auth("admin")).json()  # reads everything, owns nothing
    assert admin["documents"] == [] and admin["counts"]["documents"] == 0
    assert client.get("/v1/my").status_code == 401


def test_secrets_by_kind_and_copies_in_other_sources(client: TestClient) -> None:
    ben = client.get("/v1/my", headers=_auth("ben")).json()
    assert [(s["title"], s["found"]) for s in ben["secrets"]] == [
        (
            "CI Build Runners",
            [{"kind": "aws-access-key", "count": 1}, {"kind": "password-assignment", "count": 1}],
        )
    ]
    assert ben["counts"]["secrets"] == 2
    assert "AKIA" not in client.get("/v1/my", headers=_auth("ben")).text  # never the secret
    dana = client.get("/v1/my", headers=_auth("dana")).json()
    assert {(d["source"], c["source_label"]) for d in dana["near_duplicates"] for c in d["copies"]} == {
        ("notion", "Google Drive"),
        ("gdrive", "Notion"),
    }


def test_thumbs_down_on_answers_citing_the_owners_pages(client: TestClient, rt: Runtime) -> None:
    mine = doc_id(rt, "Architecture Overview")
    hr_only = doc_id(rt, "Compensation Bands 2026")
    vote = {
        "question": "Which services talk to the compensation database?",
        "answer": "The Compensation Bands 2026 page lists the bands.",
        "doc_ids": [mine, hr_only],
        "rating": "down",
        "comment": "Nothing about the services",
    }
    assert client.post("/v1/feedback", json=vote, headers=auth("hr")).json()["doc_ids"] == [mine, hr_only]
    resp = client.get("/v1/my", headers=auth("engineer"))
    [fb] = resp.json()["negative_feedback"]
    assert (fb["question"], fb["comment"], [c["doc_id"] for c in fb["cited"]]) == (
        vote["question"],
        vote["comment"],
        [mine],
    )
    assert hr_only not in resp.text and "Compensation Bands" not in resp.text  # not hers to read
    assert "omar" not in resp.text  # who voted is not shown
    hr = client.get("/v1/my", headers=auth("hr")).json()  # omar owns none of the cited pages
    assert hr["negative_feedback"] == []


def test_only_the_owner_acts_and_others_learn_no_title(client: TestClient, rt: Runtime) -> None:
    overdue = doc_id(rt, "Postgres Failover")  # ben's, open to everyone
    hidden = doc_id(rt, "Capacity Planning 2026")  # alice's, engineering only
    for path, body in (
        (f"/v1/docs/{overdue}/review", {"note": ""}),
        (
            f"/v1/docs/{overdue}/successor",
            {"successor_id": doc_id(rt, "Deploy Process v2"), "decision": "replaced"},
        ),
    ):
        resp = client.post(path, json=body, headers=auth("hr"))
        assert resp.status_code == 403 and "Postgres Failover" not in resp.text, resp.text
    for path in ("/v1/docs/{}/review", "/v1/docs/{}/successor"):
        body = (
            {"note": ""} if path.endswith("review") else {"successor_id": overdue, "decision": "not_replaced"}
        )
        got = client.post(path.format(hidden), json=body, headers=auth("hr"))
        missing = client.post(path.format(MISSING), json=body, headers=auth("hr"))
        assert got.status_code == missing.status_code == 404
        assert got.text.replace(hidden, "ID") == missing.text.replace(MISSING, "ID")
        assert "Capacity" not in got.text

    assert overdue in {d["doc_id"] for d in client.get("/v1/my", headers=_auth("ben")).json()["overdue"]}
    done = client.post(f"/v1/docs/{overdue}/review", json={"note": ""}, headers=_auth("ben"))
    assert done.status_code == 200 and done.json()["freshness"]["status"] == "fresh"
    after = client.get("/v1/my", headers=_auth("ben")).json()
    assert overdue not in {d["doc_id"] for d in after["overdue"]}
    assert next(d for d in after["documents"] if d["doc_id"] == overdue)["status"] == "fresh"


def test_pages_share_one_sign_in_script_and_one_stylesheet(client: TestClient) -> None:
    for path in ("/", "/admin", "/my"):
        page = client.get(path)
        assert page.status_code == 200
        assert '<script src="/static/signin.js"></script>' in page.text
        assert '<link rel="stylesheet" href="/static/freshkb.css">' in page.text
        assert "sessionStorage" not in page.text  # the token is handled in signin.js only
        assert "script-src 'sha256-" in page.headers["content-security-policy"]
    js = client.get("/static/signin.js")
    assert js.headers["content-type"].startswith("text/javascript") and "sessionStorage" in js.text
    assert client.get("/static/freshkb.css").headers["content-type"].startswith("text/css")


# -- in Debian's chromium (Playwright), by keyboard, at 1280 px and 390 px ------------------------

browser_only = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def live(rt: Runtime, example_backend: str) -> Iterator[str]:
    if example_backend != "sqlite":
        pytest.skip("the page is the same on both stores; /v1/my runs on both above")
    with serve(create_app(rt)) as base:
        yield base


def _tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Tab until ``selector`` has the focus (the keyboard path a user takes)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement === document.querySelector({selector!r})"):
            return
    raise AssertionError(f"{selector} not reached by Tab")


@browser_only[0]
@browser_only[1]
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_my_page_review_by_keyboard(browser: Any, live: str, rt: Runtime, size: str) -> None:
    page, errors = open_page(browser, live, size, "/my")
    assert page.evaluate("document.activeElement.id") == "token"
    page.keyboard.type(USERS["engineer"][0])
    page.keyboard.press("Enter")
    page.locator("#mine").wait_for(state="visible", timeout=60_000)
    overdue = page.locator("#overdue > li")
    first = overdue.first
    title = first.locator("a").first.inner_text()
    assert title in ("Disaster Recovery Plan", "Capacity Planning 2026")
    assert first.locator(".badge").inner_text().startswith("overdue")
    # Capacity Planning was never reviewed: its line names its last edit, not a review (until the
    # desktop run below reviews it; the phone run then finds it reviewed and no longer overdue)
    capacity = page.locator("#overdue > li", has_text="Capacity Planning 2026")
    if size == "desktop":
        line = capacity.inner_text()
        assert "last edited by alice.chen@acme.com 2026-02-15" in line and "last reviewed" not in line
    # overdue is the first section, and the first of everything she owns
    headings = page.locator("#mine h2").all_inner_texts()
    assert headings[0] == "Overdue" and headings[1] == "Due soon"
    assert page.locator("#documents > li").first.locator(".badge").inner_text().startswith("overdue")
    text = page.locator("#mine").inner_text()
    for d in rt.documents.list():
        if d.owner != "alice.chen@acme.com":
            assert f'data-doc-id="{d.doc_id}"' not in page.content(), d.title
    assert "Pentest" not in text and "sam.okafor" not in text
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SHOTS / ("my.png" if size == "desktop" else "my-phone.png")), full_page=size == "desktop"
    )
    before = overdue.count()
    doc = first.get_attribute("data-doc-id")
    _tab_to(page, f'#overdue > li[data-doc-id="{doc}"] button')
    assert page.evaluate("document.activeElement.textContent") == "Review"
    page.keyboard.press("Enter")
    done = page.locator("#done")
    done.wait_for(state="visible", timeout=30_000)
    assert done.inner_text().startswith(f"Marked “{title}” reviewed; next review due ")
    assert page.evaluate("document.activeElement.id") == "done"  # focus is not lost with the button
    assert page.locator(f'#overdue > li[data-doc-id="{doc}"]').count() == 0
    assert page.locator("#overdue > li:not(.empty)").count() == before - 1
    assert (rt.reviews.latest(doc or "") or pytest.fail("no review stored")).reviewer == "alice.chen@acme.com"
    assert errors == []
    page.close()


@browser_only[0]
@browser_only[1]
def test_replaced_by_a_page_found_by_search_by_keyboard(browser: Any, live: str, rt: Runtime) -> None:
    page, errors = open_page(browser, live, "desktop", "/my")
    page.keyboard.type(USERS["security"][0])
    page.keyboard.press("Enter")
    page.locator("#mine").wait_for(state="visible", timeout=60_000)
    item = page.locator("#overdue > li").filter(has_text="Pentest Report 2026")
    item.get_by_role("button", name="is replaced by another page").focus()
    page.keyboard.press("Enter")
    search = item.get_by_role("searchbox")
    assert search.evaluate("e => e === document.activeElement")
    assert search.input_value() == "Pentest Report 2026 - Executive Summary"
    page.keyboard.press("Control+A")
    page.keyboard.type("pentest findings")
    page.keyboard.press("Enter")
    choice = item.get_by_role("button", name="is replaced by Pentest Findings 2026")
    choice.wait_for(timeout=60_000)
    assert item.get_by_role("button", name="Executive Summary is replaced by Pentest Report").count() == 0
    choice.focus()
    page.keyboard.press("Enter")
    done = page.locator("#done")
    done.wait_for(state="visible", timeout=30_000)
    assert done.inner_text() == (
        "Recorded: “Pentest Report 2026 - Executive Summary” is replaced by “Pentest Findings 2026”."
    )
    old, new = doc_id(rt, "Pentest Report 2026 - Executive Summary"), doc_id(rt, "Pentest Findings 2026")
    assert page.locator(f'#overdue > li[data-doc-id="{old}"]').count() == 0
    listed = page.locator(f'#documents > li[data-doc-id="{old}"]')
    assert listed.locator(".badge").inner_text() == "superseded"
    decided = {(d.doc_id, d.successor_id): d for d in SuccessorDecisions(rt.db).latest()}[(old, new)]
    assert (decided.decision, decided.decided_by) == ("replaced", "sam.okafor@acme.com")
    assert errors == []
    page.close()


@browser_only[0]
@browser_only[1]
def test_a_rejected_token_is_not_kept_and_the_token_is_shared(browser: Any, live: str) -> None:
    page, _ = open_page(browser, live, "phone", "/my")
    page.keyboard.type("not-a-token")
    page.keyboard.press("Enter")
    page.get_by_role("alert").wait_for(state="visible", timeout=30_000)
    assert page.get_by_role("alert").inner_text().startswith("Token rejected: invalid token")
    assert page.evaluate("sessionStorage.getItem('freshkb.token')") is None
    page.reload()
    assert page.get_by_label("Access token").input_value() == ""
    page.get_by_label("Access token").fill(USERS["security"][0])
    page.keyboard.press("Enter")
    page.locator("#mine").wait_for(state="visible", timeout=60_000)
    page.goto(live + "/admin")  # the same tab's token on the other pages
    assert page.get_by_label("Access token (admin)").input_value() == USERS["security"][0]
    page.goto(live + "/")
    assert page.get_by_label("Access token").input_value() == USERS["security"][0]
    page.goto(live + "/admin")  # the admin page forgets a rejected token too (the same script)
    page.get_by_label("Access token (admin)").fill("revoked-token")
    page.keyboard.press("Enter")
    page.get_by_role("alert").wait_for(state="visible", timeout=30_000)
    assert page.evaluate("sessionStorage.getItem('freshkb.token')") is None
    page.goto(live + "/my")
    assert page.get_by_label("Access token").input_value() == ""
    page.close()


@browser_only[0]
@browser_only[1]
def test_one_click_review_page_has_the_look_and_needs_no_javascript(
    browser: Any, live: str, rt: Runtime
) -> None:
    target = doc_id(rt, "Analytics Event Tracking Plan")  # tom.becker's, overdue
    url = ReviewLinks(rt.settings).url_for(target, "tom.becker@acme.com", EXAMPLE_NOW)
    assert url is not None
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live + "/v1/review?" + urlsplit(url).query)
    assert page.locator("h1").inner_text() == "Confirm review"
    panel = page.locator("main.panel")
    assert panel.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"  # freshkb.css applied
    assert page.locator(".badge.b-overdue").inner_text() == "overdue"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "review-link.png"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Yes, still accurate"
    page.keyboard.press("Enter")
    page.locator("h1").filter(has_text="Thanks").wait_for(timeout=30_000)
    assert page.get_by_role("link", name="My documents").get_attribute("href") == "/my"
    assert (rt.reviews.latest(target) or pytest.fail("no review stored")).via == "link"
    context.close()
