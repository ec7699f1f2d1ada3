"""Shared fixtures: real components only (the real model, embedded Chroma under tmp_path, and
the store on SQLite or on a real PostgreSQL server started once per session on loopback).

Tests under ``BOTH_BACKENDS`` that use a store (``settings``, ``runtime``, ``open_db``,
``example_runtime`` and the fixtures built on them) run once per backend: ``[sqlite]`` and
``[postgresql]``; elsewhere they use SQLite only. The ``[postgresql]`` runs are marked slow, so
the fast subset (``pytest -m "not slow"``) runs SQLite only and the full suite runs both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kb.clock import FixedClock
from kb.config import ModelSettings, Settings, load_settings, settings_from_dict
from kb.runtime import Runtime
from kb.store.copy import copy_store
from kb.store.db import Database, open_database
from tests.postgres import PASSWORD_ENV, PostgresServer, bin_dir

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# /work/shared beside /work/main, and beside /work/wt/ for a worktree at /work/wt/<name>.
SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()), ROOT.parent / "shared"
)
NOTION_SAMPLE = SHARED / "samples" / "notion" / "Notion.Test.Export.zip"

# The instant the example data is judged at in tests (the example data's "today").
EXAMPLE_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


# The PostgreSQL runs start a server, so they are "slow": the fast subset (-m "not slow") runs SQLite.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)]
BOTH_BACKENDS = (
    "tests/kb/store/",
    "tests/kb/ingest/",
    "tests/kb/search/",
    "tests/kb/api/",
    "tests/kb/alerts/",
    "tests/kb/cli/",
    "tests/evals/",
    "tests/deploy/",
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    path = Path(str(metafunc.definition.fspath)).relative_to(ROOT).as_posix()
    if not path.startswith(BOTH_BACKENDS):
        return
    for name, scope in (("store_backend", "function"), ("example_backend", "session")):
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, BACKENDS, indirect=True, scope=scope)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL 15 server for the whole session (started on first use)."""
    bindir = bin_dir()
    if bindir is None:
        pytest.skip("PostgreSQL binaries not found (scripts/test.sh installs Debian's postgresql)")
    server = PostgresServer(bindir).start()
    yield server
    server.stop()


@pytest.fixture
def store_backend(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def example_backend(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


def place_store(settings: Settings, backend: str, request: pytest.FixtureRequest) -> Settings:
    """Point ``settings`` at a new empty store of ``backend`` (a fresh PostgreSQL database, or the
    SQLite file under its data dir)."""
    if backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        settings.store.url = server.create_database()
        settings.store.password_env = PASSWORD_ENV
    return settings


def store_toml(settings: Settings) -> str:
    """The ``[store]`` section of a config.toml naming ``settings``' store (for subprocesses)."""
    if settings.store.url:
        return f'[store]\nurl = "{settings.store.url}"\npassword_env = "{settings.store.password_env}"\n'
    return f'[store]\npath = "{settings.store_path}"\n'


def clone_store(source: Runtime, settings: Settings) -> None:
    """Copy ``source``'s store into the empty store ``settings`` name (``kb migrate``'s copy)."""
    destination = open_database(settings)
    try:
        report = copy_store(source.db, destination)
        assert report.ok, report
    finally:
        destination.dispose()


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
def settings(tmp_path: Path, store_backend: str, request: pytest.FixtureRequest) -> Settings:
    return place_store(settings_from_dict({"data": {"dir": str(tmp_path / "data")}}), store_backend, request)


@pytest.fixture
def open_db(settings: Settings) -> Iterator[Callable[[], Database]]:
    """Opens the test's store (each call a new ``Database``, as another process would)."""
    opened: list[Database] = []

    def open_() -> Database:
        opened.append(open_database(settings))
        return opened[-1]

    yield open_
    for db in opened:
        db.dispose()


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
def example_sqlite(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[Runtime]:  # type: ignore[no-untyped-def]
    """The bundled example data (Notion + Drive) ingested once per session into SQLite."""

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


@pytest.fixture(scope="session")
def example_runtime(
    example_sqlite: Runtime, example_backend: str, request: pytest.FixtureRequest
) -> Iterator[Runtime]:
    """The example data judged at EXAMPLE_NOW, on SQLite or copied (``kb migrate``'s copy, no
    re-embedding) into PostgreSQL beside the same Chroma index.

    Read-only for tests: a test that changes the store must build its own runtime.
    """
    if example_backend == "sqlite":
        yield example_sqlite
        return
    settings = place_store(example_sqlite.settings.model_copy(deep=True), example_backend, request)
    clone_store(example_sqlite, settings)
    rt = Runtime(settings, embedder=example_sqlite.embedder, clock=FixedClock(EXAMPLE_NOW))
    yield rt
    rt.close()
