"""Writing the audit log from the API: one ``AuditEntry`` per search or ask, off the request path.

A request only appends its entry to a queue (microseconds); a writer thread commits what is
queued in one transaction every ``audit.flush_seconds`` (0.5 s) or as soon as ``BATCH`` entries
wait. Under
load that is one SQLite write transaction for dozens of requests instead of one each (each
costs an fsync-free WAL append plus the writer lock, ~1-3 ms on the request's thread before).

Entries are never dropped: a failed write keeps them queued for the next attempt, ``close()``
(the app's shutdown, which uvicorn runs on SIGTERM and Ctrl-C) stops the thread and writes what
is left, and ``flush()`` writes synchronously for a caller that must read its own entries. Only
a process killed without shutdown (SIGKILL, power loss) loses what was queued: at most
``audit.flush_seconds`` of requests. The retention purge runs at startup and then every
``PURGE_EVERY`` written entries (one indexed DELETE).
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from time import perf_counter

from kb.errors import KBError
from kb.records import Principal
from kb.runtime import Runtime
from kb.store.audit import AuditEntry, AuditLog

log = logging.getLogger(__name__)

PURGE_EVERY = 500
BATCH = 64


@dataclass
class AuditedCall:
    """Filled in by the route while the call runs: the document ids it returned."""

    doc_ids: list[str] = field(default_factory=list)


class AuditRecorder:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._log = AuditLog(runtime.db)
        self._flush_seconds = runtime.settings.audit.flush_seconds
        self._pending: list[AuditEntry] = []
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()  # one flush at a time: entries stay in order
        self._closed = False
        self._thread: threading.Thread | None = None
        self._written = 0
        self.transactions = 0  # write transactions made (tests and the benchmark count them)

    def purge(self) -> int:
        days = self._runtime.settings.audit.retention_days
        return self._log.purge(self._runtime.clock.now() - timedelta(days=days))

    @contextmanager
    def call(self, principal: Principal, action: str, query: str) -> Iterator[AuditedCall]:
        """Audit the enclosed work, failures included (with their HTTP status)."""
        started = perf_counter()
        call = AuditedCall()
        status = 200
        try:
            yield call
        except KBError as err:
            status = err.http_status
            raise
        except Exception:
            status = 500
            raise
        finally:
            self._record(
                AuditEntry(
                    at=self._runtime.clock.now(),
                    user=principal.user,
                    action=action,
                    query=query,
                    doc_ids=call.doc_ids,
                    latency_ms=round((perf_counter() - started) * 1000, 1),
                    status=status,
                )
            )

    def _record(self, entry: AuditEntry) -> None:
        with self._cond:
            if self._closed:  # after shutdown (a straggling request): write it at once
                self._pending.append(entry)
            else:
                self._pending.append(entry)
                self._start()
                if len(self._pending) >= BATCH:
                    self._cond.notify()
                return
        self.flush()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kb-audit-writer", daemon=True)
            self._thread.start()
            atexit.register(self.close)  # an app run without its lifespan still writes its queue

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._closed and len(self._pending) < BATCH:
                    self._cond.wait(self._flush_seconds)
                if self._closed:
                    return
            try:
                self.flush()
            except Exception:
                log.exception("audit write failed; %d entries kept for the next attempt", len(self._pending))

    def flush(self) -> int:
        """Write every queued entry now (one transaction); returns how many."""
        with self._write_lock:
            with self._cond:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                self._log.record_many(batch)
            except BaseException:
                with self._cond:
                    self._pending[:0] = batch  # back in front, in order
                raise
            self.transactions += 1
            due = (self._written + len(batch)) // PURGE_EVERY > self._written // PURGE_EVERY
            self._written += len(batch)
        if due:
            self.purge()
        return len(batch)

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._pending)

    def close(self) -> int:
        """Stop the writer and write what is queued (the app's shutdown); returns entries written."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=30)
        return self.flush()
