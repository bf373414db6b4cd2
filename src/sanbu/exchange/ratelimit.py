"""Per-app rate limit of the gateway: a fixed-window counter in the database, so it holds across every
worker process and server (EX-6).

One statement per call, atomic on both SQLite (≥ 3.35) and PostgreSQL::

    INSERT INTO exchange_ratewindow (app_id, window_start, n) VALUES (%s, %s, 1)
    ON CONFLICT (app_id, window_start) DO UPDATE SET n = exchange_ratewindow.n + 1 RETURNING n

The call is allowed when the returned count is within the app's ``rate_limit_per_minute``. Refused
calls are counted too (a client hammering past its limit stays refused until the window ends). The
first call of a new window deletes the app's windows older than an hour, so the table stays small.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.db import connection

from .models import RateWindow

WINDOW_SECONDS = 60
KEEP_SECONDS = 3600


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends (0 when allowed)


def _table() -> str:
    return connection.ops.quote_name(RateWindow._meta.db_table)


def hit(app_id: int, limit: int, *, now: float | None = None, window: int = WINDOW_SECONDS) -> RateDecision:
    """Count one call of ``app_id`` in the current window and say whether it is within ``limit``."""
    now = time.time() if now is None else now
    start = int(now // window) * window
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (app_id, window_start, n) VALUES (%s, %s, 1) "
            f"ON CONFLICT (app_id, window_start) DO UPDATE SET n = {table}.n + 1 RETURNING n",
            [app_id, start],
        )
        row = cursor.fetchone()
    count = int(row[0]) if row else 1
    if count == 1:
        RateWindow.objects.filter(app_id=app_id, window_start__lt=start - KEEP_SECONDS).delete()
    if count <= limit:
        return RateDecision(True, count, limit, 0)
    return RateDecision(False, count, limit, max(1, math.ceil(start + window - now)))
