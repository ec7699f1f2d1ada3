"""Near-duplicates end to end: two sources ingested through the real pipeline (model, Chroma,
SQLite), then search, ``POST /v1/search``, ``GET /v1/docs/{id}`` and ``kb docs --json`` as two
readers with different ACLs. A copy the reader cannot read is never shown, named or counted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kb.api import create_app
from kb.auth import hash_token
from kb.cli import app
from kb.clock import FixedClock
from kb.config import TokenEntry, settings_from_dict
from kb.ingest.duplicates import jaccard, shingles
from kb.ingest.pipeline import IngestOptions
from kb.records import Document, Principal, Source, SourceBatch
from kb.runtime import Runtime
from kb.store.duplicates import NearDuplicates
from tests.conftest import EXAMPLE_NOW

pytestmark = pytest.mark.slow

CHECKLIST = (
    "Laptop setup checklist for new engineers. Day one: collect your laptop from IT, enable disk "
    "encryption, install {vault} and join the {network}. Day two: pair with your onboarding buddy "
    "on a first pull request and read the deploy process. Week one: ship a change to staging and "
    "book a coffee with your manager."
)
PAYROLL = (
    "Payroll runbook. Salaries are paid on the 25th of each month through the payroll provider. "
    "Corrections before the 20th go through the finance inbox; later ones are paid next month. "
    "Bonuses are paid in March after the performance cycle closes."
)
N_LAPTOP, G_LAPTOP = "notion:" + "a" * 32, "gdrive:1" + "a" * 32
N_PAYROLL, G_PAYROLL = "notion:" + "b" * 32, "gdrive:1" + "b" * 32
N_OTHER = "notion:" + "c" * 32
FINANCE = Principal(user="fin@acme.test", groups=["finance"])
ENGINEER = Principal(user="eng@acme.test", groups=["engineering"])
TOKENS = {"fin": FINANCE, "eng": ENGINEER}


def doc(doc_id: str, source: Source, title: str, text: str, edited: datetime, acl: list[str]) -> Document:
    return Document(
        doc_id=doc_id,
        source=source,
        title=title,
        text=text,
        url=f"https://docs.acme.test/{doc_id}",
        owner="ana@acme.test",
        last_edited_at=edited,
        last_reviewed_at=edited,
        review_interval_days=180,
        acl=acl,
    )


NOTION = [
    doc(
        N_LAPTOP,
        "notion",
        "Laptop Checklist",
        CHECKLIST.format(vault="1Password", network="Tailscale network"),
        datetime(2026, 10, 1, tzinfo=UTC),
        ["everyone"],
    ),
    doc(
        N_PAYROLL, "notion", "Payroll Runbook", PAYROLL, datetime(2026, 10, 1, tzinfo=UTC), ["group:finance"]
    ),
    doc(
        N_OTHER,
        "notion",
        "Coffee Machine",
        "Descale the coffee machine every Friday with citric acid.",
        datetime(2026, 10, 1, tzinfo=UTC),
        ["everyone"],
    ),
]
DRIVE = [
    doc(
        G_LAPTOP,
        "gdrive",
        "Laptop Checklist",
        CHECKLIST.format(vault="LastPass", network="office VPN"),
        datetime(2025, 2, 10, tzinfo=UTC),
        ["everyone"],
    ),
    doc(
        G_PAYROLL, "gdrive", "Payroll Runbook (copy)", PAYROLL, datetime(2026, 9, 1, tzinfo=UTC), ["everyone"]
    ),
]


class StaticReader:
    def __init__(self, source: Source, docs: list[Document]) -> None:
        self.source, self.docs = source, docs

    def read(self, path: Path) -> SourceBatch:
        return SourceBatch(source=self.source, documents=self.docs, identity=[f"{self.source}-export"])


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Runtime]:
    data = tmp_path_factory.mktemp("dups") / "data"
    settings = settings_from_dict({"data": {"dir": str(data)}})
    settings.auth.tokens = [
        TokenEntry(sha256=hash_token(tok), user=p.user, groups=p.groups) for tok, p in TOKENS.items()
    ]
    runtime = Runtime(settings, embedder=embedder, clock=FixedClock(EXAMPLE_NOW))
    ingester = runtime.ingester(
        {
            "notion": lambda _s: StaticReader("notion", NOTION),
            "gdrive": lambda _s: StaticReader("gdrive", DRIVE),
        }
    )
    ingester.ingest("notion", data)
    ingester.ingest("gdrive", data)
    yield runtime
    runtime.close()


@pytest.fixture(scope="module")
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt)) as c:
        yield c


def test_ingest_stores_the_cross_source_pairs(rt: Runtime) -> None:
    pairs = {(p.doc_a, p.doc_b) for p in NearDuplicates(rt.db).all()}
    assert pairs == {(G_LAPTOP, N_LAPTOP), (G_PAYROLL, N_PAYROLL)}


def test_search_shows_one_copy_and_names_the_other(rt: Runtime) -> None:
    result = rt.retriever.search("laptop checklist disk encryption", ENGINEER, top_k=3)
    ids = [h.doc_id for h in (hit.doc for hit in result.hits)]
    assert ids[0] == N_LAPTOP  # the current copy
    assert G_LAPTOP not in ids
    assert [(c.doc_id, c.source_label) for c in result.hits[0].also_in] == [(G_LAPTOP, "Google Drive")]
    assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1))


def test_a_copy_the_reader_cannot_read_is_never_named(rt: Runtime) -> None:
    result = rt.retriever.search("when are salaries paid payroll", ENGINEER, top_k=3)
    assert result.hits[0].doc.doc_id == G_PAYROLL
    assert result.hits[0].also_in == []
    assert N_PAYROLL not in result.model_dump_json()
    finance = rt.retriever.search("when are salaries paid payroll", FINANCE, top_k=3)
    ids = [h.doc.doc_id for h in finance.hits]
    assert ids.count(N_PAYROLL) + ids.count(G_PAYROLL) == 1
    assert {c.doc_id for c in finance.hits[0].also_in} | {finance.hits[0].doc.doc_id} == {
        N_PAYROLL,
        G_PAYROLL,
    }


def test_the_api_lists_readable_copies_only(client: TestClient) -> None:
    eng, fin = {"Authorization": "Bearer eng"}, {"Authorization": "Bearer fin"}
    body = client.post("/v1/search", json={"question": "laptop checklist", "top_k": 3}, headers=eng).json()
    assert body["results"][0]["doc_id"] == N_LAPTOP
    assert [c["doc_id"] for c in body["results"][0]["also_in"]] == [G_LAPTOP]
    assert G_LAPTOP not in [r["doc_id"] for r in body["results"]]

    detail = client.get(f"/v1/docs/{G_PAYROLL}", headers=eng).json()
    assert detail["near_duplicates"] == []
    assert N_PAYROLL not in json.dumps(detail)
    detail = client.get(f"/v1/docs/{G_PAYROLL}", headers=fin).json()
    [copy] = detail["near_duplicates"]
    assert (copy["doc_id"], copy["title"], copy["source"]) == (N_PAYROLL, "Payroll Runbook", "notion")
    same_text_other_title = jaccard(
        shingles(f"Payroll Runbook\n{PAYROLL}"), shingles(f"Payroll Runbook (copy)\n{PAYROLL}")
    )
    assert copy["similarity"] == pytest.approx(same_text_other_title, abs=1e-4)
    assert client.get(f"/v1/docs/{N_PAYROLL}", headers=eng).status_code == 404


def test_kb_docs_lists_near_duplicates(rt: Runtime, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ndir = "{rt.settings.data.dir}"\n')
    result = CliRunner().invoke(app, ["docs", "--json", "--config", str(config)])
    assert result.exit_code == 0, result.stderr
    listed = {d["doc_id"]: [c["doc_id"] for c in d["near_duplicates"]] for d in json.loads(result.stdout)}
    assert listed == {
        N_LAPTOP: [G_LAPTOP],
        G_LAPTOP: [N_LAPTOP],
        N_PAYROLL: [G_PAYROLL],
        G_PAYROLL: [N_PAYROLL],
        N_OTHER: [],
    }
    text = CliRunner().invoke(app, ["docs", "--source", "notion", "--config", str(config)])
    assert f"near-duplicate: {G_LAPTOP} in Google Drive 'Laptop Checklist'" in text.stdout


def test_removing_a_copy_removes_its_pair(tmp_path: Path, embedder: Any) -> None:
    data = tmp_path / "data"
    runtime = Runtime(
        settings_from_dict({"data": {"dir": str(data)}}), embedder=embedder, clock=FixedClock(EXAMPLE_NOW)
    )
    try:
        drive: list[Document] = list(DRIVE)
        ingester = runtime.ingester(
            {
                "notion": lambda _s: StaticReader("notion", NOTION),
                "gdrive": lambda _s: StaticReader("gdrive", drive),
            }
        )
        ingester.ingest("notion", data)
        ingester.ingest("gdrive", data)
        assert len(NearDuplicates(runtime.db).all()) == 2
        drive.remove(DRIVE[1])  # the payroll copy is gone from the next Drive export
        ingester.ingest("gdrive", data, options=IngestOptions(allow_removals=True))
        assert [(p.doc_a, p.doc_b) for p in NearDuplicates(runtime.db).all()] == [(G_LAPTOP, N_LAPTOP)]
        hit = runtime.retriever.search("payroll salaries", FINANCE, top_k=1).hits[0]
        assert (hit.doc.doc_id, hit.also_in) == (N_PAYROLL, [])
    finally:
        runtime.close()
