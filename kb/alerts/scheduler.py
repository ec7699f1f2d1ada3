"""Run the alert job on ``alerts.cron`` (APScheduler): inside the API service or as ``kb scheduler``,
beside any jobs the entry point adds (the source pulls of ``[[sources]]``, ``kb.ingest.pull``).

Several processes may run a scheduler against the same store: the runner's lease lock lets one
of them send and the others report ``locked``, and the per-period idempotency key keeps a late
one from re-sending.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from kb.alerts.runner import AlertRunner, RunReport
from kb.config import AlertSettings
from kb.errors import ConfigError, KBError

log = logging.getLogger(__name__)

JOB_ID = "freshkb-alerts"


_DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def _day_number(token: str) -> int:
    token = token.strip().lower()
    if token[:3] in _DAY_NAMES:
        return _DAY_NAMES.index(token[:3])
    value = int(token)
    if not 0 <= value <= 7:
        raise ValueError(f"day of week {value} is not in 0-7")
    return value % 7


def crontab_weekdays(field: str) -> str:
    """The crontab day-of-week field (0 or 7 = Sunday) as APScheduler day names.

    APScheduler 3.x numbers weekdays from Monday = 0, so ``from_crontab("0 9 * * 1")`` would fire
    on Tuesdays; names mean the same thing in both.
    """
    if field == "*":
        return field
    days: set[int] = set()
    for term in field.split(","):
        span, _, step_text = term.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in '{term}'")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            a, b = span.split("-", 1)
            first, last = _day_number(a), int(b) if b.strip() == "7" else _day_number(b)
        else:
            first = last = _day_number(span)
        if last < first:
            raise ValueError(f"range '{span}' runs backwards")
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def cron_trigger(cron: str, timezone: str, key: str) -> CronTrigger:
    """A standard crontab expression in ``timezone``; a bad value is a ``ConfigError`` naming
    ``<key>.cron`` or ``<key>.timezone``."""
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ConfigError(f"unknown time zone '{timezone}'", subject=f"{key}.timezone") from err
    try:
        fields = cron.split()
        if len(fields) != 5:
            raise ValueError(f"expected 5 fields, got {len(fields)}")
        fields[4] = crontab_weekdays(fields[4])
        return CronTrigger.from_crontab(" ".join(fields), timezone=tz)
    except ValueError as err:
        raise ConfigError(f"invalid cron expression '{cron}': {err}", subject=f"{key}.cron") from err


def make_trigger(settings: AlertSettings) -> CronTrigger:
    """``alerts.cron`` (standard crontab) in ``alerts.timezone``; a bad value is a ``ConfigError``."""
    return cron_trigger(settings.cron, settings.timezone, "alerts")


RunnerFactory = Callable[[], AlertRunner]
"""Builds the runner for one scheduled pass (``kb.runtime.Runtime.alert_runner``)."""


def run_alerts(runner: RunnerFactory) -> RunReport | None:
    """The scheduled job: one runner pass; errors are logged so the scheduler keeps going."""
    try:
        report = runner().run()
    except KBError as err:
        log.error("alert run failed: %s", err)
        return None
    log.info(
        "alert run %s: %d sent, %d failed, %d skipped%s",
        report.period,
        report.count("sent"),
        report.count("failed"),
        report.count("skipped"),
        " (locked)" if report.locked else "",
    )
    return report


def add_alert_job(scheduler: BaseScheduler, settings: AlertSettings, runner: RunnerFactory) -> None:
    scheduler.add_job(
        run_alerts,
        make_trigger(settings),
        args=[runner],
        id=JOB_ID,
        name="FreshKB staleness digests",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )


def build_scheduler(settings: AlertSettings, runner: RunnerFactory) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=make_trigger(settings).timezone)
    add_alert_job(scheduler, settings, runner)
    return scheduler


AddJobs = Callable[[BaseScheduler], object]
"""Adds more jobs to a scheduler (the entry points pass the source pulls of ``kb.ingest.pull``)."""


def start_scheduler(
    settings: AlertSettings, runner: RunnerFactory, more: AddJobs | None = None
) -> BackgroundScheduler | None:
    """For the API lifespan: a started background scheduler, or None when alerts are disabled."""
    if not settings.enabled:
        return None
    scheduler = build_scheduler(settings, runner)
    if more is not None:
        more(scheduler)
    scheduler.start()
    log.info("alert scheduler started: '%s' %s", settings.cron, settings.timezone)
    return scheduler


def stop_scheduler(scheduler: BaseScheduler | None) -> None:
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)


def run_foreground(settings: AlertSettings, runner: RunnerFactory, more: AddJobs | None = None) -> None:
    """``kb scheduler``: block and run the jobs on their crons until interrupted."""
    scheduler = BlockingScheduler(timezone=make_trigger(settings).timezone)
    add_alert_job(scheduler, settings, runner)
    if more is not None:
        more(scheduler)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("alert scheduler stopped")
