"""AuditQueue and the recorder over it: entries leave the caller's thread at once, are written
in one transaction per batch, in order, never dropped (a failed write keeps them, close writes
what is left), and a recorder without a queue writes each entry before the call returns."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kb.clock import FixedClock
from kb.records import Principal
from kb.store.audit import AuditEntry, AuditLog, AuditRecorder
from kb.store.audit_queue import BATCH, AuditQueue
from kb.store.db import Database

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
ALICE = Principal(user="alice@acme.com")


def _entry(i: int) -> AuditEntry:
    return AuditEntry(at=NOW, user="alice@acme.com", action="search", query=f"q{i}", doc_ids=[f"d{i % 3}"])


def _log(tmp_path: Path) -> AuditLog:
    return AuditLog(Database(tmp_path / "kb.sqlite"))


def _queries(log: AuditLog) -> list[str]:
    return [e.query for e in reversed(log.entries(limit=10_000))]


def test_entries_wait_for_the_writer_and_go_in_one_transaction(tmp_path: Path) -> None:
    log = _log(tmp_path)
    queue = AuditQueue(log.record_many, flush_seconds=3600)
    for i in range(5):
        queue.put(_entry(i))
    assert (queue.pending, queue.transactions, _queries(log)) == (5, 0, [])
    assert queue.flush() == 5
    assert (queue.pending, queue.transactions) == (0, 1)
    assert _queries(log) == [f"q{i}" for i in range(5)]
    assert log.usage_counts(NOW) == {"d0": 2, "d1": 2, "d2": 1}
    queue.close()


def test_a_full_batch_is_written_by_the_thread_without_waiting_for_the_timer(tmp_path: Path) -> None:
    log = _log(tmp_path)
    queue = AuditQueue(log.record_many, flush_seconds=3600)
    for i in range(BATCH):
        queue.put(_entry(i))
    deadline = time.monotonic() + 10
    while queue.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert queue.pending == 0 and len(_queries(log)) == BATCH
    queue.close()


def test_the_timer_writes_what_is_queued(tmp_path: Path) -> None:
    log = _log(tmp_path)
    queue = AuditQueue(log.record_many, flush_seconds=0.05)
    queue.put(_entry(1))
    deadline = time.monotonic() + 10
    while not _queries(log) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _queries(log) == ["q1"]
    queue.close()


def test_a_failed_write_keeps_the_entries_in_order_for_the_next_attempt(tmp_path: Path) -> None:
    log = _log(tmp_path)
    fail = threading.Event()
    fail.set()

    def write(entries: list[AuditEntry]) -> None:
        if fail.is_set():
            raise OSError("disk full")
        log.record_many(entries)

    queue = AuditQueue(write, flush_seconds=3600)
    for i in range(3):
        queue.put(_entry(i))
    with pytest.raises(OSError, match="disk full"):
        queue.flush()
    queue.put(_entry(3))
    assert queue.pending == 4
    fail.clear()
    assert queue.close() == 4
    assert _queries(log) == ["q0", "q1", "q2", "q3"]


def test_close_writes_the_queue_and_a_later_entry_starts_a_new_writer(tmp_path: Path) -> None:
    log = _log(tmp_path)
    queue = AuditQueue(log.record_many, flush_seconds=3600)
    queue.put(_entry(0))
    assert queue.close() == 1
    queue.put(_entry(1))  # a straggling request after shutdown
    assert queue.pending == 1
    assert queue.close() == 1
    assert _queries(log) == ["q0", "q1"]


def test_the_recorder_queues_with_flush_seconds_and_writes_at_once_without(tmp_path: Path) -> None:
    log = _log(tmp_path)
    queued = AuditRecorder(log, FixedClock(NOW), 90, flush_seconds=3600)
    with queued.call(ALICE, "search", "queued") as call:
        call.doc_ids = ["d1"]
    assert _queries(log) == []
    direct = AuditRecorder(log, FixedClock(NOW), 90)
    with direct.call(ALICE, "search", "direct"):
        pass
    assert _queries(log) == ["direct"]
    assert queued.close() == 1
    assert _queries(log) == ["direct", "queued"]


def test_entries_being_written_still_count_as_pending(tmp_path: Path) -> None:
    log = _log(tmp_path)
    started, release = threading.Event(), threading.Event()

    def slow_write(entries: list[AuditEntry]) -> None:
        started.set()
        release.wait(10)
        log.record_many(entries)

    queue = AuditQueue(slow_write, flush_seconds=3600)
    queue.put(_entry(1))
    writer = threading.Thread(target=queue.flush)
    writer.start()
    assert started.wait(10)
    assert (queue.pending, _queries(log)) == (1, [])
    release.set()
    writer.join(10)
    assert (queue.pending, _queries(log)) == (0, ["q1"])
    queue.close()
