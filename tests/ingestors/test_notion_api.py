"""``NotionPuller`` with the real notion-client against the loopback Notion API server."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingestors.notion import NotionIngestor
from ingestors.notion_api import NotionPuller
from kb.config import Settings, settings_from_dict
from kb.errors import IngestError
from kb.records import Document, SourceBatch
from kb.store.db import Database
from kb.store.pull_state import PullState
from tests.ingestors.notion_server import NotionServer, NotionState
from tests.ingestors.notion_workspace import (
    DEPLOY,
    DS,
    ENG,
    NOTES,
    OLD,
    RUNBOOKS,
    export_files,
    hexid,
    workspace,
)

TOKEN = "secret_test_token"


@pytest.fixture
def server() -> Iterator[NotionServer]:
    with NotionServer(workspace(NotionState(TOKEN))) as srv:
        yield srv


def make_settings(server: NotionServer, tmp_path: Path, **source: object) -> Settings:
    return settings_from_dict(
        {
            "data": {"dir": str(tmp_path / "data")},
            "sources": [
                {
                    "name": "wiki",
                    "kind": "notion",
                    "api_url": server.url,
                    "roots": [f"https://www.notion.so/Engineering-{hexid(ENG)}"],
                    "requests_per_second": 100,
                    "backoff_s": 0.01,
                    **source,
                }
            ],
        }
    )


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def pull(
    settings: Settings, tmp_path: Path, sleeps: Callable[[float], None] | None = None, token: str = TOKEN
) -> tuple[dict[str, Document], SourceBatch]:
    state = PullState(Database(tmp_path / "state.sqlite"), "wiki")
    puller = NotionPuller(
        settings,
        settings.source("wiki"),
        state,
        env={"NOTION_TOKEN": token},
        sleep=Sleeps() if sleeps is None else sleeps,
    )
    batch = puller.read()
    return {d.doc_id: d for d in batch.documents}, batch


def nid(uuid: str) -> str:
    return f"notion:{hexid(uuid)}"


def test_pages_rows_and_blocks_under_the_root(server: NotionServer, tmp_path: Path) -> None:
    docs, batch = pull(make_settings(server, tmp_path), tmp_path)
    assert batch.complete and batch.issues == []
    assert sorted(docs) == sorted(nid(x) for x in (ENG, RUNBOOKS, DEPLOY, OLD))  # not NOTES
    eng = docs[nid(ENG)]
    assert eng.text == (
        "# Engineering\n\n# Overview\n\nWe ship **daily**. See Deploy guide\n\n"
        "Read the [style guide](https://example.com/style) before *any* change.\n\n"
        "Freeze starts @December 1, 2026; rollouts cost $O(n \\log n)$.\n\nPersonal notes\n\n"
        "- CI must be green\n- Two reviewers\n    - One from the owning team\n"
        "1. Merge\n2. Deploy\n- [x] Write the changelog\n\n"
        "```bash\nkubectl rollout status deploy/api\n```\n\n"
        "| Service | Owner |\n| --- | --- |\n| api | platform |\n\n"
        "- Rollback steps\n    Run the rollback job\n\n> ⚠️ Never deploy on Fridays\n\nDeploy flow\n\n---\n\n"
        "Runbooks\n\nWiki"
    )
    assert eng.links == sorted([nid(DEPLOY), nid(RUNBOOKS), nid(NOTES)])
    assert eng.url == f"https://www.notion.so/Engineering-{hexid(ENG)}"
    assert docs[nid(RUNBOOKS)].path == ["Engineering"]
    assert docs[nid(RUNBOOKS)].text == "# Runbooks\n\n## Paging\n\nPage the on-call engineer."


def test_pages_get_the_text_the_export_ingestor_gives_them(server: NotionServer, tmp_path: Path) -> None:
    """The same workspace as Notion's Markdown export and through the API: the same title and
    text for every page (what the content hash covers), so moving to pulls re-embeds nothing."""
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as zf:
        for name, text in export_files().items():
            zf.writestr(name, text)
    exported = {d.doc_id: d for d in NotionIngestor(make_settings(server, tmp_path)).read(export).documents}
    pulled, _ = pull(make_settings(server, tmp_path), tmp_path)
    assert sorted(exported) == sorted(pulled)
    for doc_id, doc in exported.items():
        assert (pulled[doc_id].title, pulled[doc_id].text) == (doc.title, doc.text), doc_id
        assert sorted(pulled[doc_id].links) == sorted(doc.links), doc_id


def test_properties_people_and_verification(server: NotionServer, tmp_path: Path) -> None:
    docs, _ = pull(make_settings(server, tmp_path), tmp_path)
    deploy = docs[nid(DEPLOY)]
    assert deploy.path == ["Engineering", "Wiki"]
    assert (deploy.owner, deploy.resolution["owner"]) == ("alice.chen@acme.com", "property 'Owner'")
    # Verified 2026-09-01 until 2026-12-01: reviewed then, due when the verification ends.
    assert deploy.last_reviewed_at == datetime(2026, 9, 1, tzinfo=UTC)
    assert deploy.last_reviewed_at + timedelta(days=deploy.review_interval_days or 0) == datetime(
        2026, 12, 1, tzinfo=UTC
    )
    assert deploy.last_edited_by == "bob.ortiz@acme.com"
    assert deploy.last_edited_at == datetime(2026, 11, 4, 10, tzinfo=UTC)
    assert deploy.properties["Tags"] == "deploy, ci"
    assert (
        deploy.properties["Verification"] == "Verified by bob.ortiz@acme.com on 2026-09-01 until 2026-12-01"
    )
    old = docs[nid(OLD)]
    assert (old.status, old.superseded_by) == ("deprecated", nid(DEPLOY))
    assert old.last_reviewed_at is None and old.resolution["last_reviewed_at"].endswith("(not verified)")


def test_verifier_is_the_owner_without_an_owner_property(server: NotionServer, tmp_path: Path) -> None:
    del server.state.pages[DEPLOY]["properties"]["Owner"]
    docs, _ = pull(make_settings(server, tmp_path), tmp_path)
    deploy = docs[nid(DEPLOY)]
    assert (deploy.owner, deploy.resolution["owner"]) == (
        "bob.ortiz@acme.com",
        "verifier in property 'Verification'",
    )


def test_everything_shared_without_roots(server: NotionServer, tmp_path: Path) -> None:
    docs, _ = pull(make_settings(server, tmp_path, roots=[]), tmp_path)
    assert nid(NOTES) in docs and len(docs) == 5


def test_unchanged_pages_are_not_fetched_again(server: NotionServer, tmp_path: Path) -> None:
    settings = make_settings(server, tmp_path)
    first, _ = pull(settings, tmp_path)
    blocks_before = server.state.requests("GET", "/v1/blocks/")
    second, batch = pull(settings, tmp_path)
    assert server.state.requests("GET", "/v1/blocks/") == blocks_before
    assert second == first and batch.complete

    server.state.pages[DEPLOY]["last_edited_time"] = "2026-11-20T08:00:00.000Z"
    server.state.blocks[DEPLOY][0]["paragraph"]["rich_text"][0]["plain_text"] = "Deploys need a green canary."
    third, _ = pull(settings, tmp_path)
    assert server.state.requests("GET", f"/v1/blocks/{DEPLOY}/") == 2
    assert server.state.requests("GET", "/v1/blocks/") == blocks_before + 1
    assert "green canary" in third[nid(DEPLOY)].text
    assert third[nid(ENG)] == first[nid(ENG)]


def test_429_waits_retry_after_and_5xx_backs_off(server: NotionServer, tmp_path: Path) -> None:
    server.state.fail("POST /v1/search", 429, 500, 503)
    server.state.fail(f"GET /v1/blocks/{ENG}/children", 502)
    sleeps = Sleeps()
    docs, batch = pull(make_settings(server, tmp_path, backoff_s=0.5), tmp_path, sleeps)
    assert batch.complete and len(docs) == 4
    waits = [round(s, 2) for s in sleeps if s >= 0.4]
    # Retry-After (1 s), then backoff 0.5 s doubled per attempt (1.0, 2.0); the blocks' 502: 0.5.
    assert waits == [1.0, 1.0, 2.0, 0.5]


def test_listing_that_fails_mid_way_is_incomplete_and_keeps_what_it_read(
    server: NotionServer, tmp_path: Path
) -> None:
    settings = make_settings(server, tmp_path, max_retries=2)
    pull(settings, tmp_path)
    server.state.fail(f"POST /v1/data_sources/{DS}/query", 500, 500, 500)
    docs, batch = pull(settings, tmp_path)
    assert batch.complete is False
    (issue,) = batch.issues
    assert issue.input == "source 'wiki': rows of data source 'Wiki'"
    assert "HTTP 500" in issue.reason and "nothing is removed" in issue.reason
    # Rows are also found by search, so here nothing is even missing; the run is still incomplete.
    assert nid(ENG) in docs
    assert PullState(Database(tmp_path / "state.sqlite"), "wiki").stamps().keys() >= {nid(DEPLOY), nid(OLD)}


def test_revoked_token_is_a_clear_error_naming_the_source(server: NotionServer, tmp_path: Path) -> None:
    with pytest.raises(IngestError) as err:
        pull(make_settings(server, tmp_path), tmp_path, token="secret_revoked")
    assert err.value.subject == "source 'wiki'"
    assert "401" in err.value.message and "NOTION_TOKEN" in err.value.message
    assert "nothing was ingested or removed" in err.value.message


def test_missing_token_env_is_a_clear_error(server: NotionServer, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="env var NOTION_TOKEN"):
        pull(make_settings(server, tmp_path), tmp_path, token="")


def test_root_no_longer_shared_makes_the_batch_incomplete(server: NotionServer, tmp_path: Path) -> None:
    settings = make_settings(server, tmp_path, roots=[hexid(ENG), "0123456789abcdef0123456789abcdef"])
    docs, batch = pull(settings, tmp_path)
    assert batch.complete is False and len(docs) == 4
    (issue,) = batch.issues
    assert issue.input == "source 'wiki': root 0123456789abcdef0123456789abcdef"
    assert "not shared with the integration" in issue.reason


def test_database_id_as_root_pulls_its_rows(server: NotionServer, tmp_path: Path) -> None:
    from tests.ingestors.notion_workspace import DB

    docs, batch = pull(make_settings(server, tmp_path, roots=[DB]), tmp_path)
    assert sorted(docs) == sorted([nid(DEPLOY), nid(OLD)]) and batch.complete


@pytest.mark.slow
def test_default_rate_stays_under_three_requests_per_second(server: NotionServer, tmp_path: Path) -> None:
    server.state.max_page_size = 100
    server.state.rate_limit = 3  # like Notion: more than 3 in a second is answered 429
    settings = make_settings(server, tmp_path, requests_per_second=3)

    docs, batch = pull(settings, tmp_path, sleeps=time.sleep)
    assert batch.complete and len(docs) == 4
    times = [t for t, _m, _p in server.state.log]
    assert len(times) >= 8 and server.state.rate_limited == 0
    assert (len(times) - 1) / (times[-1] - times[0]) <= 3.05


@pytest.mark.slow
def test_a_faster_client_is_rate_limited_and_recovers_after_retry_after(
    server: NotionServer, tmp_path: Path
) -> None:
    server.state.max_page_size = 100
    server.state.rate_limit = 3
    docs, batch = pull(make_settings(server, tmp_path, requests_per_second=50), tmp_path, sleeps=time.sleep)
    assert server.state.rate_limited > 0
    assert batch.complete and len(docs) == 4


def test_without_the_user_capability_people_keep_their_names(server: NotionServer, tmp_path: Path) -> None:
    server.state.fail("GET /v1/users", 403)
    server.state.pages[DEPLOY]["properties"]["Owner"]["people"][0]["name"] = "Alice Chen"
    docs, batch = pull(make_settings(server, tmp_path), tmp_path)
    assert batch.complete and docs[nid(DEPLOY)].owner == "Alice Chen"
    (issue,) = batch.issues
    assert issue.input == "source 'wiki': users" and issue.severity == "warning"
    assert "HTTP 403 restricted_resource" in issue.reason


def test_pages_pulled_by_an_older_rendering_are_fetched_again_once(
    server: NotionServer, tmp_path: Path
) -> None:
    settings = make_settings(server, tmp_path)
    first, _ = pull(settings, tmp_path)
    db = Database(tmp_path / "state.sqlite")
    with db.transaction() as conn:  # as an older release stored them: the bare last_edited_time
        conn.execute("UPDATE pull_docs SET stamp = substr(stamp, instr(stamp, '|') + 1)")
    blocks = server.state.requests("GET", f"/v1/blocks/{DEPLOY}/")
    second, _ = pull(settings, tmp_path)
    assert server.state.requests("GET", f"/v1/blocks/{DEPLOY}/") == blocks + 1 and second == first
    pull(settings, tmp_path)
    assert server.state.requests("GET", f"/v1/blocks/{DEPLOY}/") == blocks + 1
