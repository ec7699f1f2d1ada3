"""Scheduled pulls: one job per [[sources]] entry with a cron, bad crons named by key, one
runner at a time (the ingest lock), and a fired job that really pulls."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler

from kb.alerts.scheduler import cron_trigger, start_scheduler, stop_scheduler
from kb.clock import FixedClock
from kb.config import Settings, settings_from_dict
from kb.errors import ConfigError
from kb.ingest.pull import add_pull_jobs, run_scheduled
from kb.runtime import Runtime
from kb.store.locks import Lease
from tests.conftest import EXAMPLE_NOW
from tests.ingestors.notion_server import NotionServer, NotionState
from tests.ingestors.notion_workspace import ENG, hexid, workspace

TOKEN = "secret_test_token"


@pytest.fixture
def server() -> Iterator[NotionServer]:
    with NotionServer(workspace(NotionState(TOKEN))) as srv:
        yield srv


def make_settings(tmp_path: Path, url: str, **wiki: object) -> Settings:
    return settings_from_dict(
        {
            "data": {"dir": str(tmp_path / "data")},
            "alerts": {"enabled": True},
            "sources": [
                {
                    "name": "wiki",
                    "kind": "notion",
                    "api_url": url,
                    "token_env": "KB_TEST_NOTION_TOKEN",
                    "roots": [hexid(ENG)],
                    "requests_per_second": 100,
                    "cron": "*/15 * * * 1-5",
                    "timezone": "Europe/Berlin",
                    **wiki,
                },
                {"name": "shared", "kind": "drive", "credentials_file": "sa.json", "drives": ["0AD"]},
            ],
        }
    )


def test_one_job_per_source_with_a_cron(tmp_path: Path) -> None:
    rt = Runtime(make_settings(tmp_path, "http://127.0.0.1:9"), clock=FixedClock(EXAMPLE_NOW))
    scheduler = BackgroundScheduler()
    ids = add_pull_jobs(scheduler, rt.ingester(), cron_trigger)
    assert ids == ["freshkb-pull-wiki"]  # 'shared' has no cron: pulled by hand only
    job = scheduler.get_job("freshkb-pull-wiki")
    assert job.max_instances == 1 and job.args[1] == "wiki"
    assert job.trigger.timezone == ZoneInfo("Europe/Berlin")
    after = (EXAMPLE_NOW + timedelta(minutes=1)).astimezone(ZoneInfo("Europe/Berlin"))  # Friday 13:01
    nxt = job.trigger.get_next_fire_time(None, after)
    assert nxt.astimezone(UTC) == datetime(2026, 11, 20, 12, 15, tzinfo=UTC)
    rt.close()


def test_bad_cron_of_a_source_is_a_config_error_naming_it(tmp_path: Path) -> None:
    rt = Runtime(make_settings(tmp_path, "http://127.0.0.1:9", cron="every hour"))
    with pytest.raises(ConfigError) as err:
        add_pull_jobs(BackgroundScheduler(), rt.ingester(), cron_trigger)
    assert err.value.subject == "sources.wiki.cron"
    rt.close()


def test_a_pull_while_another_run_holds_the_lock_is_skipped_and_logged(
    tmp_path: Path, server: NotionServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_TEST_NOTION_TOKEN", TOKEN)
    rt = Runtime(make_settings(tmp_path, server.url))
    other = Lease(rt.db, "ingest", stale_after=timedelta(seconds=120))
    assert other.acquire() is None
    try:
        with caplog.at_level(logging.ERROR, logger="kb.ingest.pull"):
            assert run_scheduled(rt.ingester(), "wiki") is None
    finally:
        other.release()
        rt.close()
    assert "pull of source 'wiki' failed" in caplog.text and "another ingest is running" in caplog.text
    assert server.state.log == []  # nothing was asked of the API


@pytest.mark.slow
def test_the_api_scheduler_runs_the_pull(
    tmp_path: Path, server: NotionServer, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KB_TEST_NOTION_TOKEN", TOKEN)
    rt = Runtime(make_settings(tmp_path, server.url), embedder=embedder, clock=FixedClock(EXAMPLE_NOW))
    scheduler = start_scheduler(
        rt.settings.alerts, rt.alert_runner, lambda s: add_pull_jobs(s, rt.ingester(), cron_trigger)
    )
    assert scheduler is not None
    done = threading.Event()
    outcome: list[JobExecutionEvent] = []

    def listener(event: JobExecutionEvent) -> None:
        if event.job_id == "freshkb-pull-wiki":
            outcome.append(event)
            done.set()

    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        scheduler.modify_job("freshkb-pull-wiki", next_run_time=datetime.now(UTC))
        assert done.wait(timeout=120)
    finally:
        stop_scheduler(scheduler)
    report = outcome[0].retval
    assert outcome[0].exception is None and report is not None and len(report.added) == 4
    assert rt.documents.count() == 4
    rt.close()
