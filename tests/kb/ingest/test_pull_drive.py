"""Moving a Drive source from manifest exports to ``kb pull``: the real google-api-python-client
against the loopback Drive API, the real model, embedded Chroma and SQLite. The pull of what was
exported embeds nothing and keeps ids and reviews; a file whose content changed is re-embedded."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest

from ingestors.drive_client import DOCX
from ingestors.drive_export import export_drive
from kb.clock import FixedClock
from kb.config import settings_from_dict
from kb.ingest.pull import pull
from kb.runtime import Runtime
from kb.store.reviews import Review, ReviewStore
from tests.conftest import EXAMPLE_NOW
from tests.ingestors.drive_server import DriveServer, DriveState
from tests.ingestors.test_drive_api import DRIVE, KEY, fill, service_account_file
from tests.ingestors.test_extract import docx_bytes
from tests.kb.ingest.conftest import CountingEmbedder

pytestmark = pytest.mark.slow


@pytest.fixture
def server() -> Iterator[DriveServer]:
    with DriveServer(fill(DriveState(public_key=KEY.public_key()))) as srv:
        yield srv


@pytest.fixture
def rt(tmp_path: Path, server: DriveServer, counting: CountingEmbedder) -> Iterator[Runtime]:
    settings = settings_from_dict(
        {
            "data": {"dir": str(tmp_path / "data")},
            "sources": [
                {
                    "name": "gdrive",
                    "kind": "drive",
                    "api_url": server.url,
                    "credentials_file": str(service_account_file(tmp_path, server)),
                    "drives": [DRIVE],
                    "folders": ["fTeam"],
                    "requests_per_second": 100,
                    "backoff_s": 0.01,
                }
            ],
        }
    )
    runtime = Runtime(settings, embedder=counting, clock=FixedClock(EXAMPLE_NOW))
    yield runtime
    runtime.close()


def chunk_texts(rt: Runtime, ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    return {i: [(c.chunk_id, c.text) for c in rt.documents.chunks_for(i)] for i in ids}


def test_a_pull_of_the_exported_drive_embeds_nothing(
    rt: Runtime, server: DriveServer, counting: CountingEmbedder, tmp_path: Path
) -> None:
    out = tmp_path / "drive_export"
    assert export_drive(rt.settings, rt.settings.source("gdrive"), out, sleep=lambda s: None).complete
    exported = rt.ingester().ingest("drive", out)
    ids = sorted(exported.added)
    assert "gdrive:d1" in ids and 0 < exported.chunks_embedded <= len(counting.texts)
    before = chunk_texts(rt, ids)
    reviewed = datetime(2026, 11, 1, tzinfo=UTC)
    ReviewStore(rt.db).record(Review(doc_id="gdrive:d1", reviewer="bob.ortiz@acme.com", reviewed_at=reviewed))
    counting.texts.clear()

    pulled = pull(rt.ingester(), "gdrive")
    assert pulled.chunks_embedded == 0 and counting.texts == []
    assert pulled.added == [] and pulled.removed == [] and sorted(pulled.updated + pulled.unchanged) == ids
    assert chunk_texts(rt, ids) == before
    assert [r.reviewer for r in ReviewStore(rt.db).history("gdrive:d1")] == ["bob.ortiz@acme.com"]

    # A real edit (the changes feed names d1, its export has new text) re-embeds d1 only.
    server.state.exports["d1"][DOCX] = edited_docx()
    server.state.change("d1")
    edited = pull(rt.ingester(), "gdrive")
    assert edited.updated == ["gdrive:d1"] and 0 < edited.chunks_embedded <= len(counting.texts)
    assert all(
        t.startswith("Incident Runbook\n") for t in counting.texts[: edited.chunks_embedded]
    )  # chunks come first
    assert chunk_texts(rt, ids) != before
    assert any("Page the incident lead." in c.text for c in rt.documents.chunks_for("gdrive:d1"))


def edited_docx() -> bytes:
    doc = docx.Document(io.BytesIO(docx_bytes()))
    doc.add_paragraph("Page the incident lead.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
