"""Group commit of the gateway's access records into the audit chain.

No answer is sent before its access record is committed. Committing each record alone would cost one
disk flush per call; instead each process has one writer thread that takes every record waiting in its
queue, appends the batch to the chain in one transaction on its own database connection, commits, and
only then wakes the request threads that wait on those records. Batches form on their own when several
calls are in flight (granian runs WSGI workers with several threads): while one batch commits, the next
one gathers.

- ``log(entry)`` queues a record and blocks until it is committed (``True``) or the write failed or
  took longer than ``SANBU_GATEWAY_LOG_TIMEOUT`` seconds (``False``: the gateway then answers 503).
- The thread starts lazily on first use and is keyed by PID, so a forked worker starts its own and
  never shares a connection or a lock with its parent.
- ``set_sync(True)`` writes each record in the calling thread instead (tests inside pytest-django's
  per-test transaction, where another connection cannot see the test's data).
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from sanbu.core import audit
from sanbu.core.actor import Actor

from . import usage

log_ = logging.getLogger(__name__)

MAX_BATCH = 500


@dataclass
class Entry:
    actor: Actor
    change: audit.Change
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False


def write_batch(entries: list[Entry]) -> None:
    """Append the entries to the chain in one transaction: one head lock, one multi-row insert, one
    commit (one flush). Each record keeps its own actor (app) and request id."""
    with transaction.atomic():
        audit.append_batch((entry.actor, entry.change) for entry in entries)
        usage.count_calls(_usage_rows(entries))


@contextmanager
def _writers_take_turns() -> Iterator[None]:
    """On SQLite, the writer threads of all worker processes queue on an ``flock`` before they begin.

    SQLite has one write lock per file and a writer that finds it taken sleeps in steps of several
    milliseconds (its busy handler) before it tries again; two processes' writers taking turns that way
    spent most of their time asleep. ``flock`` hands the turn over in the kernel the moment it is free.
    PostgreSQL queues waiters on the chain head's row lock itself.
    """
    if connection.vendor != "sqlite":
        yield
        return
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        yield
        return
    fd = os.open(name + ".writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _usage_rows(entries: list[Entry]) -> list[usage.CallRow]:
    """The calls of the batch that reached a known resource with an authenticated app (usage counters)."""
    today = timezone.localdate()
    rows: list[usage.CallRow] = []
    for entry in entries:
        after = entry.change.after or {}
        app, resource = after.get("app"), after.get("resource")
        if isinstance(app, int) and isinstance(resource, int):
            rows.append((resource, app, today, after.get("status") == 200, int(after.get("rows") or 0)))
    return rows


class _Writer:
    def __init__(self) -> None:
        self.queue: queue.Queue[Entry | None] = queue.Queue()
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self._run, name="sanbu-accesslog", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            first = self.queue.get()
            if first is None:  # stop(): leave no connection open behind
                connections.close_all()
                return
            batch = [first]
            ok = False
            try:
                # Wait for this process's turn first, then take everything that arrived meanwhile: the
                # longer the wait, the bigger the batch, so the writers' turns pay for more records.
                with _writers_take_turns():
                    while len(batch) < MAX_BATCH:
                        try:
                            entry = self.queue.get_nowait()
                        except queue.Empty:
                            break
                        if entry is None:  # stop() while a batch gathers: finish it, then stop
                            self.queue.put(None)
                            break
                        batch.append(entry)
                    for attempt in range(2):
                        try:
                            write_batch(batch)
                            ok = True
                            break
                        except Exception:  # a broken connection: drop it, try once more on a new one
                            log_.exception(
                                "access log batch of %d failed (attempt %d)", len(batch), attempt + 1
                            )
                            connection.close()
            except OSError:  # the turn lock file cannot be opened: the batch fails, the calls get 503
                log_.exception("access log writer lock unavailable")
            for entry in batch:
                entry.ok = ok
                entry.done.set()


_lock = threading.Lock()
_writer: _Writer | None = None
_sync = False


def set_sync(value: bool) -> None:
    global _sync
    _sync = value


def _get_writer() -> _Writer:
    global _writer
    w = _writer
    if w is not None and w.pid == os.getpid() and w.thread.is_alive():
        return w
    with _lock:
        if _writer is None or _writer.pid != os.getpid() or not _writer.thread.is_alive():
            _writer = _Writer()
        return _writer


def stop() -> None:
    """End this process's writer thread once the records already queued are written (tests, shutdown)."""
    global _writer
    with _lock:
        w, _writer = _writer, None
    if w is not None and w.pid == os.getpid() and w.thread.is_alive():
        w.queue.put(None)
        w.thread.join(10)


def timeout() -> float:
    return float(getattr(settings, "SANBU_GATEWAY_LOG_TIMEOUT", 5.0))


def log(actor: Actor, change: audit.Change) -> bool:
    """Commit the access record; True once it is durable, False if it could not be written in time."""
    entry = Entry(actor=actor, change=change)
    if _sync:
        try:
            write_batch([entry])
        except Exception:
            log_.exception("access log write failed")
            return False
        return True
    _get_writer().queue.put(entry)
    return entry.done.wait(timeout()) and entry.ok
