"""``kb.ingest.pull`` end to end: the real notion-client against the loopback Notion API, the
real model, embedded Chroma and SQLite. Moving from exports to pulls keeps doc ids and reviews;
a page gone upstream is removed; a pull that cannot list everything, or whose token was
revoked, removes nothing."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingestors.notion import NotionIngestor
from kb.clock import FixedClock
from kb.config import settings_from_dict
from kb.errors import IngestError
from kb.ingest.pull import pull
from kb.runtime import Runtime
from kb.store.reviews import Review, ReviewStore
from tests.conftest import EXAMPLE_NOW, NOTION_SAMPLE
from tests.ingestors.notion_sample import sample_workspace
from tests.ingestors.notion_server import NotionServer, NotionState
from tests.ingestors.notion_workspace import (
    DEPLOY,
    ENG,
    OLD,
    RUNBOOKS,
    block,
    export_files,
    hexid,
    workspace,
)
from tests.kb.ingest.conftest import CountingEmbedder

pytestmark = pytest.mark.slow
TOKEN = "secret_test_token"


@pytest.fixture
def server() -> Iterator[NotionServer]:
    with NotionServer(workspace(NotionState(TOKEN))) as srv:
        yield srv


@pytest.fixture
def rt(
    tmp_path: Path, server: NotionServer, counting: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Runtime]:
    monkeypatch.setenv("KB_TEST_NOTION_TOKEN", TOKEN)
    settings = settings_from_dict(
        {
            "data": {"dir": str(tmp_path / "data")},
            "people": [
                {"name": "Alice Chen", "email": "alice.chen@acme.com"},
                {"name": "Bob Ortiz", "email": "bob.ortiz@acme.com"},
            ],
            "sources": [
                {
                    "name": "wiki",
                    "kind": "notion",
                    "api_url": server.url,
                    "token_env": "KB_TEST_NOTION_TOKEN",
                    "roots": [hexid(ENG)],
                    "requests_per_second": 100,
                    "backoff_s": 0.01,
                    "max_retries": 1,
                }
            ],
        }
    )
    runtime = Runtime(settings, embedder=counting, clock=FixedClock(EXAMPLE_NOW))
    yield runtime
    runtime.close()


def nid(uuid: str) -> str:
    return f"notion:{hexid(uuid)}"


def test_moving_from_an_export_to_pulls_keeps_ids_and_reviews(rt: Runtime, tmp_path: Path) -> None:
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr(f"Export-1/Engineering {hexid(ENG)}.md", "# Engineering\n\nWe ship weekly.\n")
        zf.writestr(
            f"Export-1/Engineering {hexid(ENG)}/Runbooks {hexid(RUNBOOKS)}.md",
            "# Runbooks\n\nPage someone.\n",
        )
    first = rt.ingester().ingest("notion", export)
    assert sorted(first.added) == sorted([nid(ENG), nid(RUNBOOKS)])
    review = Review(
        doc_id=nid(ENG), reviewer="alice.chen@acme.com", reviewed_at=datetime(2026, 11, 1, tzinfo=UTC)
    )
    ReviewStore(rt.db).record(review)

    report = pull(rt.ingester(), "wiki")
    assert report.input == "source 'wiki'"
    assert sorted(report.updated) == sorted([nid(ENG), nid(RUNBOOKS)])  # same ids: updated, not added
    assert sorted(report.added) == sorted([nid(DEPLOY), nid(OLD)])
    assert report.removed == [] and not report.removal_skipped
    assert [r.reviewer for r in ReviewStore(rt.db).history(nid(ENG))] == ["alice.chen@acme.com"]
    stored = rt.documents.get(nid(DEPLOY))
    assert (
        stored is not None
        and stored.owner == "alice.chen@acme.com"
        and stored.path == ["Engineering", "Wiki"]
    )

    again = pull(rt.ingester(), "wiki")
    assert again.chunks_embedded == 0 and len(again.unchanged) == 4


def write_export(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in export_files().items():
            zf.writestr(name, text)
    return path


def test_a_pull_of_the_exported_workspace_embeds_nothing(
    rt: Runtime, server: NotionServer, counting: CountingEmbedder, tmp_path: Path
) -> None:
    exported = rt.ingester().ingest("notion", write_export(tmp_path / "export.zip"))
    ids = sorted(nid(x) for x in (ENG, RUNBOOKS, DEPLOY, OLD))
    assert sorted(exported.added) == ids and 0 < exported.chunks_embedded <= len(counting.texts)
    chunks = {i: [(c.chunk_id, c.text) for c in rt.documents.chunks_for(i)] for i in ids}
    review = Review(
        doc_id=nid(DEPLOY), reviewer="bob.ortiz@acme.com", reviewed_at=datetime(2026, 11, 1, tzinfo=UTC)
    )
    ReviewStore(rt.db).record(review)
    counting.texts.clear()

    pulled = pull(rt.ingester(), "wiki")
    # Same pages, same text: no model call and no chunk written; metadata the API adds (verification
    # start, emails, link order) is updated in place.
    assert pulled.chunks_embedded == 0 and counting.texts == []
    assert pulled.added == [] and pulled.removed == [] and sorted(pulled.updated + pulled.unchanged) == ids
    assert {i: [(c.chunk_id, c.text) for c in rt.documents.chunks_for(i)] for i in ids} == chunks
    assert [r.reviewer for r in ReviewStore(rt.db).history(nid(DEPLOY))] == ["bob.ortiz@acme.com"]

    # A real edit upstream re-embeds that page, and only it.
    server.state.pages[RUNBOOKS]["last_edited_time"] = "2026-11-21T08:00:00.000Z"
    server.state.blocks[RUNBOOKS][1]["paragraph"]["rich_text"][0]["plain_text"] = "Page the incident lead."
    edited = pull(rt.ingester(), "wiki")
    assert edited.updated == [nid(RUNBOOKS)] and 0 < edited.chunks_embedded <= len(counting.texts)
    assert all(
        t.startswith("Runbooks\n") for t in counting.texts[: edited.chunks_embedded]
    )  # chunks (title first) come first
    assert any("Page the incident lead." in c.text for c in rt.documents.chunks_for(nid(RUNBOOKS)))
    assert not any("on-call engineer" in c.text for c in rt.documents.chunks_for(nid(RUNBOOKS)))


def test_a_pulled_page_whose_one_paragraph_differs_re_embeds_only_that_chunk(
    rt: Runtime, server: NotionServer, counting: CountingEmbedder, tmp_path: Path
) -> None:
    # Runbooks gets a second section; its paragraph is written differently by the export and the
    # API (as a block the two render apart would be), the first section identically.
    files = export_files()
    path = next(p for p in files if p.endswith(f"Runbooks {hexid(RUNBOOKS)}.md"))
    files[path] = str(files[path]) + "\n\n## Escalation\n\nCall the incident lead after 15 minutes."
    server.state.blocks[RUNBOOKS] += [
        block("heading_2", "Escalation"),
        block("paragraph", "Call the incident lead after 20 minutes."),
    ]
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    rt.ingester().ingest("notion", tmp_path / "export.zip")
    before = rt.documents.chunks_for(nid(RUNBOOKS))
    assert [c.heading for c in before] == ["Runbooks / Paging", "Runbooks / Escalation"]
    held = rt.index.stored(c.chunk_id for c in before)
    counting.texts.clear()

    pulled = pull(rt.ingester(), "wiki")
    assert nid(RUNBOOKS) in pulled.updated
    assert (pulled.chunks_embedded, pulled.chunks_reused) == (1, 1)
    # The model saw the changed chunk and its sentences only, nothing of the unchanged section.
    assert counting.texts and all("on-call" not in t for t in counting.texts)
    assert any("20 minutes" in t for t in counting.texts)
    after = rt.documents.chunks_for(nid(RUNBOOKS))
    assert [c.text for c in after] == [
        "Page the on-call engineer.",
        "Call the incident lead after 20 minutes.",
    ]
    now = rt.index.stored(c.chunk_id for c in after)
    assert now[after[0].chunk_id][0] == held[before[0].chunk_id][0]  # the same vector, not re-made
    assert now[after[1].chunk_id][0] != held[before[1].chunk_id][0]
    # The answerer's sentence vectors of both chunks are stored (nothing left to backfill).
    assert rt.ingester().backfill_sentences() == 0


def test_a_page_gone_upstream_is_removed(rt: Runtime, server: NotionServer) -> None:
    # One page of this small workspace is more than the default 20% removal guard
    # (test_the_removal_guard_holds_a_large_share_of_a_pull below); allow it here.
    rt.settings.ingest.max_removal_fraction = 1.0
    pull(rt.ingester(), "wiki")
    del server.state.pages[RUNBOOKS]
    server.state.blocks[ENG].pop()  # its child_page block goes with it
    report = pull(rt.ingester(), "wiki")
    assert report.removed == [nid(RUNBOOKS)]
    assert rt.documents.get(nid(RUNBOOKS)) is None


def test_a_pull_that_cannot_list_everything_removes_nothing(rt: Runtime, server: NotionServer) -> None:
    pull(rt.ingester(), "wiki")
    del server.state.pages[OLD]
    server.state.fail("POST /v1/search", 500, 500)  # the page search fails after its one retry
    report = pull(rt.ingester(), "wiki")
    assert report.removal_skipped and report.removed == []
    assert rt.documents.get(nid(OLD)) is not None
    assert any("search pages" in i.input and "HTTP 500" in i.reason for i in report.failed)


def test_a_revoked_token_stops_the_pull_naming_the_source(
    rt: Runtime, server: NotionServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pull(rt.ingester(), "wiki")
    before = rt.documents.count()
    monkeypatch.setenv("KB_TEST_NOTION_TOKEN", "secret_revoked")
    with pytest.raises(IngestError, match=r"source 'wiki'.*401"):
        pull(rt.ingester(), "wiki")
    assert rt.documents.count() == before


def test_the_removal_guard_holds_a_large_share_of_a_pull(rt: Runtime, server: NotionServer) -> None:
    pull(rt.ingester(), "wiki")
    del server.state.pages[RUNBOOKS]
    server.state.blocks[ENG].pop()
    report = pull(rt.ingester(), "wiki")
    assert report.removed == [] and report.removal_held == [nid(RUNBOOKS)]
    assert rt.documents.get(nid(RUNBOOKS)) is not None


def test_pulling_the_real_sample_workspace_after_its_export_embeds_nothing(
    tmp_path: Path, counting: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real sample export (278 pages: 8 pages, 270 database rows titled by date mentions,
    10 of them relative in the export) ingested, then the same workspace pulled from the loopback
    API (``tests.ingestors.notion_sample``): what the move costs, counted at the model."""
    if not NOTION_SAMPLE.exists():
        pytest.skip(f"real Notion sample missing at {NOTION_SAMPLE}")
    exported = NotionIngestor(settings_from_dict({})).read(NOTION_SAMPLE).documents
    state = sample_workspace(NotionState(TOKEN), exported)
    state.max_page_size = 100
    monkeypatch.setenv("KB_TEST_NOTION_TOKEN", TOKEN)
    with NotionServer(state) as srv:
        source = {"name": "sample", "kind": "notion", "api_url": srv.url, "token_env": "KB_TEST_NOTION_TOKEN"}
        settings = settings_from_dict(
            {"data": {"dir": str(tmp_path / "data")}, "sources": [{**source, "requests_per_second": 100}]}
        )
        runtime = Runtime(settings, embedder=counting, clock=FixedClock(EXAMPLE_NOW))
        try:
            first = runtime.ingester().ingest("notion", NOTION_SAMPLE)
            assert len(first.added) == 278 and first.chunks_embedded >= 278
            counting.texts.clear()
            pulled = pull(runtime.ingester(), "sample")
        finally:
            runtime.close()
    assert pulled.failed == [] and pulled.added == [] and pulled.removed == []
    assert len(pulled.updated) + len(pulled.unchanged) == 278
    assert (pulled.chunks_embedded, pulled.chunks_reused, counting.texts) == (0, 0, [])
