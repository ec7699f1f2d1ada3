"""Writing the audit log from the API: one ``AuditEntry`` per search or ask, and the retention
purge, run at startup and then every ``PURGE_EVERY`` writes (cheap: one indexed DELETE)."""

from __future__ import annotations

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

PURGE_EVERY = 500


@dataclass
class AuditedCall:
    """Filled in by the route while the call runs: the document ids it returned."""

    doc_ids: list[str] = field(default_factory=list)


class AuditRecorder:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._log = AuditLog(runtime.db)
        self._writes = 0
        self._lock = threading.Lock()

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
        self._log.record(entry)
        with self._lock:
            self._writes += 1
            due = self._writes % PURGE_EVERY == 0
        if due:
            self.purge()
