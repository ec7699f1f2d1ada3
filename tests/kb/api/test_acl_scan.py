"""Issue 11: no response of any route names a document its caller may not read.

A small corpus goes through the real ingest pipeline (real model, embedded Chroma, SQLite) with a
readable page linked to a restricted one in every way there is: the page's own successor
property (``superseded_by``, and a "Superseded by" property naming the title), the restricted
page's ``supersedes``, page links both ways, an inferred successor (a newer restricted page
with the same title and content, which search guesses as the replacement), a readable page under
a restricted parent (its breadcrumb names the parent), and a restricted Drive copy of a readable
Notion page (a cross-source near-duplicate: ``also_in``, ``near_duplicates``). Then every route of
the app, enumerated from the app itself (a route this file does not exercise fails the test, by
name), is called as every user, and every body is scanned for the id, the title and a marker word
of each document that user may not read; counts must equal what the user may read.

The inferred successor is also stored at ingest (``inferred_successors``), and an admin's
decision names a restricted page as a public page's successor (3 is replaced by 4); the successor
routes and the one-click decision links are scanned like the others.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route

from kb.alerts.decision_links import DecisionLinks
from kb.alerts.links import ReviewLinks
from kb.api.app import create_app
from kb.api.slack import NOT_LINKED
from kb.auth import hash_token
from kb.clock import FixedClock
from kb.config import Settings, TokenEntry, settings_from_dict
from kb.lifecycle.breadcrumbs import RESTRICTED
from kb.lifecycle.status_filter import STATUS_FILTERS
from kb.records import Document, Principal, SourceBatch
from kb.runtime import Runtime
from kb.store.inferred_successors import InferredSuccessors
from kb.store.successor_decisions import SuccessorDecision, SuccessorDecisions
from tests.kb.api.live import serve
from tests.kb.api.slack_server import BOT_TOKEN, slack_app

pytestmark = pytest.mark.slow  # embeds the corpus with the real model

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SIGNING_KEY = "3f9c1a7e5b2d8064c1e9a7f3b5d2086e4a1c9f7b"
SLACK_SECRET = "slack-signing-secret-for-tests"
SLACK_POSTS: list[dict[str, Any]] = []  # what FreshKB posted to the loopback Slack API


def _id(n: int) -> str:
    return "notion:" + f"{n:x}" * 32


def _gid(n: int) -> str:
    return "gdrive:" + f"{n:x}" * 28


@dataclass(frozen=True)
class User:
    token: str
    email: str
    groups: tuple[str, ...] = ()
    admin: bool = False

    @property
    def principal(self) -> Principal:
        return Principal(user=self.email, groups=frozenset(self.groups), admin=self.admin)


USERS = {
    "outsider": User("tok-out", "vendor@partner.example"),
    "staff": User("tok-staff", "sue@acme.test"),
    "finance": User("tok-fin", "fay@acme.test", ("finance@acme.test",)),
    "hr": User("tok-hr", "hal@acme.test", ("hr@acme.test",)),
    "eng": User("tok-eng", "eve@acme.test", ("eng@acme.test",)),
    "admin": User("tok-admin", "root@acme.test", admin=True),
}
PUBLIC = ["everyone"]
OLD = datetime(2024, 1, 10, tzinfo=UTC)
RECENT = datetime(2026, 10, 1, tzinfo=UTC)
TRAVEL = (
    "Book flights through the travel desk at least two weeks ahead, take the train for trips under "
    "four hours, keep hotel costs under the city cap and file the travel report within a week of return."
)
INCIDENT = (
    "When an incident starts, page the on-call engineer, open an incident channel, name an "
    "incident commander and post status updates every thirty minutes until it is resolved."
)


def _doc(n: int, title: str, text: str, acl: list[str], owner: str, **kw: Any) -> Document:
    kw.setdefault("last_edited_at", RECENT)
    kw.setdefault("last_reviewed_at", kw["last_edited_at"])
    kw.setdefault("path", ["Acme"])
    kw.setdefault("source", "notion")
    return Document(doc_id=_id(n), title=title, text=text, acl=acl, owner=owner, **kw)


# Each restricted title carries a word found nowhere else (Zephyr, Quokka, Narwhal, Walrus), so a
# title that leaks in part is caught too.
CORPUS = [
    # 1: an explicit successor (property and a relation column naming its title) the public can't read
    _doc(
        1,
        "Expense policy",
        "Expenses above 50 EUR need a receipt. Submit expense claims within 30 days.",
        PUBLIC,
        "vendor@partner.example",
        superseded_by=_id(2),
        properties={"Superseded by": "Zephyr expense policy draft", "Team": "Finance"},
        links=[_id(2)],
    ),
    _doc(
        2,
        "Zephyr expense policy draft",
        "Expenses above 80 EUR need a receipt. Submit expense claims within 60 days.",
        ["group:finance@acme.test"],
        "fay@acme.test",
        supersedes=[_id(1)],
    ),
    # 3 <- 4: only the restricted page says it supersedes the public one
    _doc(
        3, "Onboarding checklist", "New hires get a laptop and an onboarding buddy.", PUBLIC, "sue@acme.test"
    ),
    _doc(
        4,
        "Quokka onboarding plan",
        "New hires get a laptop, an onboarding buddy and a salary review after 90 days.",
        ["group:hr@acme.test"],
        "hal@acme.test",
        supersedes=[_id(3)],
        links=[_id(3)],
    ),
    # 5 <-> 6: page links (mentions) both ways
    _doc(
        5,
        "Deploy guide",
        "Deploys go out from the main branch after review.",
        ["domain:acme.test"],
        "eve@acme.test",
        links=[_id(6)],
    ),
    _doc(
        6,
        "Narwhal deploy credentials",
        "Deploys use the release service account; rotate its key every quarter.",
        ["group:eng@acme.test"],
        "eve@acme.test",
        links=[_id(5)],
    ),
    # 7 <- 8: an inferred successor (same title and content, edited much later), restricted
    _doc(7, "Incident response runbook", INCIDENT, PUBLIC, "sue@acme.test", last_edited_at=OLD),
    _doc(
        8,
        "Incident response runbook walrus",
        INCIDENT + " Write the postmortem within five days.",
        ["group:eng@acme.test", "group:hr@acme.test"],
        "eve@acme.test",
    ),
    # 9 > 10: a readable page under a restricted parent (the child's breadcrumb names the parent)
    _doc(
        9,
        "Okapi salary bands",
        "Salary bands per level, reviewed every spring.",
        ["group:hr@acme.test"],
        "hal@acme.test",
    ),
    _doc(
        10,
        "Salary FAQ",
        "Ask your manager about the salary review cycle.",
        PUBLIC,
        "sue@acme.test",
        path=["Acme", "Okapi salary bands"],
    ),
    # 11 ~ 12: a readable Notion page and its restricted copy in Drive (a cross-source near-duplicate)
    _doc(11, "Travel policy", TRAVEL, PUBLIC, "sue@acme.test"),
]
DRIVE_CORPUS = [
    _doc(
        12,
        "Pangolin travel policy copy",
        TRAVEL,
        ["group:finance@acme.test"],
        "fay@acme.test",
        source="gdrive",
        path=["Finance"],
    ).model_copy(update={"doc_id": _gid(12)}),
]
NOTION_CORPUS = CORPUS
CORPUS = NOTION_CORPUS + DRIVE_CORPUS
MARKERS = {
    _id(2): "zephyr",
    _id(4): "quokka",
    _id(6): "narwhal",
    _id(8): "walrus",
    _id(9): "okapi",
    _gid(12): "pangolin",
}
QUERIES = [
    "expense policy receipt",
    "onboarding checklist for new hires",
    "deploy guide",
    "incident response runbook",
    *(d.title for d in CORPUS),
]
MISSING = _id(15)


class _Reader:
    def __init__(self, settings: Settings) -> None:
        pass

    def read(self, path: Path) -> SourceBatch:
        return SourceBatch(source="notion", documents=NOTION_CORPUS, identity=["acme-root"])


class _DriveReader(_Reader):
    def read(self, path: Path) -> SourceBatch:
        return SourceBatch(source="gdrive", documents=DRIVE_CORPUS, identity=["finance-root"])


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[tuple[Runtime, TestClient]]:  # type: ignore[no-untyped-def]
    settings = settings_from_dict({"data": {"dir": str(tmp_path_factory.mktemp("acl") / "data")}})
    settings.auth.tokens = [
        TokenEntry(sha256=hash_token(u.token), user=u.email, groups=list(u.groups), admin=u.admin)
        for u in USERS.values()
    ]
    mp = pytest.MonkeyPatch()
    mp.setenv(settings.alerts.signing_key_env, SIGNING_KEY)
    mp.setenv(settings.slack.signing_secret_env, SLACK_SECRET)
    mp.setenv(settings.slack.bot_token_env, BOT_TOKEN)
    with serve(slack_app({_slack_id(n): u.email for n, u in USERS.items()}, SLACK_POSTS)) as slack_base:
        settings.slack.api_base_url = f"{slack_base}/api"
        rt = Runtime(settings, embedder=embedder, clock=FixedClock(NOW))
        report = rt.ingester().with_readers({"notion": _Reader}).ingest("notion", Path("corpus"))
        assert sorted(report.added) == sorted(d.doc_id for d in NOTION_CORPUS), report
        report = rt.ingester().with_readers({"gdrive": _DriveReader}).ingest("gdrive", Path("drive"))
        assert report.added == [_gid(12)], report
        assert (_id(7), _id(8)) in {(p.doc_id, p.successor_id) for p in InferredSuccessors(rt.db).all()}
        SuccessorDecisions(rt.db).record(
            SuccessorDecision(
                doc_id=_id(3),
                successor_id=_id(4),
                decision="replaced",
                decided_by="root@acme.test",
                decided_at=NOW,
            )
        )
        with TestClient(create_app(rt)) as client:
            yield rt, client
        rt.close()
    mp.undo()


def _unreadable(user: User) -> dict[str, list[str]]:
    """doc id -> strings that would reveal it to ``user``."""
    return {
        d.doc_id: [d.doc_id, d.doc_id.split(":", 1)[1], d.title, MARKERS.get(d.doc_id, d.title)]
        for d in CORPUS
        if not user.principal.can_read(d.acl)
    }


def _readable(user: User) -> list[Document]:
    return [d for d in CORPUS if user.principal.can_read(d.acl)]


Call = Callable[[TestClient, User], list[httpx.Response]]


def _h(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {user.token}"}


def _search(c: TestClient, u: User) -> list[httpx.Response]:
    return [c.post("/v1/search", json={"question": q, "top_k": 20}, headers=_h(u)) for q in QUERIES]


def _ask(c: TestClient, u: User) -> list[httpx.Response]:
    return [c.post("/v1/ask", json={"question": q}, headers=_h(u)) for q in QUERIES]


def _docs(c: TestClient, u: User) -> list[httpx.Response]:
    whole = c.get("/v1/docs", headers=_h(u))
    body = whole.json()
    readable = _readable(u)
    assert body["count"] == len(readable) == len(body["documents"]), u.email
    assert sum(body["counts_by_status"].values()) == body["count"]
    assert {d["doc_id"] for d in body["documents"]} == {d.doc_id for d in readable}
    filters = [{"status": s} for s in sorted(STATUS_FILTERS)]
    filters += [{"owner": d.owner} for d in CORPUS] + [{"source": "notion"}, {"source": "gdrive"}]
    return [whole, *(c.get("/v1/docs", params=p, headers=_h(u)) for p in filters)]


def _same_as_missing(c: TestClient, u: User, method: str, path: str, doc_id: str, **kw: Any) -> None:
    """A document ``u`` cannot read gets exactly the answer a missing id gets."""
    got = c.request(method, path.format(doc_id), headers=_h(u), **kw)
    missing = c.request(method, path.format(MISSING), headers=_h(u), **kw)
    assert got.status_code == missing.status_code == 404, (path, got.text)
    assert got.text.replace(doc_id, "ID") == missing.text.replace(MISSING, "ID")


def _doc_detail(c: TestClient, u: User) -> list[httpx.Response]:
    for doc_id in _unreadable(u):
        _same_as_missing(c, u, "GET", "/v1/docs/{}", doc_id)
    return [c.get(f"/v1/docs/{d.doc_id}", headers=_h(u)) for d in _readable(u)]


def _review(c: TestClient, u: User) -> list[httpx.Response]:
    for doc_id in _unreadable(u):
        _same_as_missing(c, u, "POST", "/v1/docs/{}/review", doc_id, json={"note": "ok"})
    return [c.post(f"/v1/docs/{d.doc_id}/review", json={"note": "ok"}, headers=_h(u)) for d in _readable(u)]


def _links(u: User) -> list[str]:
    """Review links signed for ``u`` for the documents ``u`` owns (links go to owners)."""
    links = ReviewLinks(Settings())
    return [links.token_for(d.doc_id, u.email, NOW) for d in CORPUS if d.owner == u.email]


def _review_page(c: TestClient, u: User) -> list[httpx.Response]:
    return [c.get("/v1/review", params={"token": t}) for t in _links(u)]


def _review_confirm(c: TestClient, u: User) -> list[httpx.Response]:
    return [c.post("/v1/review", params={"token": t}) for t in _links(u)]


def _successors(c: TestClient, u: User) -> list[httpx.Response]:
    out = [c.get("/v1/successors", params={"pending": p}, headers=_h(u)) for p in ("false", "true")]
    for resp in out:
        body = resp.json()
        assert resp.status_code == 200 and body["count"] == len(body["items"])
    return out


def _decide(c: TestClient, u: User) -> list[httpx.Response]:
    """Unreadable pages (either side) answer as missing ones; readable pairs get 400/403/404 or,
    for the owner or an admin, a "not replaced" that changes nothing the other tests rely on."""
    path = "/v1/docs/{}/successor"
    readable = _readable(u)
    for doc_id in _unreadable(u):
        _same_as_missing(c, u, "POST", path, doc_id, json={"successor_id": _id(5), "decision": "replaced"})
        for d in readable:
            got = c.post(
                path.format(d.doc_id), json={"successor_id": doc_id, "decision": "replaced"}, headers=_h(u)
            )
            missing = c.post(
                path.format(d.doc_id), json={"successor_id": MISSING, "decision": "replaced"}, headers=_h(u)
            )
            assert got.status_code == missing.status_code == 404 and got.text == missing.text, got.text
    out = [
        c.post(path.format(d.doc_id), json={"successor_id": d.doc_id, "decision": "replaced"}, headers=_h(u))
        for d in readable
    ]
    if {_id(5), _id(1)} <= {d.doc_id for d in readable}:
        out.append(
            c.post(
                path.format(_id(5)), json={"successor_id": _id(1), "decision": "not_replaced"}, headers=_h(u)
            )
        )
    return out


def _decision_links(u: User) -> list[str]:
    """Decision links signed for ``u`` about each page ``u`` owns and every other page (readable
    or not); "not replaced" only, so following them changes nothing the other tests rely on."""
    links = DecisionLinks(Settings())
    return [
        links.sign_decision(d.doc_id, other.doc_id, "not_replaced", u.email, NOW + timedelta(days=7))
        for d in CORPUS
        if d.owner == u.email
        for other in CORPUS
        if other.doc_id != d.doc_id
    ]


def _decision_page(c: TestClient, u: User) -> list[httpx.Response]:
    return [c.get("/v1/successor-decision", params={"token": t}) for t in _decision_links(u)]


def _decision_confirm(c: TestClient, u: User) -> list[httpx.Response]:
    return [c.post("/v1/successor-decision", params={"token": t}) for t in _decision_links(u)]


def _feedback(c: TestClient, u: User) -> list[httpx.Response]:
    resp = c.post(
        "/v1/feedback",
        json={"question": "expense policy", "doc_ids": [d.doc_id for d in CORPUS], "rating": "up"},
        headers=_h(u),
    )
    assert resp.status_code == 201 and resp.json()["doc_ids"] == [d.doc_id for d in _readable(u)]
    return [resp]


def _slack_id(name: str) -> str:
    return "U" + name.upper()


def _signed(body: bytes, content_type: str) -> dict[str, Any]:
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SLACK_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {"x-slack-request-timestamp": ts, "x-slack-signature": sig, "content-type": content_type}
    return {"content": body, "headers": headers}


def _slack(c: TestClient, u: User) -> list[httpx.Response]:
    """The route's own bodies, and what the answers it posts to Slack say (a slash command is
    answered for the asker, a mention in a channel for the channel's readers)."""
    name = next(n for n, x in USERS.items() if x is u)
    out = [
        c.post(
            "/v1/slack/events",
            **_signed(
                json.dumps({"type": "url_verification", "challenge": "c"}).encode(), "application/json"
            ),
        )
    ]
    SLACK_POSTS.clear()
    for q in QUERIES:
        form = urlencode({"user_id": _slack_id(name), "channel_id": "D1", "text": q}).encode()
        out.append(c.post("/v1/slack/events", **_signed(form, "application/x-www-form-urlencoded")))
        event = {
            "type": "app_mention",
            "user": _slack_id(name),
            "channel": "C1",
            "text": f"<@UKB> {q}",
            "ts": "1.2",
        }
        body = json.dumps({"type": "event_callback", "event": event}).encode()
        out.append(c.post("/v1/slack/events", **_signed(body, "application/json")))
    assert len(SLACK_POSTS) == 2 * len(QUERIES), SLACK_POSTS[:2]
    texts = [str(p.get("text", "")) for p in SLACK_POSTS]
    assert NOT_LINKED not in texts and any("[1]" in t for t in texts), texts[:2]  # real answers, cited
    posted = json.dumps(texts, ensure_ascii=False)
    out.append(httpx.Response(200, text=posted, request=httpx.Request("POST", "http://slack.test/api/chat")))
    return out


