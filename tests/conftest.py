"""Shared fixtures: real components only (the real model, embedded Chroma under tmp_path)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kb.clock import FixedClock
from kb.config import ModelSettings, Settings, load_settings, settings_from_dict
from kb.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"
NOTION_SAMPLE = SHARED / "samples" / "notion" / "Notion.Test.Export.zip"

# The instant the example data is judged at in tests (the example data's "today").
EXAMPLE_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up the developer's KB_CONFIG / KB_DATA_DIR."""
    monkeypatch.delenv("KB_CONFIG", raising=False)
    monkeypatch.delenv("KB_DATA_DIR", raising=False)


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real packaged all-MiniLM-L6-v2, loaded once per test session."""
    from kb.search.embedding import load_embedder

    return load_embedder(ModelSettings())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_from_dict({"data": {"dir": str(tmp_path / "data")}})


@pytest.fixture
def runtime(settings: Settings, embedder) -> Iterator[Runtime]:  # type: ignore[no-untyped-def]
    rt = Runtime(settings, embedder=embedder, clock=FixedClock(EXAMPLE_NOW))
    yield rt
    rt.close()


def example_settings(data_dir: Path) -> Settings:
    settings = load_settings(ROOT / "config.toml")
    settings.data.dir = data_dir
    settings.store.path = None
    return settings


@pytest.fixture(scope="session")
def example_runtime(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[Runtime]:  # type: ignore[no-untyped-def]
    """The bundled example data (Notion + Drive) ingested once per session, judged at EXAMPLE_NOW.

    Read-only for tests: a test that changes the store must build its own runtime.
    """

    rt = Runtime(
        example_settings(tmp_path_factory.mktemp("example") / "data"),
        embedder=embedder,
        clock=FixedClock(EXAMPLE_NOW),
    )
    ingester = rt.ingester()
    ingester.ingest("notion", EXAMPLES / "notion" / "acme-notion-export.zip")
    ingester.ingest("gdrive", EXAMPLES / "drive")
    yield rt
    rt.close()
