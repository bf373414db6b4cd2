"""Per-app rate limit of the gateway: a fixed-window counter in the database, leased to each worker
process in blocks, so it holds across every worker process and server (EX-6) at one write per block.

The shared counter (``exchange_ratewindow``, one row per app and window) counts **calls leased**, not
calls made. A process that has no calls left for an app in the current window leases a block of ``k``
in one atomic statement (SQLite ≥ 3.35 and PostgreSQL)::

    INSERT INTO exchange_ratewindow (app_id, window_start, n) VALUES (%s, %s, k)
    ON CONFLICT (app_id, window_start) DO UPDATE SET n = exchange_ratewindow.n + k RETURNING n

With ``n`` returned, the block is ``(n - k, n]``; the process may serve the part of it at or below the
limit, ``max(0, min(k, limit - (n - k)))`` calls, from memory. Every unit is handed out once across all
processes, so the sum of allowed calls in a window never exceeds the limit.

The block size shrinks as the window fills: ``k = clamp((limit - n_seen) // LEASE_DIVISOR, 1,
MAX_LEASE)``, where ``n_seen`` is the count this process last saw. Far from the limit a block is large
(one write per up to ``MAX_LEASE`` calls); near it, blocks are single calls, so the units left unused in
other processes when a window ends, which are the only way a call can be refused below the limit, stay few.

Once a process sees the window exhausted it refuses that app's calls from memory until the window
ends: refusals cost no write. The first lease of a new window deletes the app's windows older than an
hour, so the table stays small.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from django.db import connection

from .models import RateWindow

WINDOW_SECONDS = 60
KEEP_SECONDS = 3600
MAX_LEASE = 256
LEASE_DIVISOR = 8


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    count: int  # the window's shared count (units leased by all processes) as this process last saw it
    limit: int
    retry_after: int  # seconds until the window ends (0 when allowed)


@dataclass
class _Lease:
    window_start: int
    left: int = 0  # calls this process may still serve in the window
    seen: int = 0  # the shared count returned by the last lease
    exhausted: bool = False  # the shared count reached the limit: refuse until the window ends


_lock = threading.Lock()
_leases: dict[int, _Lease] = {}


def reset() -> None:
    """Forget every lease of this process (tests; a forked process starts with its parent's, which is
    harmless: they only make it lease sooner)."""
    with _lock:
        _leases.clear()


def lease_size(limit: int, seen: int) -> int:
    return max(1, min(MAX_LEASE, (limit - seen) // LEASE_DIVISOR))


def _lease(app_id: int, start: int, k: int) -> int:
    table = connection.ops.quote_name(RateWindow._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (app_id, window_start, n) VALUES (%s, %s, %s) "
            f"ON CONFLICT (app_id, window_start) DO UPDATE SET n = {table}.n + %s RETURNING n",
            [app_id, start, k, k],
        )
        row = cursor.fetchone()
    n = int(row[0]) if row else k
    if n == k:  # this process opened the window: prune the app's old ones
        RateWindow.objects.filter(app_id=app_id, window_start__lt=start - KEEP_SECONDS).delete()
    return n


def hit(app_id: int, limit: int, *, now: float | None = None, window: int = WINDOW_SECONDS) -> RateDecision:
    """Take one call of ``app_id`` in the current window and say whether it is within ``limit``."""
    now = time.time() if now is None else now
    start = int(now // window) * window
    with _lock:  # one lease at a time per process: the threads waiting need the block being leased
        lease = _leases.get(app_id)
        if lease is None or lease.window_start != start:
            if lease is not None and lease.window_start > start:  # a clock step back: start afresh
                lease = None
            lease = _Lease(window_start=start)
            _leases[app_id] = lease
        if lease.left <= 0 and not lease.exhausted:
            k = lease_size(limit, lease.seen)
            n = _lease(app_id, start, k)
            lease.seen = n
            lease.left = max(0, min(k, limit - (n - k)))
            lease.exhausted = n >= limit
        if lease.left > 0:
            lease.left -= 1
            return RateDecision(True, lease.seen, limit, 0)
    return RateDecision(False, lease.seen, limit, max(1, math.ceil(start + window - now)))