def _my(c: TestClient, u: User) -> list[httpx.Response]:
    """The caller's own readable pages, every one of them, and nothing else."""
    resp = c.get("/v1/my", headers=_h(u))
    body = resp.json()
    own = {d.doc_id for d in _readable(u) if d.owner == u.email}
    assert resp.status_code == 200 and {d["doc_id"] for d in body["documents"]} == own, body
    assert body["counts"]["documents"] == len(own)
    for section in ("overdue", "due_soon", "successors", "near_duplicates", "secrets"):
        assert {i["doc_id"] for i in body[section]} <= own, section
    return [resp]


def _get(path: str, auth: bool = False) -> Call:
    return lambda c, u: [c.get(path, headers=_h(u) if auth else {})]


EXERCISE: dict[tuple[str, str], Call] = {
    ("POST", "/v1/search"): _search,
    ("POST", "/v1/ask"): _ask,
    ("GET", "/v1/docs"): _docs,
    ("GET", "/v1/docs/{doc_id}"): _doc_detail,
    ("POST", "/v1/docs/{doc_id}/review"): _review,
    ("GET", "/v1/review"): _review_page,
    ("POST", "/v1/review"): _review_confirm,
    ("POST", "/v1/feedback"): _feedback,
    ("GET", "/v1/successors"): _successors,
    ("POST", "/v1/docs/{doc_id}/successor"): _decide,
    ("GET", "/v1/successor-decision"): _decision_page,
    ("POST", "/v1/successor-decision"): _decision_confirm,
    ("POST", "/v1/slack/events"): _slack,
    ("GET", "/metrics"): _get("/metrics", auth=True),
    ("GET", "/v1/report"): _get("/v1/report", auth=True),  # admins only: 403 for the others
    ("GET", "/admin"): _get("/admin"),
    ("GET", "/v1/my"): _my,
    ("GET", "/my"): _get("/my"),
    ("GET", "/static/signin.js"): _get("/static/signin.js"),
    ("GET", "/static/freshkb.css"): _get("/static/freshkb.css"),
    ("GET", "/auth/config"): _get("/auth/config"),
    ("GET", "/auth/login"): _get("/auth/login?next=/my"),  # [auth.jwt.login] unset here: a 404 page
    ("GET", "/auth/callback"): _get("/auth/callback?code=c&state=s"),
    ("GET", "/healthz"): _get("/healthz"),
    ("GET", "/readyz"): _get("/readyz"),
    ("GET", "/"): _get("/"),
    ("GET", "/openapi.json"): _get("/openapi.json"),
    ("GET", "/docs"): _get("/docs"),
    ("GET", "/redoc"): _get("/redoc"),
}
STATIC = {"/static/swagger-ui", "/static/redoc"}  # mounted asset folders: files shipped with the code


def routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers walked into (the app
    includes them without a prefix)."""
    out: set[tuple[str, str]] = set()
    todo: list[BaseRoute] = list(app.routes)
    while todo:
        route = todo.pop()
        if isinstance(route, Mount):
            assert route.path in STATIC, f"mount {route.path} is not covered by the ACL scan"
        elif (router := getattr(route, "original_router", None)) is not None:
            todo.extend(router.routes)
        else:
            assert isinstance(route, APIRoute | Route), f"unknown kind of route: {route!r}"
            out |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
    return out


def test_every_route_is_scanned(app_client: tuple[Runtime, TestClient]) -> None:
    _, client = app_client
    app = client.app
    assert isinstance(app, FastAPI)
    missing = routes(app) - set(EXERCISE)
    assert not missing, f"routes not covered by the ACL scan (add them to EXERCISE): {sorted(missing)}"


def test_fixture_links_cross_acls_in_every_way(app_client: tuple[Runtime, TestClient]) -> None:
    """The corpus does what the scan relies on: a reader of both sides sees each link."""
    _, client = app_client
    h = _h(USERS["admin"])
    assert client.get(f"/v1/docs/{_id(1)}", headers=h).json()["successor"]["doc_id"] == _id(2)
    assert client.get(f"/v1/docs/{_id(3)}", headers=h).json()["successor"]["doc_id"] == _id(4)
    assert client.get(f"/v1/docs/{_id(5)}", headers=h).json()["record"]["links"] == [_id(6)]
    hits = client.post("/v1/search", json={"question": "incident response runbook"}, headers=h).json()
    succ = {r["doc_id"]: r["successor"] for r in hits["results"]}
    assert succ[_id(7)] is not None and succ[_id(7)]["doc_id"] == _id(8) and succ[_id(7)]["inferred"]
    faq = client.get(f"/v1/docs/{_id(10)}", headers=h).json()
    assert faq["path"] == faq["record"]["path"] == ["Acme", "Okapi salary bands"]
    hits = client.post("/v1/search", json={"question": "travel policy flights hotel"}, headers=h).json()
    also = {r["doc_id"]: [c["doc_id"] for c in r["also_in"]] for r in hits["results"]}
    assert _gid(12) in also.get(_id(11), []) or _id(11) in also.get(_gid(12), []), also


def test_a_restricted_parent_is_a_placeholder_in_the_breadcrumb(
    app_client: tuple[Runtime, TestClient],
) -> None:
    """What a reader of the child sees instead of the parent's title, wherever a path is served."""
    _, client = app_client
    h = _h(USERS["staff"])
    want = ["Acme", RESTRICTED]
    assert client.get(f"/v1/docs/{_id(10)}", headers=h).json()["record"]["path"] == want
    assert client.get(f"/v1/docs/{_id(10)}", headers=h).json()["path"] == want
    listed = {d["doc_id"]: d for d in client.get("/v1/docs", headers=h).json()["documents"]}
    assert listed[_id(10)]["path"] == want and listed[_id(1)]["path"] == ["Acme"]
    hits = client.post("/v1/search", json={"question": "salary review cycle"}, headers=h).json()["results"]
    assert next(r for r in hits if r["doc_id"] == _id(10))["path"] == want
    assert {d["doc_id"]: d["path"] for d in client.get("/v1/my", headers=h).json()["documents"]}[
        _id(10)
    ] == want


def _without_echo(resp: httpx.Response) -> str:
    """The body less the caller's own question, which search echoes (``QUERIES`` name hidden
    titles on purpose: asking for a document by name must not reveal it either)."""
    if resp.request.url.path != "/v1/search" or resp.status_code != 200:
        return resp.text
    data = resp.json()
    assert data.pop("query") == json.loads(resp.request.content)["question"]
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(USERS))
def test_no_route_names_what_the_user_may_not_read(name: str, app_client: tuple[Runtime, TestClient]) -> None:
    _, client = app_client
    user = USERS[name]
    hidden = _unreadable(user)
    assert name == "admin" or hidden, "every non-admin user must have something to not see"
    leaks = []
    for (method, path), call in sorted(EXERCISE.items()):
        for resp in call(client, user):
            assert resp.status_code < 500, (method, path, resp.text)
            body = _without_echo(resp).casefold()
            for doc_id, needles in hidden.items():
                found = [n for n in needles if n.casefold() in body]
                if found:
                    leaks.append(f"{method} {path} ({resp.request.url}) names {doc_id}: {found}")
    assert not leaks, "\n".join(leaks)
