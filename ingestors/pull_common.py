"""What the API pullers share: a request-rate limit, retries with backoff, and the error a
source raises when it cannot be read at all.

Every API call goes through ``Caller.call``: it waits for its turn (``requests_per_second``),
then retries a 429 after the server's ``Retry-After`` and a 5xx or a dropped connection after an
exponential backoff (``backoff_s``, doubled per attempt, capped at 60 s), ``max_retries`` times.
What is left after that is the caller's to judge: a puller that cannot list everything marks its
batch incomplete so the pipeline removes nothing; credentials the API refuses raise
``source_error`` before anything is read, naming the source.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from kb.config import SourceConfig
from kb.errors import IngestError

T = TypeVar("T")
MAX_WAIT_S = 60.0


@dataclass(frozen=True)
class Verdict:
    """How ``Caller`` treats one failure: retry after ``delay`` seconds (None: backoff), or not."""

    retry: bool
    delay: float | None = None


class Throttle:
    """At most ``rate`` calls per second, spaced evenly (thread-safe)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, sleep: Callable[[float], None] = time.sleep) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            sleep(start - now)


class Caller:
    """Rate-limited calls with retries; ``judge`` maps an exception to a ``Verdict``."""

    def __init__(
        self,
        source: SourceConfig,
        judge: Callable[[Exception], Verdict],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.source = source
        self.throttle = Throttle(source.requests_per_second)
        self.judge = judge
        self.sleep = sleep
        self.calls = 0
        self.retries = 0

    def call(self, fn: Callable[[], T]) -> T:
        attempt = 0
        while True:
            self.throttle.wait(self.sleep)
            self.calls += 1
            try:
                return fn()
            except Exception as err:
                verdict = self.judge(err)
                if not verdict.retry or attempt >= self.source.max_retries:
                    raise
                delay = verdict.delay
                if delay is None:
                    delay = self.source.backoff_s * (2**attempt)
                self.sleep(min(MAX_WAIT_S, max(0.0, delay)))
                attempt += 1
                self.retries += 1


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds); None when absent or a date."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def source_error(source: SourceConfig, message: str) -> IngestError:
    """An error that stops a pull before anything is stored or removed, naming the source."""
    return IngestError(f"{message}; nothing was ingested or removed", subject=f"source '{source.name}'")
