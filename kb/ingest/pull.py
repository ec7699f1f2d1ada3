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
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger

from kb.config import Settings, SourceConfig
from kb.errors import KBError
from kb.ingest.pipeline import Ingester, Progress, Reader
from kb.records import IngestReport, Source
from kb.store.db import Database
from kb.store.pull_state import PullState

log = logging.getLogger(__name__)
TriggerFactory = Callable[[str, str, str], BaseTrigger]
"""(cron, timezone, config key) -> trigger; the entry points pass ``kb.alerts.scheduler.cron_trigger``."""

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
        return puller(settings, ingester.db, source, **options)

    kind = KIND_SOURCE[source.kind]
    with_puller = ingester.with_readers({kind: factory})
    return with_puller.ingest(kind, Path(f"source '{name}'"), progress=progress)


def run_scheduled(ingester: Ingester, name: str) -> IngestReport | None:
    """The scheduled job of one source: a pull whose errors are logged so the scheduler goes on.

    A pull while another ingest or pull holds the ingest lock (another process's scheduler, a
    manual ``kb pull``) fails at once and is logged: one runner per source, and per store, at a time.
    """
    try:
        report = pull(ingester, name)
    except KBError as err:
        log.error("pull of source '%s' failed: %s", name, err)
        return None
    log.info(
        "pull of source '%s': %d added, %d updated, %d removed, %d issues%s",
        name,
        len(report.added),
        len(report.updated),
        len(report.removed),
        len(report.failed),
        " (removals skipped: incomplete listing)" if report.removal_skipped else "",
    )
    return report


def add_pull_jobs(scheduler: BaseScheduler, ingester: Ingester, trigger: TriggerFactory) -> list[str]:
    """One job per ``[[sources]]`` entry with a cron (at most one instance running); returns their ids."""
    ids = []
    for source in ingester.settings.sources:
        if not source.cron:
            continue
        job_id = f"freshkb-pull-{source.name}"
        scheduler.add_job(
            run_scheduled,
            trigger(source.cron, source.timezone, f"sources.{source.name}"),
            args=[ingester, source.name],
            id=job_id,
            name=f"FreshKB pull of source '{source.name}'",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
        ids.append(job_id)
    return ids
