"""Run the alert job on ``alerts.cron`` (APScheduler): inside the API service or as ``kb scheduler``.

Several processes may run a scheduler against the same store: the runner's lease lock lets one
of them send and the others report ``locked``, and the per-period idempotency key keeps a late
one from re-sending.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from kb.alerts.runner import AlertRunner, RunReport
from kb.config import AlertSettings
from kb.errors import ConfigError, KBError
from kb.runtime import Runtime

log = logging.getLogger(__name__)

JOB_ID = "freshkb-alerts"


def make_trigger(settings: AlertSettings) -> CronTrigger:
    """``alerts.cron`` in ``alerts.timezone``; a bad value is a ``ConfigError`` naming the key."""
    try:
        tz = ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ConfigError(f"unknown time zone '{settings.timezone}'",
                          subject="alerts.timezone") from err
    try:
        return CronTrigger.from_crontab(settings.cron, timezone=tz)
    except ValueError as err:
        raise ConfigError(f"invalid cron expression '{settings.cron}': {err}",
                          subject="alerts.cron") from err


def run_alerts(runtime: Runtime) -> RunReport | None:
    """The scheduled job: one runner pass; errors are logged so the scheduler keeps going."""
    try:
        report = AlertRunner(runtime).run()
    except KBError as err:
        log.error("alert run failed: %s", err)
        return None
    log.info("alert run %s: %d sent, %d failed, %d skipped%s", report.period, report.count("sent"),
             report.count("failed"), report.count("skipped"), " (locked)" if report.locked else "")
    return report


def add_alert_job(scheduler: BaseScheduler, runtime: Runtime) -> None:
    scheduler.add_job(run_alerts, make_trigger(runtime.settings.alerts), args=[runtime], id=JOB_ID,
                      name="FreshKB staleness digests", replace_existing=True, coalesce=True,
                      max_instances=1, misfire_grace_time=3600)


def build_scheduler(runtime: Runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=make_trigger(runtime.settings.alerts).timezone)
    add_alert_job(scheduler, runtime)
    return scheduler


def start_scheduler(runtime: Runtime) -> BackgroundScheduler | None:
    """For the API lifespan: a started background scheduler, or None when alerts are disabled."""
    if not runtime.settings.alerts.enabled:
        return None
    scheduler = build_scheduler(runtime)
    scheduler.start()
    log.info("alert scheduler started: '%s' %s", runtime.settings.alerts.cron,
             runtime.settings.alerts.timezone)
    return scheduler


def stop_scheduler(scheduler: BaseScheduler | None) -> None:
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)


def run_foreground(runtime: Runtime) -> None:
    """``kb scheduler``: block and run the job on its cron until interrupted."""
    scheduler = BlockingScheduler(timezone=make_trigger(runtime.settings.alerts).timezone)
    add_alert_job(scheduler, runtime)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("alert scheduler stopped")
