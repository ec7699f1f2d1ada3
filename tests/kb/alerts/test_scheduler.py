"""The scheduler registers the cron job in the configured time zone and its job runs the runner."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.triggers.cron import CronTrigger

from kb.alerts.scheduler import JOB_ID, build_scheduler, make_trigger, start_scheduler, stop_scheduler
from kb.clock import FixedClock
from kb.errors import ConfigError
from kb.runtime import Runtime
from kb.store.alerts import AlertHistory
from tests.conftest import EXAMPLE_NOW
from tests.kb.alerts.conftest import Mailbox, company_settings


def test_cron_job_is_registered_with_the_configured_trigger(tmp_path: Path) -> None:
    settings = company_settings(tmp_path / "data", cron="30 8 * * 1-5", timezone="Europe/Berlin")
    rt = Runtime(settings, clock=FixedClock(EXAMPLE_NOW))
    scheduler = build_scheduler(rt.settings.alerts, rt.alert_runner)
    job = scheduler.get_job(JOB_ID)
    assert job is not None
    assert isinstance(job.trigger, CronTrigger)
    assert job.trigger.timezone == ZoneInfo("Europe/Berlin")
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["minute"], fields["hour"], fields["day_of_week"]) == ("30", "8", "mon,tue,wed,thu,fri")
    # Friday 2026-11-20 12:00 UTC = 13:00 Berlin: next fire is Monday 08:30 Berlin (07:30 UTC)
    nxt = job.trigger.get_next_fire_time(None, EXAMPLE_NOW.astimezone(ZoneInfo("Europe/Berlin")))
    assert nxt.astimezone(UTC) == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    assert job.args == (rt.alert_runner,)
    rt.close()


@pytest.mark.parametrize(
    ("cron", "fires"),
    [
        ("0 9 * * 1", ["Mon"]),  # crontab 1 = Monday (APScheduler 3 alone would say Tuesday)
        ("0 9 * * 0", ["Sun"]),
        ("0 9 * * 7", ["Sun"]),
        ("0 9 * * 1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("0 9 * * 5-7", ["Fri", "Sat", "Sun"]),
        ("0 9 * * */2", ["Sun", "Tue", "Thu", "Sat"]),
        ("0 9 * * sat,SUN", ["Sat", "Sun"]),
        ("0 9 * * *", ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]),
    ],
)
def test_crontab_weekdays_mean_what_cron_means(tmp_path: Path, cron: str, fires: list[str]) -> None:
    trigger = make_trigger(company_settings(tmp_path, cron=cron).alerts)
    seen: set[str] = set()
    at = EXAMPLE_NOW
    for _ in range(7):
        at = trigger.get_next_fire_time(None, at)
        seen.add(at.strftime("%a"))
        at = at.replace(hour=10)
    assert seen == set(fires)


@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("alerts.cron", {"cron": "every monday"}),
        ("alerts.cron", {"cron": "0 9 * * 8"}),
        ("alerts.timezone", {"timezone": "Mars/Olympus"}),
    ],
)
def test_bad_cron_or_timezone_is_a_config_error(tmp_path: Path, key: str, values: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as err:
        make_trigger(company_settings(tmp_path, **values).alerts)
    assert err.value.subject == key


def test_disabled_alerts_start_no_scheduler(tmp_path: Path) -> None:
    rt = Runtime(company_settings(tmp_path / "data", enabled=False))
    assert start_scheduler(rt.settings.alerts, rt.alert_runner) is None
    stop_scheduler(None)


@pytest.mark.slow
def test_a_triggered_run_executes_the_runner(company: Runtime, smtp_server: tuple[Mailbox, int]) -> None:
    company.settings.alerts.enabled = True
    scheduler = start_scheduler(company.settings.alerts, company.alert_runner)
    assert scheduler is not None and scheduler.running
    done = threading.Event()
    outcome: list[JobExecutionEvent] = []

    def listener(event: JobExecutionEvent) -> None:
        outcome.append(event)
        done.set()

    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))  # fire now instead of Monday
        assert done.wait(timeout=30)
    finally:
        stop_scheduler(scheduler)
    assert outcome[0].exception is None
    report = outcome[0].retval
    assert report is not None and report.count("sent") == 5
    assert len(smtp_server[0].messages) == 3
    assert AlertHistory(company.db).digest_sent("alice@acme.test", "2026-11-20")
    assert not scheduler.running
