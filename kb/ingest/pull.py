"""Pull one configured source (``[[sources]]``) from its API through the ingest pipeline.

The puller (``ingestors.notion_api``, ``ingestors.drive_api``) is the pipeline's reader, so a
pull runs under the same ``ingest`` lock as ``kb ingest`` (one run at a time, whatever the
source), diffs against the store the same way, and removes only when the puller's batch is
complete: a pull that could not list everything (an API error after the retries, a root that is
no longer shared) removes nothing. A puller that cannot start (no token, refused credentials)
raises ``IngestError`` naming the source before anything is read.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from kb.config import Settings, SourceConfig
from kb.ingest.pipeline import Ingester, Progress, Reader
from kb.records import IngestReport, Source
from kb.store.db import Database
from kb.store.pull_state import PullState

_PULLERS: dict[str, tuple[str, str]] = {
    "notion": ("ingestors.notion_api", "NotionPuller"),
    "drive": ("ingestors.drive_api", "DrivePuller"),
}
KIND_SOURCE: dict[str, Source] = {"notion": "notion", "drive": "gdrive"}


def puller(settings: Settings, db: Database, source: SourceConfig, **options: Any) -> Reader:
    """The reader for ``source`` (``options`` go to the puller, e.g. ``sleep`` in tests)."""
    module, cls = _PULLERS[source.kind]
    factory = getattr(importlib.import_module(module), cls)
    return factory(settings, source, PullState(db, source.name), **options)  # type: ignore[no-any-return]


def pull(ingester: Ingester, name: str, progress: Progress | None = None, **options: Any) -> IngestReport:
    """Pull the source named ``name`` now through ``ingester``'s pipeline; the report's
    ``input`` names the source."""
    source = ingester.settings.source(name)

    def factory(settings: Settings) -> Reader:
        return puller(settings, ingester.rt.db, source, **options)

    kind = KIND_SOURCE[source.kind]
    with_puller = Ingester(ingester.rt, readers={kind: factory})
    return with_puller.ingest(kind, Path(f"source '{name}'"), progress=progress)
