"""``AuditQueue``: audit entries written off the request path, in batches, never dropped.

A request only appends its entry to a list (microseconds); a writer thread commits what is
queued in one transaction every ``audit.flush_seconds`` (0.5 s) or as soon as ``BATCH`` entries
wait. Under load that is one SQLite write transaction for dozens of requests instead of one each
(each took the writer lock and a WAL append, ~1-3 ms, on the request's thread before).

Entries are never dropped: a failed write puts them back in front for the next attempt;
``close()`` (the API's lifespan shutdown, which ``kb serve`` runs on SIGTERM and Ctrl-C, and
``Runtime.close``) stops the thread and writes what is left; ``flush()`` writes synchronously for
a caller that must read its own entries. A later ``put`` after ``close`` starts a new writer.
Only a process killed without shutdown (SIGKILL, power loss) loses what was queued: at most
``audit.flush_seconds`` of requests.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

BATCH = 64
Entry = TypeVar("Entry")


class AuditQueue(Generic[Entry]):
    def __init__(self, write: Callable[[list[Entry]], None], flush_seconds: float) -> None:
        """``write`` commits a batch in one transaction (``AuditLog.record_many``)."""
        self._write = write
        self._flush_seconds = flush_seconds
        self._pending: list[Entry] = []
        self._in_flight = 0  # entries taken by a flush and not yet committed
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()  # one flush at a time: entries stay in order
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._atexit = False
        self.transactions = 0  # write transactions made (tests and the benchmark count them)

    def put(self, entry: Entry) -> None:
        with self._cond:
            self._pending.append(entry)
            if self._thread is None:
                self._start()
            elif len(self._pending) >= BATCH:
                self._cond.notify()

    def _start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="kb-audit-writer", daemon=True)
        self._thread.start()
        if not self._atexit:  # a process that never closes its runtime still writes its queue
            atexit.register(self.close)
            self._atexit = True

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._stopping and len(self._pending) < BATCH:
                    self._cond.wait(self._flush_seconds)
                if self._stopping:
                    return
            try:
                self.flush()
            except Exception:
                log.exception("audit write failed; %d entries kept for the next attempt", self.pending)

    def flush(self) -> int:
        """Write every queued entry now (one transaction); returns how many."""
        with self._write_lock:
            with self._cond:
                batch, self._pending = self._pending, []
                self._in_flight = len(batch)
            if not batch:
                return 0
            try:
                self._write(batch)
            except BaseException:
                with self._cond:
                    self._pending[:0] = batch  # back in front, in order
                    self._in_flight = 0
                raise
            with self._cond:
                self._in_flight = 0
            self.transactions += 1
            return len(batch)

    @property
    def pending(self) -> int:
        """Entries not yet committed: queued, or taken by a write still under way."""
        with self._cond:
            return len(self._pending) + self._in_flight

    def close(self) -> int:
        """Stop the writer thread and write what is queued; returns the entries written."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        return self.flush()
